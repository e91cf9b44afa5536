package handlers

import (
	"context"
	"fmt"
	"strings"
)

// maxNoteLen bounds a note; PagerDuty documents no limit, and anything past
// this is surely pasted by mistake.
const maxNoteLen = 25000

func noteRoutes() []Route {
	return []Route{{
		Kind:       Slash,
		ID:         "note",
		Usage:      "note [INC] TEXT",
		Help:       "Add a note to the incident, as you.",
		Incident:   LeadingRef,
		NeedsActor: true,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			text := strings.TrimSpace(FromSlack(r.Text))
			if text == "" {
				return Reply{}, Userf("Write the note after the command: `/pd note [INC] TEXT`.")
			}
			return addNote(ctx, r, r.Incident, text)
		},
	}}
}

func addNote(ctx context.Context, r *Request, id, text string) (Reply, error) {
	if len(text) > maxNoteLen {
		return Reply{}, Userf("That note is %d characters; PagerDuty notes here are limited to %d. Shorten it and try again.", len(text), maxNoteLen)
	}
	if _, err := r.PD.AddNote(ctx, id, text); err != nil {
		return Reply{}, err
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":memo: %s added a note to `%s` via Slack:\n>%s", Escape(r.Actor.Name), id, strings.ReplaceAll(Escape(clip(text, noteQuoteLimit)), "\n", "\n>")),
		AuditIncident: id,
	}, nil
}
