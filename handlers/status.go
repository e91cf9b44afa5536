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
			Aliases:  []string{"acknowledge"},
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
					if isTriggered(word) {
						return Reply{}, cannotTrigger(r)
					}
					ex := exampleRef(r)
					return Reply{}, Userf("Say which status, acknowledged or resolved: `/pd status %sacknowledged`, or `/pd status %sresolved Rolled back the deploy` (the message becomes a note).", ex, ex)
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

// isTriggered reports whether w asks for the triggered status.
func isTriggered(w string) bool {
	switch strings.ToLower(w) {
	case "trigger", "triggered", "retrigger", "unack", "unacknowledge", "unacknowledged":
		return true
	}
	return false
}

// cannotTrigger explains why pdbot does not set an incident to triggered:
// PagerDuty's API takes "triggered" only to reopen a resolved incident
// (the status field of PUT /incidents/{id}); an open incident cannot go
// back to it.
func cannotTrigger(r *Request) error {
	return Userf("PagerDuty cannot set an open incident back to triggered: its API takes triggered only to reopen a resolved incident, and pdbot never reopens one. To bring more people in, ask them to join: `/pd responders %suser=@carol Need help with the failover`.", exampleRef(r))
}

// setStatus moves an incident to acknowledged or resolved. It reads the
// incident right before the write: acknowledging a resolved incident would
// reopen it, which a stale button or a typo must never do, and an incident
// already in that status needs nothing sent.
func setStatus(ctx context.Context, r *Request, id, status, message string) (Reply, error) {
	if len(message) > maxNoteLen {
		return Reply{}, Userf("That message is %d characters; notes here are limited to %d.", len(message), maxNoteLen)
	}
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	switch {
	case cur.Status == "resolved" && status == "resolved":
		if message != "" {
			return noteInstead(ctx, r, cur, message, "it was already resolved, so its status is unchanged")
		}
		return Reply{Text: fmt.Sprintf("%s is already resolved; nothing changed.", IncidentLabel(cur)), AuditIncident: id, NoAudit: true}, nil
	case cur.Status == "resolved":
		why := "acknowledging it would reopen it"
		if message != "" {
			why += "; your message was not added either"
		}
		return Reply{}, alreadyResolved(cur, why)
	case cur.Status == "acknowledged" && status == "acknowledged":
		if message != "" {
			return noteInstead(ctx, r, cur, message, "it was already acknowledged, so nothing else was sent")
		}
		return Reply{Text: alreadyAcknowledged(cur, r.Actor), AuditIncident: id, NoAudit: true}, nil
	}
	inc, err := r.PD.UpdateIncident(ctx, id, pdapi.IncidentUpdate{Status: status})
	if err != nil {
		reply, err := unconfirmed(err, cur, "Your "+statusNoun[status])
		if err != nil {
			return reply, err
		}
		if message != "" {
			reply.Text += addNoteAfter(ctx, r, id, message)
		}
		return reply, nil
	}
	text := fmt.Sprintf("%s %s %s %s via Slack.", statusEmoji[status], Escape(r.Actor.Name), status, IncidentLabel(cur))
	text += raceWarning(cur, inc, status, r.Actor)
	reply := Reply{InChannel: true, Text: text, AuditIncident: id}
	if message != "" {
		reply.Text += addNoteAfter(ctx, r, id, message)
	}
	return reply, nil
}

// addNoteAfter adds a status change's message as a note and returns what
// the confirmation says about it.
func addNoteAfter(ctx context.Context, r *Request, id, message string) string {
	if _, err := r.PD.AddNote(ctx, id, message); err != nil {
		msg, known := Explain(err, r.PD, id)
		if !known {
			msg = "PagerDuty did not take it; add it with `/pd note` if it is still needed."
		}
		return "\n:warning: The status was sent, but your message was not added as a note: " + msg
	}
	return "\n" + quote(message)
}

var statusNoun = map[string]string{"acknowledged": "acknowledgement", "resolved": "resolve"}

// noteInstead adds the message of a status change that needs no write as a
// note, and says so: the message is not dropped silently.
func noteInstead(ctx context.Context, r *Request, cur *pagerduty.Incident, message, why string) (Reply, error) {
	if _, err := r.PD.AddNote(ctx, cur.ID, message); err != nil {
		msg, known := Explain(err, r.PD, cur.ID)
		if !known {
			return Reply{}, fmt.Errorf("add the message of a status change as a note: %w", err)
		}
		return Reply{}, Userf("%s: %s, and your message was not added as a note either: %s", IncidentLabel(cur), why, msg)
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":memo: %s added a note to %s via Slack (%s):\n%s", Escape(r.Actor.Name), IncidentLabel(cur), why, quote(message)),
		AuditIncident: cur.ID,
	}, nil
}

// quote is text as a mrkdwn block quote, clipped for a confirmation.
func quote(text string) string {
	return ">" + strings.ReplaceAll(Escape(clip(text, noteQuoteLimit)), "\n", "\n>")
}

// alreadyResolved is the one way pdbot says it left a resolved incident
// alone, and why. PagerDuty reopens a resolved incident only when its status
// is set back to acknowledged or triggered through its API (the status
// field of PUT /incidents/{id}); pdbot never does that.
func alreadyResolved(inc *pagerduty.Incident, why string) error {
	return Userf("%s is already resolved, so pdbot changed nothing: %s. pdbot never reopens an incident; if the problem is back, trigger a new incident in PagerDuty. (PagerDuty itself reopens a resolved incident only when its status is set back to acknowledged or triggered through its API.)", IncidentLabel(inc), why)
}
