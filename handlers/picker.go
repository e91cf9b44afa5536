package handlers

import (
	"context"
	"errors"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
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
			// The incident is the one the message names; a message that
			// names none gets the picker of open incidents (incpick.go).
			Kind: MessageShortcut, ID: ShowIncident, Help: "Message shortcut: show the PagerDuty incident a message names, or pick one.",
			NeedsKey: true,
			Handle:   showMessageIncident,
		},
		{
			Kind: Shortcut, ID: PickerShortcut, Help: "Global shortcut: pick an incident, get its card.",
			Modal: true, Title: "PagerDuty incident",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return Reply{Modal: PickerModal(true), NoAudit: true}, nil
			},
		},
		{
			Kind: Submission, ID: PickerCallback, Help: "The incident picker form.",
			NeedsKey: true,
			Validate: validatePick,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				ref, errs := pickedRef(r)
				if errs != nil {
					return Reply{}, Userf("Pick an incident in the form, or give its ID, URL or #NUMBER.")
				}
				inc := r.Fetched // found by validatePick moments ago
				var err error
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
	ref, errs := pickedRef(r)
	if errs != nil {
		return errs
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
		block := incidentTypeBlock
		if selected(r, incidentPickBlock, IncidentSearch) != "" {
			block = incidentPickBlock
		}
		return map[string]string{block: msg}
	}
	return nil
}

// refNames reports whether ref names inc.
func refNames(ref Ref, inc *pagerduty.Incident) bool {
	return (ref.ID != "" && ref.ID == inc.ID) || (ref.Number != 0 && ref.Number == inc.IncidentNumber)
}

// PickerModal asks for an incident: an open one by type-ahead, or one
// typed. global says it is for the global shortcut, which has no channel
// and so uses the workspace's default key.
func PickerModal(global bool) *slack.ModalViewRequest {
	intro := "Which incident? pdbot shows its card, with a button for every action."
	if global {
		intro += " Shortcuts outside a channel use the workspace's default PagerDuty key."
	}
	return modal(PickerCallback, "PagerDuty incident", "Show",
		append([]slack.Block{TextSection("intro", intro)}, incidentFields()...)...)
}

// showMessageIncident answers "Show PagerDuty incident" on a message: the
// card of the incident the message names, or, for a message that names
// none, the picker of open incidents.
func showMessageIncident(ctx context.Context, r *Request) (Reply, error) {
	text := ""
	if r.Message != nil {
		text = r.Message.Text
	}
	ref, ok := FindRefInText(text)
	if !ok || !pdapi.ValidIncidentID(ref.ID) {
		return Reply{Modal: PickerModal(false), NoAudit: true}, nil
	}
	r.Incident, r.IncidentSource = ref.ID, "message"
	return showCard(ctx, r)
}
