package slackfake

import (
	"fmt"
	"strings"
)

// defaultMinQueryLength is external_select's min_query_length default.
const defaultMinQueryLength = 3

// openViewLocked returns a view user has open.
func (f *Fake) openViewLocked(user, viewID string) (*viewState, error) {
	v, ok := f.views[viewID]
	if !ok || v.user != user || !f.isOpenLocked(v) {
		return nil, fmt.Errorf("slackfake: user %s has no open view %s", user, viewID)
	}
	return v, nil
}

// userViewLocked returns the user and their open view.
func (f *Fake) userViewLocked(user, viewID string) (User, *viewState, error) {
	u, err := f.userLocked(user)
	if err != nil {
		return User{}, nil, err
	}
	v, err := f.openViewLocked(user, viewID)
	if err != nil {
		return User{}, nil, err
	}
	return u, v, nil
}

// ClickViewButton clicks the button with actionID in an open modal.
func (f *Fake) ClickViewButton(user, viewID, actionID string) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, v, err := f.userViewLocked(user, viewID)
		if err != nil {
			return nil, err
		}
		blockID, el := findElement(v.blocks(), actionID)
		if el == nil || str(el["type"]) != "button" {
			return nil, fmt.Errorf("slackfake: view %s has no button %q", viewID, actionID)
		}
		trig := f.newTriggerLocked(user, viewID)
		p := f.interactionBase("block_actions", u)
		p["trigger_id"] = trig
		p["container"] = map[string]any{"type": "view", "view_id": viewID}
		p["view"] = f.viewObjectLocked(v, nil)
		p["state"] = map[string]any{"values": map[string]any{}}
		p["actions"] = []any{buttonAction(blockID, el, nil)}
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "block_actions", payload: mustJSON(p), user: user, viewID: viewID}, triggerID: trig}, nil
	})
}

// SubmitView submits the top modal of user's stack with values keyed by
// block_id, then action_id. Inputs not given keep their initial value (or
// stay empty). A required input left empty makes SubmitView fail, as Slack
// would not send the submission.
func (f *Fake) SubmitView(user, viewID string, values map[string]map[string]Value) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, v, err := f.userViewLocked(user, viewID)
		if err != nil {
			return nil, err
		}
		if st := f.stacks[user]; st[len(st)-1] != viewID {
			return nil, fmt.Errorf("slackfake: view %s is not the top of %s's stack", viewID, user)
		}
		state, err := buildState(v.blocks(), values, func(actionID, value string) any {
			return f.suggested[viewID+"\x00"+actionID][value]
		})
		if err != nil {
			return nil, err
		}
		trig := f.newTriggerLocked(user, viewID)
		p := f.interactionBase("view_submission", u)
		p["trigger_id"] = trig
		p["view"] = f.viewObjectLocked(v, state)
		p["hash"] = v.hash
		p["response_urls"] = []any{}
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "view_submission", payload: mustJSON(p), accepts: true, user: user, viewID: viewID}, triggerID: trig}, nil
	})
}

// CloseView closes an open modal (and anything stacked on it) as the user
// pressing Close. Slack sends view_closed only when the view asked with
// notify_on_close; otherwise CloseView returns a nil Delivery and no error.
func (f *Fake) CloseView(user, viewID string) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, v, err := f.userViewLocked(user, viewID)
		if err != nil {
			return nil, err
		}
		obj := f.viewObjectLocked(v, nil)
		f.closeViewLocked(user, viewID)
		notify, _ := v.obj["notify_on_close"].(bool)
		if !notify {
			return nil, nil
		}
		p := f.interactionBase("view_closed", u)
		p["view"] = obj
		p["is_cleared"] = false
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "view_closed", payload: mustJSON(p), user: user, viewID: viewID}}, nil
	})
}

// Suggest types query into the external_select with actionID in an open
// modal, sending block_suggestion. Slack sends nothing for a query shorter
// than the element's min_query_length (default 3); Suggest then fails.
func (f *Fake) Suggest(user, viewID, actionID, query string) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, v, err := f.userViewLocked(user, viewID)
		if err != nil {
			return nil, err
		}
		blockID, el := findElement(v.blocks(), actionID)
		if el == nil || !strings.HasSuffix(str(el["type"]), "external_select") {
			return nil, fmt.Errorf("slackfake: view %s has no external_select %q", viewID, actionID)
		}
		minLen := defaultMinQueryLength
		if n, ok := num(el["min_query_length"]); ok {
			minLen = n
		}
		if len([]rune(query)) < minLen {
			return nil, fmt.Errorf("slackfake: query %q is shorter than min_query_length %d; Slack would not ask", query, minLen)
		}
		p := f.interactionBase("block_suggestion", u)
		p["container"] = map[string]any{"type": "view", "view_id": viewID}
		p["action_id"] = actionID
		p["block_id"] = blockID
		p["value"] = query
		p["view"] = f.viewObjectLocked(v, nil)
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "block_suggestion", payload: mustJSON(p), accepts: true, user: user, viewID: viewID}}, nil
	})
}
