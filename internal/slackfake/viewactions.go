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

// lockUserView locks f.mu and returns the user and their open view; on an
// error it unlocks and returns the error.
func (f *Fake) lockUserView(user, viewID string) (User, *viewState, error) {
	f.mu.Lock()
	u, err := f.userLocked(user)
	if err != nil {
		f.mu.Unlock()
		return User{}, nil, err
	}
	v, err := f.openViewLocked(user, viewID)
	if err != nil {
		f.mu.Unlock()
		return User{}, nil, err
	}
	return u, v, nil
}

// ClickViewButton clicks the button with actionID in an open modal.
func (f *Fake) ClickViewButton(user, viewID, actionID string) (*Delivery, error) {
	u, v, err := f.lockUserView(user, viewID)
	if err != nil {
		return nil, err
	}
	blockID, el := findElement(v.blocks(), actionID)
	if el == nil || str(el["type"]) != "button" {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: view %s has no button %q", viewID, actionID)
	}
	trig := f.newTriggerLocked(user, viewID)
	p := f.interactionBase("block_actions", u)
	p["trigger_id"] = trig
	p["container"] = map[string]any{"type": "view", "view_id": viewID}
	p["view"] = f.viewObjectLocked(v, nil)
	p["state"] = map[string]any{"values": map[string]any{}}
	p["actions"] = []any{buttonAction(blockID, el, nil)}
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "block_actions", payload: mustJSON(p), user: user, viewID: viewID}, trig, "")
}

// SubmitView submits the top modal of user's stack with values keyed by
// block_id, then action_id. Inputs not given keep their initial value (or
// stay empty). A required input left empty makes SubmitView fail, as Slack
// would not send the submission.
func (f *Fake) SubmitView(user, viewID string, values map[string]map[string]Value) (*Delivery, error) {
	u, v, err := f.lockUserView(user, viewID)
	if err != nil {
		return nil, err
	}
	if st := f.stacks[user]; st[len(st)-1] != viewID {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: view %s is not the top of %s's stack", viewID, user)
	}
	state, err := buildState(v.blocks(), values, func(actionID, value string) any {
		return f.suggested[viewID+"\x00"+actionID][value]
	})
	if err != nil {
		f.mu.Unlock()
		return nil, err
	}
	trig := f.newTriggerLocked(user, viewID)
	p := f.interactionBase("view_submission", u)
	p["trigger_id"] = trig
	p["view"] = f.viewObjectLocked(v, state)
	p["hash"] = v.hash
	p["response_urls"] = []any{}
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "view_submission", payload: mustJSON(p), accepts: true, user: user, viewID: viewID}, trig, "")
}

// CloseView closes an open modal (and anything stacked on it) as the user
// pressing Close. Slack sends view_closed only when the view asked with
// notify_on_close; otherwise CloseView returns a nil Delivery and no error.
func (f *Fake) CloseView(user, viewID string) (*Delivery, error) {
	u, v, err := f.lockUserView(user, viewID)
	if err != nil {
		return nil, err
	}
	obj := f.viewObjectLocked(v, nil)
	f.closeViewLocked(user, viewID)
	notify, _ := v.obj["notify_on_close"].(bool)
	if !notify {
		f.mu.Unlock()
		return nil, nil
	}
	p := f.interactionBase("view_closed", u)
	p["view"] = obj
	p["is_cleared"] = false
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "view_closed", payload: mustJSON(p), user: user, viewID: viewID}, "", "")
}

// Suggest types query into the external_select with actionID in an open
// modal, sending block_suggestion. Slack sends nothing for a query shorter
// than the element's min_query_length (default 3); Suggest then fails.
func (f *Fake) Suggest(user, viewID, actionID, query string) (*Delivery, error) {
	u, v, err := f.lockUserView(user, viewID)
	if err != nil {
		return nil, err
	}
	blockID, el := findElement(v.blocks(), actionID)
	if el == nil || !strings.HasSuffix(str(el["type"]), "external_select") {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: view %s has no external_select %q", viewID, actionID)
	}
	minLen := defaultMinQueryLength
	if n, ok := num(el["min_query_length"]); ok {
		minLen = n
	}
	if len([]rune(query)) < minLen {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: query %q is shorter than min_query_length %d; Slack would not ask", query, minLen)
	}
	p := f.interactionBase("block_suggestion", u)
	p["container"] = map[string]any{"type": "view", "view_id": viewID}
	p["action_id"] = actionID
	p["block_id"] = blockID
	p["value"] = query
	p["view"] = f.viewObjectLocked(v, nil)
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "block_suggestion", payload: mustJSON(p), accepts: true, user: user, viewID: viewID}, "", "")
}
