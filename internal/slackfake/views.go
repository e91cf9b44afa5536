package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// MaxViewStack is how many modals a user can have stacked (root + 2 pushed).
const MaxViewStack = 3

// View is a modal as the user now sees it.
type View struct {
	ID, Hash, CallbackID, PrivateMetadata, ExternalID string
	// Title, Submit and Close are the texts of those plain_text objects.
	Title, Submit, Close string
	User                 string // whose modal stack it is in
	RootViewID           string
	PreviousViewID       string
	NotifyOnClose        bool
	Blocks               json.RawMessage
	// Raw is the view object as Slack would return it from views.open.
	Raw json.RawMessage
	// Errors holds the field errors of the last response_action errors ack,
	// keyed by input block_id; empty once the view is updated.
	Errors map[string]string
}

// trigger is one issued trigger_id.
type trigger struct {
	user   string
	viewID string // the view the interaction happened in, if any
	issued time.Time
	used   bool
}

// viewState is a stored modal.
type viewState struct {
	id, user, hash     string
	rootID, previousID string
	obj                map[string]any // request fields, blocks normalised
	errors             map[string]string
}

func (f *Fake) newTriggerLocked(user, viewID string) string {
	// Keep long runs (benchmarks, the demo) small: sweep when the table has
	// doubled since the last sweep, at a constant cost per trigger.
	if len(f.triggers) > f.triggerSweepAt {
		for id, t := range f.triggers {
			if t.used || time.Since(t.issued) > f.opts.TriggerTTL {
				delete(f.triggers, id)
			}
		}
		f.triggerSweepAt = max(1000, 2*len(f.triggers))
	}
	id := fmt.Sprintf("%d.%d.%s", time.Now().Unix(), time.Now().UnixNano()%1e9, randHex(16))
	f.triggers[id] = &trigger{user: user, viewID: viewID, issued: time.Now()}
	return id
}

func newHash() string {
	return strconv.FormatInt(time.Now().Unix(), 10) + "." + randHex(4)
}

func (v *viewState) str(key string) string {
	s, _ := v.obj[key].(string)
	return s
}

func (v *viewState) blocks() []any {
	b, _ := v.obj["blocks"].([]any)
	return b
}

// object is the view as Slack returns it (views.* answers and payloads).
func (f *Fake) viewObjectLocked(v *viewState, state map[string]any) map[string]any {
	o := make(map[string]any, len(v.obj)+12)
	for k, val := range v.obj {
		o[k] = val
	}
	if state == nil {
		state = map[string]any{}
	}
	o["id"] = v.id
	o["team_id"] = f.opts.TeamID
	o["type"] = "modal"
	o["hash"] = v.hash
	o["root_view_id"] = v.rootID
	if v.previousID != "" {
		o["previous_view_id"] = v.previousID
	} else {
		o["previous_view_id"] = nil
	}
	o["app_id"] = f.opts.AppID
	o["bot_id"] = f.opts.BotID
	o["app_installed_team_id"] = f.opts.TeamID
	o["state"] = map[string]any{"values": state}
	for _, k := range []string{"private_metadata", "callback_id", "external_id"} {
		if _, ok := o[k]; !ok {
			o[k] = ""
		}
	}
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, ok := o[k]; !ok {
			o[k] = false
		}
	}
	if _, ok := o["blocks"]; !ok {
		o["blocks"] = []any{}
	}
	return o
}

func (f *Fake) publicViewLocked(v *viewState) View {
	out := View{
		ID:              v.id,
		Hash:            v.hash,
		CallbackID:      v.str("callback_id"),
		PrivateMetadata: v.str("private_metadata"),
		ExternalID:      v.str("external_id"),
		Title:           textOf(v.obj["title"]),
		Submit:          textOf(v.obj["submit"]),
		Close:           textOf(v.obj["close"]),
		User:            v.user,
		RootViewID:      v.rootID,
		PreviousViewID:  v.previousID,
		Blocks:          mustJSON(v.blocks()),
		Raw:             mustJSON(f.viewObjectLocked(v, nil)),
	}
	out.NotifyOnClose, _ = v.obj["notify_on_close"].(bool)
	if len(v.errors) > 0 {
		out.Errors = make(map[string]string, len(v.errors))
		for k, e := range v.errors {
			out.Errors[k] = e
		}
	}
	return out
}

// Views returns the open modal stack of user, bottom first.
func (f *Fake) Views(user string) []View {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []View
	for _, id := range f.stacks[user] {
		out = append(out, f.publicViewLocked(f.views[id]))
	}
	return out
}

// View returns a modal by ID, open or not.
func (f *Fake) View(id string) (View, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.views[id]
	if !ok {
		return View{}, false
	}
	return f.publicViewLocked(v), true
}

