package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
)

// Status update IDs: the card's menu item (a form) and the form.
const (
	ActionStatusUpdate   = "card_status_update"
	StatusUpdateCallback = "status_update_submit"
	statusUpdateBlock    = "message"
	statusUpdateAction   = "message_input"
)

// maxStatusUpdateLen bounds a status update. PagerDuty documents no limit;
// stakeholders read these in email and SMS, and 3000 is the form's ceiling
// (a plain_text_input holds at most 3000 characters).
const maxStatusUpdateLen = 3000

func statusUpdateRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "status-update", Usage: "status-update [INC] MESSAGE",
			Help:     "Send the incident's stakeholders a status update, as you. Bare, it opens a form.",
			Incident: LeadingRef, NeedsActor: true, FreeText: true, Modal: true, Title: "Status update",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if strings.TrimSpace(r.Text) == "" {
					return statusUpdateModalReply(ctx, r)
				}
				return sendStatusUpdate(ctx, r, r.Incident, strings.TrimSpace(FromSlack(r.Text)))
			},
		},
		{
			Kind: Action, ID: ActionStatusUpdate, Help: "Card menu: send a status update (opens a form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Status update",
			Handle: statusUpdateModalReply,
		},
		{
			Kind: Submission, ID: StatusUpdateCallback, Help: "The status update form.",
			Incident: FromValue, NeedsActor: true, FreeText: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				switch m := value(r, statusUpdateBlock, statusUpdateAction); {
				case m == "":
					return map[string]string{statusUpdateBlock: "Write the update: stakeholders get exactly this text."}
				case len(m) > maxStatusUpdateLen:
					return map[string]string{statusUpdateBlock: fmt.Sprintf("Keep it under %d characters.", maxStatusUpdateLen)}
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return sendStatusUpdate(ctx, r, r.Incident, value(r, statusUpdateBlock, statusUpdateAction))
			},
		},
	}
}

// sendStatusUpdate posts one status update. It reads the incident first, for
// a confirmation that names it and so an unknown one costs no write. A
// resolved incident still takes one: "fixed, here is what happened" is a
// status update stakeholders want.
func sendStatusUpdate(ctx context.Context, r *Request, id, message string) (Reply, error) {
	if message == "" {
		return Reply{}, Userf("Write the update after the command: `/pd status-update %sFailover done, error rates are back to normal`.", exampleRef(r))
	}
	if len(message) > maxStatusUpdateLen {
		return Reply{}, Userf("That update is %d characters; keep it under %d (stakeholders read these in email and on their phones).", len(message), maxStatusUpdateLen)
	}
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if err := r.PD.PostStatusUpdate(ctx, cur.ID, message); err != nil {
		return Reply{}, err
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":mega: %s sent a status update for %s via Slack:\n%s", Escape(r.Actor.Name), IncidentLabel(cur), quote(message)),
		AuditIncident: cur.ID,
	}, nil
}

func statusUpdateModalReply(ctx context.Context, r *Request) (Reply, error) {
	cur, err := r.Current(ctx, r.Incident)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Modal: StatusUpdateModal(cur), NoAudit: true}, nil
}

// StatusUpdateModal is the status update form.
func StatusUpdateModal(inc *pagerduty.Incident) *slack.ModalViewRequest {
	return modal(StatusUpdateCallback, "Status update", "Send update",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nPagerDuty sends this to the incident's stakeholders (its status update subscribers), by email, SMS or push, as their settings say."),
		textInput(statusUpdateBlock, statusUpdateAction, "Update", "What is happening, what it means for them, when the next update comes", "", true, false, maxStatusUpdateLen),
		incidentContext(inc.ID),
	)
}
