package bot

import (
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
)

// LookupBlockAction finds the route of a block action. A button is routed
// by its action_id. An option of the card's overflow menu
// (handlers.ActionMore) is routed by the action its value names, and comes
// back as that action, carrying the incident as a button's value would: the
// menu is a row of buttons folded away, so each of its options is served
// by the same route, with the same checks, as its button would be. A menu
// value that names no option of the menu finds nothing.
func (t *Table) LookupBlockAction(a *slack.BlockAction) (*handlers.Route, *slack.BlockAction, bool) {
	if a.ActionID != handlers.ActionMore {
		r, ok := t.Lookup(handlers.Action, a.ActionID)
		return r, a, ok
	}
	action, incident, ok := handlers.ParseMenuValue(a.SelectedOption.Value)
	if !ok {
		return nil, a, false
	}
	r, ok := t.Lookup(handlers.Action, action)
	if !ok {
		return nil, a, false
	}
	as := *a
	as.ActionID, as.Value = action, incident
	return r, &as, true
}