// parseView decodes a view argument and checks it against Block Kit limits.
func parseView(raw json.RawMessage) (map[string]any, *apiError) {
	var obj map[string]any
	if len(raw) == 0 {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: view")
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fail("invalid_arguments", "[ERROR] failed to parse view [json-pointer:/view]")
	}
	if msgs := validateView(obj); len(msgs) > 0 {
		return nil, fail("invalid_arguments", msgs...)
	}
	normalizeBlockIDs(obj["blocks"])
	return obj, nil
}

// useTriggerLocked checks and consumes a trigger_id for user-facing view calls.
func (f *Fake) checkTriggerLocked(id string) (*trigger, *apiError) {
	t, ok := f.triggers[id]
	switch {
	case !ok:
		return nil, fail("invalid_arguments", "invalid `trigger_id`")
	case t.used, time.Since(t.issued) > f.opts.TriggerTTL:
		return nil, fail("expired_trigger_id")
	}
	return t, nil
}

func (f *Fake) externalIDTakenLocked(ext, except string) bool {
	if ext == "" {
		return false
	}
	for id, v := range f.views {
		if id != except && v.str("external_id") == ext && f.isOpenLocked(v) {
			return true
		}
	}
	return false
}

func (f *Fake) isOpenLocked(v *viewState) bool {
	return slices.Contains(f.stacks[v.user], v.id)
}

// viewsOpen implements views.open and (push) views.push.
func (f *Fake) viewsOpen(req *request, push bool) (map[string]any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, e := f.checkTriggerLocked(req.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	obj, e := parseView(req.raw("view"))
	if e != nil {
		return nil, e
	}
	if f.externalIDTakenLocked(str(obj["external_id"]), "") {
		return nil, fail("duplicate_external_id")
	}
	stack := f.stacks[t.user]
	if push {
		if len(stack) == 0 {
			return nil, fail("invalid_arguments", "[ERROR] no open view to push onto [json-pointer:/trigger_id]")
		}
		if len(stack) >= MaxViewStack {
			return nil, fail("push_limit_reached")
		}
	}
	t.used = true
	var v *viewState
	if push {
		v = f.pushViewLocked(t.user, obj)
	} else {
		f.stacks[t.user] = nil
		v = f.pushViewLocked(t.user, obj)
	}
	return map[string]any{"ok": true, "view": f.viewObjectLocked(v, nil)}, nil
}

// pushViewLocked creates a view on top of user's stack.
func (f *Fake) pushViewLocked(user string, obj map[string]any) *viewState {
	v := &viewState{id: newID("V"), user: user, hash: newHash(), obj: obj}
	stack := f.stacks[user]
	if len(stack) == 0 {
		v.rootID = v.id
	} else {
		top := f.views[stack[len(stack)-1]]
		v.rootID, v.previousID = top.rootID, top.id
	}
	f.views[v.id] = v
	f.stacks[user] = append(stack, v.id)
	return v
}

func (f *Fake) viewsUpdate(req *request) (map[string]any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ext := req.str("view_id"), req.str("external_id")
	if id == "" && ext == "" {
		return nil, fail("invalid_arguments", "[ERROR] either view_id or external_id is required")
	}
	var v *viewState
	if id != "" {
		v = f.views[id]
	} else {
		for _, cand := range f.views {
			if cand.str("external_id") == ext {
				v = cand
				break
			}
		}
	}
	if v == nil || !f.isOpenLocked(v) {
		return nil, fail("not_found")
	}
	if h := req.str("hash"); h != "" && h != v.hash {
		return nil, fail("hash_conflict")
	}
	obj, e := parseView(req.raw("view"))
	if e != nil {
		return nil, e
	}
	if f.externalIDTakenLocked(str(obj["external_id"]), v.id) {
		return nil, fail("duplicate_external_id")
	}
	f.replaceViewLocked(v, obj)
	return map[string]any{"ok": true, "view": f.viewObjectLocked(v, nil)}, nil
}

func (f *Fake) replaceViewLocked(v *viewState, obj map[string]any) {
	if _, ok := obj["external_id"]; !ok && v.str("external_id") != "" {
		obj["external_id"] = v.str("external_id")
	}
	v.obj, v.hash, v.errors = obj, newHash(), nil
}

// closeViewLocked removes view id and everything stacked above it.
func (f *Fake) closeViewLocked(user, id string) {
	stack := f.stacks[user]
	if i := slices.Index(stack, id); i >= 0 {
		f.stacks[user] = stack[:i:i]
	}
	if len(f.stacks[user]) == 0 {
		delete(f.stacks, user)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
