package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
)

func statusRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "ack", Usage: "ack [INC]", Help: "Acknowledge the incident, as you.",
			Incident: OnlyRef, NeedsActor: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return setStatus(ctx, r, r.Incident, "acknowledged", "")
			},
		},
		{
			Kind: Slash, ID: "resolve", Usage: "resolve [INC] [MESSAGE]", Help: "Resolve the incident, as you; the message becomes a note.",
			Incident: LeadingRef, NeedsActor: true, FreeText: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return setStatus(ctx, r, r.Incident, "resolved", strings.TrimSpace(FromSlack(r.Text)))
			},
		},
		{
			Kind: Slash, ID: "status", Usage: "status [INC] acknowledged|resolved [MESSAGE]", Help: "Set the incident's status, as you; the message becomes a note.",
			Incident: LeadingRef, NeedsActor: true, FreeText: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				word, rest := SplitFirst(r.Text)
				status, ok := parseStatus(word)
				if !ok {
					return Reply{}, Userf("Say which status: `/pd status [INC] acknowledged|resolved [MESSAGE]`.")
				}
				return setStatus(ctx, r, r.Incident, status, strings.TrimSpace(FromSlack(rest)))
			},
		},
		{
			Kind: Action, ID: ActionAck, Help: "Card button: acknowledge.",
			Incident: FromValue, NeedsActor: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return setStatus(ctx, r, r.Incident, "acknowledged", "")
			},
		},
		{
			Kind: Action, ID: ActionResolve, Help: "Card button: resolve (after confirmation).",
			Incident: FromValue, NeedsActor: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return setStatus(ctx, r, r.Incident, "resolved", "")
			},
		},
	}
}

func parseStatus(w string) (string, bool) {
	switch strings.ToLower(w) {
	case "ack", "acknowledge", "acknowledged":
		return "acknowledged", true
	case "resolve", "resolved":
		return "resolved", true
	}
	return "", false
}

// setStatus moves an incident to acknowledged or resolved. It reads the
// current status first: acknowledging a resolved incident would reopen it,
// which a stale button or a typo must never do.
func setStatus(ctx context.Context, r *Request, id, status, message string) (Reply, error) {
	if len(message) > maxNoteLen {
		return Reply{}, Userf("That message is %d characters; notes here are limited to %d.", len(message), maxNoteLen)
	}
	cur, err := r.Current(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		if status == "resolved" {
			return Reply{Text: fmt.Sprintf("%s is already resolved; nothing changed.", IncidentLabel(cur)), AuditIncident: id, NoAudit: true}, nil
		}
		return Reply{}, alreadyResolved(cur, "acknowledging it would reopen it")
	}
	inc, err := r.PD.UpdateIncident(ctx, id, pdapi.IncidentUpdate{Status: status})
	if err != nil {
		return Reply{}, err
	}
	if inc.Title == "" {
		inc.Title = cur.Title
		inc.IncidentNumber = cur.IncidentNumber
	}
	text := fmt.Sprintf("%s %s %s `%s` %s via Slack.", statusEmoji[status], Escape(r.Actor.Name), status, id, IncidentLabel(inc))
	reply := Reply{InChannel: true, Text: text, AuditIncident: id}
	if message != "" {
		if _, err := r.PD.AddNote(ctx, id, message); err != nil {
			msg, _ := Explain(err, r.PD, id)
			reply.Text += "\n:warning: The incident is " + status + ", but the note was not added: " + msg
			return reply, nil
		}
		reply.Text += "\n>" + strings.ReplaceAll(Escape(clip(message, noteQuoteLimit)), "\n", "\n>")
	}
	return reply, nil
}

// alreadyResolved is the one way pdbot says it left a resolved incident
// alone, and why.
func alreadyResolved(inc *pagerduty.Incident, why string) error {
	return Userf("%s is already resolved, so pdbot changed nothing (%s). Reopen it in PagerDuty if that is what you want.", IncidentLabel(inc), why)
}
