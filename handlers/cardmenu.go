package handlers

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// ActionMore is the action_id of the card's overflow menu ("More…"), which
// carries the less frequent actions. Slack sends the chosen option's value,
// which names the action route the option stands for and the incident
// (MenuValue); the dispatcher serves it as that route, as if its button had
// been pressed.
const ActionMore = "card_more"

// menuItem is one option of the card's overflow menu: an Action route that
// opens a form, and its label.
type menuItem struct{ action, label string }

// cardMenu is the card's overflow menu, in order: the five less frequent
// actions (DESIGN.md, "Live cards"), which is as many options as Block
// Kit's overflow element takes.
var cardMenu = []menuItem{
	{ActionSnooze, "Snooze…"},
	{ActionPriority, "Set priority…"},
	{ActionMerge, "Merge incidents…"},
	{ActionStatusUpdate, "Send a status update…"},
	{ActionWorkflow, "Start a workflow…"},
}

// maxOverflowOptions is Block Kit's limit on an overflow menu's options.
const maxOverflowOptions = 5

// MenuValue is the value of the card menu's option for action on incident.
func MenuValue(action, incident string) string { return action + " " + incident }

// ParseMenuValue reads the value of a card menu option, which a client could
// forge: the action must be one of the menu's and the incident well formed.
func ParseMenuValue(v string) (action, incident string, ok bool) {
	action, incident, found := strings.Cut(v, " ")
	if !found || !pdapi.ValidIncidentID(incident) {
		return "", "", false
	}
	for _, it := range cardMenu {
		if it.action == action {
			return action, incident, true
		}
	}
	return "", "", false
}

// MenuActions lists the action IDs the card's menu offers, in order.
func MenuActions() []string {
	out := make([]string, 0, len(cardMenu))
	for _, it := range cardMenu {
		out = append(out, it.action)
	}
	return out
}

// CardMenu is the card's overflow menu for incident id in status. Snooze
// is offered only once the incident is acknowledged: PagerDuty snoozes
// nothing else.
func CardMenu(id, status string) *slack.OverflowBlockElement {
	opts := make([]*slack.OptionBlockObject, 0, len(cardMenu))
	for _, it := range cardMenu {
		if it.action == ActionSnooze && status != "acknowledged" || len(opts) == maxOverflowOptions {
			continue
		}
		opts = append(opts, option(MenuValue(it.action, id), it.label))
	}
	return slack.NewOverflowBlockElement(ActionMore, opts...)
}

// insertBeforeMenu adds el to an actions block, before the card's menu when
// it has one (the menu stays last).
func insertBeforeMenu(a *slack.ActionBlock, el slack.BlockElement) {
	els := a.Elements.ElementSet
	if n := len(els); n > 0 {
		if _, ok := els[n-1].(*slack.OverflowBlockElement); ok {
			a.Elements.ElementSet = append(els[:n-1:n-1], el, els[n-1])
			return
		}
	}
	a.Elements.ElementSet = append(els, el)
}
