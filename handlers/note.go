package handlers

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/slack-go/slack"
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
		FreeText:   true,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			text := strings.TrimSpace(FromSlack(r.Text))
			if text == "" {
				return Reply{}, Userf("Write the note after the command: `/pd note looking at the slow queries`, or name the incident first: `/pd note #42 looking at the slow queries`.")
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

// Note modal and shortcut IDs.
const (
	NoteCallback       = "note_submit"
	NoteFromMessage    = "note_from_message" // message shortcut
	noteBlock          = "note"
	noteAction         = "note_input"
	noteModalTextLimit = 3000 // plain_text_input ceiling
)

func noteModalRoutes() []Route {
	return []Route{
		{
			Kind: Action, ID: ActionNote, Help: "Card button: add a note (opens a form).",
			// NeedsActor: someone pdbot cannot act as hears so instead of
			// a form they would type into for nothing.
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Add note",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return Reply{Modal: NoteModal(r.Incident, ""), NoAudit: true}, nil
			},
		},
		{
			// In a channel without an incident, the form offers the open
			// incidents to pick from.
			Kind: MessageShortcut, ID: NoteFromMessage, Help: "Message shortcut: add the message as an incident note.",
			Incident: ChannelIncident, NeedsActor: true, Modal: true, Title: "Add note", FreeText: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return Reply{Modal: NoteModal(r.Incident, messageNote(r)), NoAudit: true}, nil
			},
		},
		{
			Kind: Submission, ID: NoteCallback, Help: "The note form.",
			Incident: FromValue, NeedsActor: true, FreeText: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				errs := map[string]string{}
				if value(r, noteBlock, noteAction) == "" {
					errs[noteBlock] = "Write the note."
				}
				if r.Incident == "" {
					// A form opened without an incident has the field.
					ref, ferrs := pickedRef(r)
					maps.Copy(errs, ferrs)
					if ferrs == nil {
						r.Incident, r.IncidentSource = ref.String(), "form"
					}
				}
				if len(errs) > 0 {
					return errs
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return addNote(ctx, r, r.Incident, value(r, noteBlock, noteAction))
			},
		},
	}
}

// messageNote is the prefilled note for a message: its text, its author and
// a link back to it.
func messageNote(r *Request) string {
	if r.Message == nil {
		return ""
	}
	author := r.AuthorName
	if author == "" {
		author = "someone"
	}
	text := FromSlack(r.Message.Text)
	note := fmt.Sprintf("%s wrote in Slack", author)
	if r.Permalink != "" {
		note += " (" + r.Permalink + ")"
	}
	note += ":\n" + text
	return clip(note, noteModalTextLimit)
}

// NoteModal is the note form, optionally prefilled. Without an incident
// (id ""), it asks which, offering the open incidents.
func NoteModal(id, prefill string) *slack.ModalViewRequest {
	note := textInput(noteBlock, noteAction, "Note", "What happened, what you tried, what is next", prefill, true, false, noteModalTextLimit)
	if id == "" {
		return modal(NoteCallback, "Add note", "Add note", append(incidentFields(), note)...)
	}
	return modal(NoteCallback, "Add note", "Add note", note, incidentContext(id))
}
