package handlers

import (
	"context"
	"errors"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
)

// Shortcut and picker IDs.
const (
	ShowIncident   = "show_incident" // message shortcut
	PickerShortcut = "pd_actions"    // global shortcut
	PickerCallback = "picker_submit"
	pickerBlock    = "incident"
	pickerAction   = "incident_input"
)

func pickerRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "", Usage: "", Help: "The action picker: the channel's incident card with a button for every action.",
			Incident: OnlyRef, NeedsKey: true,
			Handle: showCard,
		},
		{
			Kind: MessageShortcut, ID: ShowIncident, Help: "Message shortcut: show the PagerDuty incident a message names.",
			Incident: FromValue, NeedsKey: true,
			Handle: showCard,
		},
		{
			Kind: Shortcut, ID: PickerShortcut, Help: "Global shortcut: pick an incident, get its card.",
			Modal: true, Title: "PagerDuty incident",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return Reply{Modal: PickerModal(), NoAudit: true}, nil
			},
		},
		{
			Kind: Submission, ID: PickerCallback, Help: "The incident picker form.",
			NeedsKey: true,
			Validate: validatePick,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				ref, err := ParseRef(value(r, pickerBlock, pickerAction))
				if err != nil {
					return Reply{}, err
				}
				inc := r.Fetched // found by validatePick moments ago
				if inc == nil || !refNames(ref, inc) {
					if inc, err = FetchIncident(ctx, r.PD, ref); err != nil {
						return Reply{}, err
					}
				}
				return cardReply(ctx, r, inc), nil
			},
		},
	}
}

// validatePick checks the picked incident with PagerDuty before the ack, so
// a malformed or unknown one is an error under the field and the form stays
// open. When PagerDuty cannot be asked in time (or there is no key), the
// submission goes on and the handler's answer explains.
func validatePick(ctx context.Context, r *Request) map[string]string {
	ref, err := ParseRef(value(r, pickerBlock, pickerAction))
	if err != nil {
		return map[string]string{pickerBlock: "Give an incident ID (like Q3X2KJH7PQ9LMN), an incident URL or #NUMBER."}
	}
	if r.PD == nil {
		return nil
	}
	inc, err := FetchIncident(ctx, r.PD, ref)
	if err == nil {
		r.Fetched = inc
		return nil
	}
	if msg, known := ExplainIn(r.Channel, err, r.PD, ref.String()); known && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		return map[string]string{pickerBlock: msg}
	}
	return nil
}

// refNames reports whether ref names inc.
func refNames(ref Ref, inc *pagerduty.Incident) bool {
	return (ref.ID != "" && ref.ID == inc.ID) || (ref.Number != 0 && ref.Number == inc.IncidentNumber)
}

// PickerModal asks for an incident (global shortcuts have no channel).
func PickerModal() *slack.ModalViewRequest {
	return modal(PickerCallback, "PagerDuty incident", "Show",
		TextSection("intro", "Which incident? pdbot shows its card, with a button for every action. Shortcuts outside a channel use the workspace's default PagerDuty key."),
		textInput(pickerBlock, pickerAction, "Incident", "Q3X2KJH7PQ9LMN, an incident URL or #42", "", false, false, maxRefLen),
	)
}
