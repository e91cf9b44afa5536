package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Envelope types.
const (
	TypeSlashCommands = "slash_commands"
	TypeInteractive   = "interactive"
	TypeEventsAPI     = "events_api"
)

// defaultMinQueryLength is external_select's min_query_length default.
const defaultMinQueryLength = 3

// ErrNoEnvelope is returned by WaitAck on a nil Delivery (an interaction
// that Slack would not send, such as closing a view without notify_on_close).
var ErrNoEnvelope = errors.New("slackfake: no envelope was sent")

// Delivery is one envelope sent to the bot.
type Delivery struct {
	EnvelopeID string
	// TriggerID and ResponseURL are what the payload carried ("" if none).
	TriggerID, ResponseURL string
	// Type is the envelope type; Kind the interaction type (block_actions,
	// view_submission, …), the command for slash_commands, or the inner
	// event type for events_api.
	Type, Kind string
	Payload    json.RawMessage

	env *envelope
}

// Ack is the bot's answer to one envelope.
type Ack struct {
	Payload json.RawMessage
	Latency time.Duration
	// Count is how many acks arrived for the envelope (duplicates are ignored but counted).
	Count int
	// Problem says what Slack would have made of a late or broken ack ("" when fine).
	Problem string
}

// AckRecord is the ack state of one envelope.
type AckRecord struct {
	EnvelopeID, Type, Kind string
	Payload                json.RawMessage
	Latency                time.Duration
	Count                  int
	Problem                string
}

type envelope struct {
	id, typ, kind string
	payload       json.RawMessage
	accepts       bool
	sentAt        time.Time
	connID        int
	attempt       int // redeliveries so far
	acked         chan struct{}
	ack           Ack

	// what the ack acts on
	user, channel, viewID string
	owner                 *Fake
}

// WaitAck waits for the first ack of the envelope and returns it, after its
// effects (slash responses, view_submission actions) have been applied.
func (d *Delivery) WaitAck(ctx context.Context) (Ack, error) {
	if d == nil || d.env == nil {
		return Ack{}, ErrNoEnvelope
	}
	select {
	case <-d.env.acked:
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("slackfake: envelope %s (%s) not acked: %w", d.EnvelopeID, d.Kind, ctx.Err())
	}
	// The ack fields are written before acked is closed and only Count
	// changes later; read under the lock anyway.
	return d.env.owner.ackOf(d.env), nil
}

// Acks returns the ack state of every envelope sent, in order. An envelope
// still unacked 3 s after it was sent carries a Problem.
func (f *Fake) Acks() []AckRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]AckRecord, 0, len(f.envOrder))
	for _, id := range f.envOrder {
		e, ok := f.envelopes[id]
		if !ok {
			continue
		}
		r := AckRecord{EnvelopeID: e.id, Type: e.typ, Kind: e.kind, Payload: e.ack.Payload, Latency: e.ack.Latency, Count: e.ack.Count, Problem: e.ack.Problem}
		if r.Count == 0 && !e.sentAt.IsZero() && time.Since(e.sentAt) > AckTimeout {
			r.Problem = "not acked within 3s: " + timeoutEffect(e)
		}
		out = append(out, r)
	}
	return out
}

func timeoutEffect(e *envelope) string {
	switch e.kind {
	case "view_submission":
		return `the modal shows "We had some trouble connecting"`
	case "block_actions":
		return "the element shows a warning icon"
	case "block_suggestion":
		return "the menu fails to load options"
	}
	switch e.typ {
	case TypeSlashCommands:
		return e.kind + ` failed with the error "operation_timeout"`
	case TypeEventsAPI:
		return "Slack redelivers the event (retry_reason timeout)"
	}
	return "Slack shows the user an error"
}

// send registers and delivers an envelope.
func (f *Fake) send(env *envelope, triggerID, responseURL string) (*Delivery, error) {
	env.id = newUUID()
	env.acked = make(chan struct{})
	env.owner = f
	f.mu.Lock()
	f.envelopes[env.id] = env
	f.envOrder = append(f.envOrder, env.id)
	f.mu.Unlock()
	d := &Delivery{EnvelopeID: env.id, TriggerID: triggerID, ResponseURL: responseURL, Type: env.typ, Kind: env.kind, Payload: env.payload, env: env}
	if err := f.deliver(env); err != nil {
		return nil, err
	}
	return d, nil
}

// Redeliver sends an envelope again with the same envelope_id, on whichever
// socket comes next — as Slack does when a connection drops before its ack
// was read (revelrylabs/slax#614) or an Events API event was not acked. The
// bot must ack it again and must not act twice; later acks are counted in
// Ack.Count.
func (f *Fake) Redeliver(d *Delivery) error {
	if d == nil || d.env == nil {
		return ErrNoEnvelope
	}
	f.mu.Lock()
	d.env.attempt++
	f.mu.Unlock()
	return f.deliver(d.env)
}

// recordAck handles an ack frame.
func (f *Fake) recordAck(id string, payload json.RawMessage, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.envelopes[id]
	if !ok {
		f.logf("slackfake: ack for unknown envelope %s", id)
		return
	}
	e.ack.Count++
	if e.ack.Count > 1 {
		f.logf("slackfake: duplicate ack for envelope %s (%d)", id, e.ack.Count)
		return
	}
	if s := strings.TrimSpace(string(payload)); s != "" && s != "null" {
		e.ack.Payload = append(json.RawMessage(nil), payload...)
	}
	e.ack.Latency = at.Sub(e.sentAt)
	if e.ack.Latency > AckTimeout {
		e.ack.Problem = fmt.Sprintf("ack after %s (limit 3s): %s; its payload is ignored", e.ack.Latency.Round(time.Millisecond), timeoutEffect(e))
	} else {
		e.ack.Problem = f.applyAckLocked(e)
	}
	if e.ack.Problem != "" {
		f.logf("slackfake: envelope %s (%s): %s", id, e.kind, e.ack.Problem)
	}
	close(e.acked)
}

// applyAckLocked acts on an ack payload the way Slack does and returns a
// problem description, or "".
func (f *Fake) applyAckLocked(e *envelope) string {
	p := e.ack.Payload
	switch {
	case e.typ == TypeSlashCommands:
		if p == nil {
			return ""
		}
		var m struct {
			Text         string          `json:"text"`
			Blocks       json.RawMessage `json:"blocks"`
			ResponseType string          `json:"response_type"`
			ThreadTS     string          `json:"thread_ts"`
		}
		if err := json.Unmarshal(p, &m); err != nil {
			return "slash ack payload is not a message object: " + err.Error()
		}
		if m.Text == "" && normalizeBlocksJSON(m.Blocks) == nil {
			return ""
		}
		blocks, ae := messageInput(m.Text, m.Blocks)
		if ae != nil {
			return ae.code + ": " + strings.Join(ae.messages, "; ")
		}
		if code := f.applyResponseLocked(e.user, e.channel, "", false, m.Text, blocks, m.ResponseType, false, false, m.ThreadTS); code != "" {
			return code
		}
	case e.kind == "view_submission":
		return f.applySubmissionAckLocked(e)
	case e.kind == "block_suggestion":
		if problem := checkSuggestionAck(p); problem != "" {
			return problem
		}
		f.rememberSuggestionsLocked(e, p)
	}
	return ""
}

func (f *Fake) applySubmissionAckLocked(e *envelope) string {
	v, ok := f.views[e.viewID]
	if !ok || !f.isOpenLocked(v) {
		return "view_submission ack for a view that is no longer open"
	}
	var r struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if e.ack.Payload != nil {
		if err := json.Unmarshal(e.ack.Payload, &r); err != nil {
			return `view_submission ack payload is not an object: the modal shows "We had some trouble connecting"`
		}
	}
	switch r.ResponseAction {
	case "":
		f.closeViewLocked(v.user, v.id)
	case "clear":
		delete(f.stacks, v.user)
	case "errors":
		inputs := map[string]bool{}
		for _, b := range v.blocks() {
			if bo, ok := b.(map[string]any); ok && str(bo["type"]) == "input" {
				inputs[str(bo["block_id"])] = true
			}
		}
		if len(r.Errors) == 0 {
			return `response_action errors without errors: the modal shows "We had some trouble connecting"`
		}
		for k := range r.Errors {
			if !inputs[k] {
				return fmt.Sprintf(`response_action errors key %q is not an input block_id of view %s: the modal shows "We had some trouble connecting"`, k, v.id)
			}
		}
		v.errors = r.Errors
	case "update", "push":
		obj, ae := parseView(r.View)
		if ae != nil {
			return fmt.Sprintf(`response_action %s with an invalid view (%s: %s): the modal shows "We had some trouble connecting"`, r.ResponseAction, ae.code, strings.Join(ae.messages, "; "))
		}
		if r.ResponseAction == "update" {
			f.replaceViewLocked(v, obj)
			return ""
		}
		if len(f.stacks[v.user]) >= MaxViewStack {
			return `response_action push beyond 3 stacked views (push_limit_reached): the modal shows "We had some trouble connecting"`
		}
		f.pushViewLocked(v.user, obj)
	default:
		return fmt.Sprintf(`unknown response_action %q: the modal shows "We had some trouble connecting"`, r.ResponseAction)
	}
	return ""
}

// ackOf reads an envelope's ack under the lock.
func (f *Fake) ackOf(e *envelope) Ack {
	f.mu.Lock()
	defer f.mu.Unlock()
	return e.ack
}

// --- payload building -------------------------------------------------------

func (f *Fake) userLocked(id string) (User, error) {
	u, ok := f.users[id]
	if !ok {
		return User{}, fmt.Errorf("slackfake: unknown user %q (AddUser first)", id)
	}
	return u, nil
}

func (f *Fake) channelNameLocked(id string) (string, error) {
	if c, ok := f.channels[id]; ok {
		return c.Name, nil
	}
	if strings.HasPrefix(id, "D") {
		return "directmessage", nil
	}
	return "", fmt.Errorf("slackfake: unknown channel %q (AddChannel first)", id)
}

func (f *Fake) userRef(u User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": u.TeamID}
}

func (f *Fake) teamRef() map[string]any {
	return map[string]any{"id": f.opts.TeamID, "domain": f.opts.TeamDomain}
}

// verificationToken is the deprecated per-app token Slack still puts in
// payloads; not a secret.
const verificationToken = "fakeverificationtoken"

func (f *Fake) interactionBase(kind string, u User) map[string]any {
	return map[string]any{
		"type":                  kind,
		"token":                 verificationToken,
		"api_app_id":            f.opts.AppID,
		"team":                  f.teamRef(),
		"user":                  f.userRef(u),
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}

func actionTS() string {
	now := time.Now()
	return strconv.FormatInt(now.Unix(), 10) + "." + fmt.Sprintf("%06d", now.Nanosecond()/1000)
}

// Slash runs a slash command line such as "/pd note hello" as user in
// channel. The text is escaped as Slack does for should_escape: true.
func (f *Fake) Slash(user, channel, line string) (*Delivery, error) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "/") {
		return nil, fmt.Errorf("slackfake: %q is not a slash command", line)
	}
	cmd, text, _ := strings.Cut(line, " ")
	u, chName, err := f.lockUserChannel(user, channel)
	if err != nil {
		return nil, err
	}
	trig := f.newTriggerLocked(user, "")
	resp := f.newResponseURLLocked("commands", user, channel, "", false)
	payload := map[string]string{
		"token":                 verificationToken,
		"team_id":               f.opts.TeamID,
		"team_domain":           f.opts.TeamDomain,
		"channel_id":            channel,
		"channel_name":          chName,
		"user_id":               u.ID,
		"user_name":             u.Name,
		"command":               cmd,
		"text":                  f.escapeLocked(strings.TrimSpace(text)),
		"api_app_id":            f.opts.AppID,
		"is_enterprise_install": "false",
		"response_url":          resp,
		"trigger_id":            trig,
	}
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeSlashCommands, kind: cmd, payload: mustJSON(payload), accepts: true, user: user, channel: channel}, trig, resp)
}

// Shortcut runs a global shortcut (no channel, no response_url).
func (f *Fake) Shortcut(user, callbackID string) (*Delivery, error) {
	f.mu.Lock()
	u, err := f.userLocked(user)
	if err != nil {
		f.mu.Unlock()
		return nil, err
	}
	trig := f.newTriggerLocked(user, "")
	p := f.interactionBase("shortcut", u)
	p["callback_id"] = callbackID
	p["trigger_id"] = trig
	p["action_ts"] = actionTS()
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "shortcut", payload: mustJSON(p), user: user}, trig, "")
}

// MessageShortcut runs a message shortcut on the message messageTS in channel.
func (f *Fake) MessageShortcut(user, channel, messageTS, callbackID string) (*Delivery, error) {
	u, chName, err := f.lockUserChannel(user, channel)
	if err != nil {
		return nil, err
	}
	m := f.findMessageLocked(channel, messageTS)
	if m == nil || m.Deleted {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: no message %s in %s", messageTS, channel)
	}
	trig := f.newTriggerLocked(user, "")
	resp := f.newResponseURLLocked("actions", user, channel, "", false)
	p := f.interactionBase("message_action", u)
	p["callback_id"] = callbackID
	p["trigger_id"] = trig
	p["action_ts"] = actionTS()
	p["message_ts"] = messageTS
	p["channel"] = map[string]any{"id": channel, "name": chName}
	p["message"] = f.messageObject(m)
	p["response_url"] = resp
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "message_action", payload: mustJSON(p), user: user, channel: channel}, trig, resp)
}

// ClickButton clicks the button with actionID in a message user can see
// (a channel message or one of their ephemerals), sending its value.
func (f *Fake) ClickButton(user, channel, messageTS, actionID string) (*Delivery, error) {
	return f.clickMessage(user, channel, messageTS, actionID, nil)
}

// ClickButtonValue is ClickButton with a forged value, as a malicious client could send.
func (f *Fake) ClickButtonValue(user, channel, messageTS, actionID, value string) (*Delivery, error) {
	return f.clickMessage(user, channel, messageTS, actionID, &value)
}

func (f *Fake) clickMessage(user, channel, ts, actionID string, forged *string) (*Delivery, error) {
	u, chName, err := f.lockUserChannel(user, channel)
	if err != nil {
		return nil, err
	}
	m := f.findVisibleLocked(user, channel, ts)
	if m == nil || m.Deleted {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: user %s sees no message %s in %s", user, ts, channel)
	}
	var blocks []any
	_ = json.Unmarshal(m.Blocks, &blocks)
	blockID, el := findElement(blocks, actionID)
	if el == nil || str(el["type"]) != "button" {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: message %s has no button %q", ts, actionID)
	}
	trig := f.newTriggerLocked(user, "")
	resp := f.newResponseURLLocked("actions", user, channel, ts, m.Ephemeral)
	p := f.interactionBase("block_actions", u)
	p["trigger_id"] = trig
	p["container"] = map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": m.Ephemeral}
	p["channel"] = map[string]any{"id": channel, "name": chName}
	if !m.Ephemeral { // Slack leaves the message out for ephemerals
		p["message"] = f.messageObject(m)
	}
	p["state"] = map[string]any{"values": map[string]any{}}
	p["response_url"] = resp
	p["actions"] = []any{buttonAction(blockID, el, forged)}
	f.mu.Unlock()
	return f.send(&envelope{typ: TypeInteractive, kind: "block_actions", payload: mustJSON(p), user: user, channel: channel}, trig, resp)
}

func buttonAction(blockID string, el map[string]any, forged *string) map[string]any {
	a := map[string]any{
		"type":      "button",
		"action_id": str(el["action_id"]),
		"block_id":  blockID,
		"text":      map[string]any{"type": "plain_text", "text": textOf(el["text"]), "emoji": true},
		"action_ts": actionTS(),
	}
	if v, ok := el["value"].(string); ok {
		a["value"] = v
	}
	if forged != nil {
		a["value"] = *forged
	}
	if s := str(el["style"]); s != "" {
		a["style"] = s
	}
	return a
}

// findElement finds the interactive element with actionID in blocks and
// returns it with its block_id.
func findElement(blocks []any, actionID string) (string, map[string]any) {
	for _, b := range blocks {
		bo, _ := b.(map[string]any)
		var cands []any
		if a, ok := bo["accessory"]; ok {
			cands = append(cands, a)
		}
		if e, ok := bo["element"]; ok {
			cands = append(cands, e)
		}
		if els, ok := bo["elements"].([]any); ok {
			cands = append(cands, els...)
		}
		for _, c := range cands {
			if co, ok := c.(map[string]any); ok && str(co["action_id"]) == actionID {
				return str(bo["block_id"]), co
			}
		}
	}
	return "", nil
}

// openViewLocked returns a view user has open.
func (f *Fake) openViewLocked(user, viewID string) (*viewState, error) {
	v, ok := f.views[viewID]
	if !ok || v.user != user || !f.isOpenLocked(v) {
		return nil, fmt.Errorf("slackfake: user %s has no open view %s", user, viewID)
	}
	return v, nil
}

// lockUserChannel locks f.mu and returns the user and the channel's name;
// on an error it unlocks and returns the error.
func (f *Fake) lockUserChannel(user, channel string) (User, string, error) {
	f.mu.Lock()
	u, err := f.userLocked(user)
	if err != nil {
		f.mu.Unlock()
		return User{}, "", err
	}
	name, err := f.channelNameLocked(channel)
	if err != nil {
		f.mu.Unlock()
		return User{}, "", err
	}
	return u, name, nil
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

// Value is what a user entered in one input element. Type defaults to the
// element's type; set the field that fits it.
type Value struct {
	Type            string
	Value           string   // plain_text_input, datepicker (selected_date) …
	SelectedOption  string   // value of the option of a static/external select or radio
	SelectedOptions []string // values for multi selects and checkboxes
	SelectedUser    string
	SelectedUsers   []string
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

// buildState fills state.values for every input block of a view (and any
// other block values names).
func buildState(blocks []any, values map[string]map[string]Value, suggested func(actionID, value string) any) (map[string]any, error) {
	state := map[string]any{}
	used := map[string]bool{}
	for _, b := range blocks {
		bo, _ := b.(map[string]any)
		bid := str(bo["block_id"])
		var els []map[string]any
		switch str(bo["type"]) {
		case "input":
			if el, ok := bo["element"].(map[string]any); ok {
				els = append(els, el)
			}
		case "actions", "section":
			if values[bid] == nil {
				continue
			}
			if a, ok := bo["accessory"].(map[string]any); ok {
				els = append(els, a)
			}
			for _, e := range anySlice(bo["elements"]) {
				if eo, ok := e.(map[string]any); ok {
					els = append(els, eo)
				}
			}
		default:
			continue
		}
		for _, el := range els {
			aid := str(el["action_id"])
			given, has := values[bid][aid]
			if has {
				used[bid+"\x00"+aid] = true
			} else if str(bo["type"]) != "input" {
				continue
			}
			sv := stateValue(el, given, has, suggested)
			if str(bo["type"]) == "input" && !has && isEmptyState(sv) {
				if opt, _ := bo["optional"].(bool); !opt {
					return nil, fmt.Errorf("slackfake: required input %s/%s is empty; Slack would not submit", bid, aid)
				}
			}
			if state[bid] == nil {
				state[bid] = map[string]any{}
			}
			state[bid].(map[string]any)[aid] = sv
		}
	}
	for bid, m := range values {
		for aid := range m {
			if !used[bid+"\x00"+aid] {
				return nil, fmt.Errorf("slackfake: the view has no element %s/%s", bid, aid)
			}
		}
	}
	return state, nil
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func isEmptyState(sv map[string]any) bool {
	for k, v := range sv {
		if k == "type" {
			continue
		}
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				return false
			}
		case []any:
			if len(x) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// stateValue is one element's entry in state.values.
// suggested returns the option the bot offered with that value for an
// external select (nil if it offered none).
func stateValue(el map[string]any, given Value, has bool, suggested func(actionID, value string) any) map[string]any {
	typ := str(el["type"])
	if given.Type != "" {
		typ = given.Type
	}
	sv := map[string]any{"type": typ}
	option := func(val string) any {
		if val == "" {
			return nil
		}
		if o := findOption(el, val); o != nil {
			return o
		}
		if suggested != nil {
			if o := suggested(str(el["action_id"]), val); o != nil {
				return o
			}
		}
		return map[string]any{"text": map[string]any{"type": "plain_text", "text": val, "emoji": true}, "value": val}
	}
	options := func(vals []string) []any {
		out := []any{}
		for _, v := range vals {
			out = append(out, option(v))
		}
		return out
	}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		if has {
			sv["value"] = nilIfEmpty(given.Value)
		} else {
			sv["value"] = nilIfEmpty(str(el["initial_value"]))
		}
	case "datepicker":
		sv["selected_date"] = nilIfEmpty(pick(has, given.Value, str(el["initial_date"])))
	case "timepicker":
		sv["selected_time"] = nilIfEmpty(pick(has, given.Value, str(el["initial_time"])))
	case "static_select", "external_select", "radio_buttons":
		if has {
			sv["selected_option"] = option(given.SelectedOption)
		} else {
			sv["selected_option"] = el["initial_option"]
		}
	case "multi_static_select", "multi_external_select", "checkboxes":
		if has {
			sv["selected_options"] = options(given.SelectedOptions)
		} else if io, ok := el["initial_options"].([]any); ok {
			sv["selected_options"] = io
		} else {
			sv["selected_options"] = []any{}
		}
	case "users_select":
		sv["selected_user"] = nilIfEmpty(pick(has, given.SelectedUser, str(el["initial_user"])))
	case "multi_users_select":
		if has {
			sv["selected_users"] = strSlice(given.SelectedUsers)
		} else if iu, ok := el["initial_users"].([]any); ok {
			sv["selected_users"] = iu
		} else {
			sv["selected_users"] = []any{}
		}
	case "conversations_select":
		sv["selected_conversation"] = nilIfEmpty(pick(has, given.Value, str(el["initial_conversation"])))
	case "channels_select":
		sv["selected_channel"] = nilIfEmpty(pick(has, given.Value, str(el["initial_channel"])))
	default:
		if has {
			sv["value"] = given.Value
		}
	}
	return sv
}

func pick(has bool, given, initial string) string {
	if has {
		return given
	}
	return initial
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func strSlice(s []string) []any {
	out := make([]any, 0, len(s))
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

// findOption finds the option with value in a select's options or groups.
func findOption(el map[string]any, value string) map[string]any {
	all := anySlice(el["options"])
	for _, g := range anySlice(el["option_groups"]) {
		gm, _ := g.(map[string]any)
		all = append(all, anySlice(gm["options"])...)
	}
	for _, o := range all {
		if om, ok := o.(map[string]any); ok && str(om["value"]) == value {
			return om
		}
	}
	return nil
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

// SendEvent delivers an Events API event. eventJSON is either the inner
// event (e.g. {"type":"app_mention",…}), which gets wrapped in an
// event_callback, or a complete event_callback.
func (f *Fake) SendEvent(eventJSON []byte) (*Delivery, error) {
	var probe struct {
		Type  string          `json:"type"`
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(eventJSON, &probe); err != nil {
		return nil, fmt.Errorf("slackfake: event is not JSON: %w", err)
	}
	payload := json.RawMessage(eventJSON)
	kind := probe.Type
	if probe.Type == "event_callback" {
		var inner struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(probe.Event, &inner)
		kind = inner.Type
	} else {
		payload = mustJSON(map[string]any{
			"token":                 verificationToken,
			"team_id":               f.opts.TeamID,
			"api_app_id":            f.opts.AppID,
			"event":                 json.RawMessage(eventJSON),
			"type":                  "event_callback",
			"event_id":              newID("Ev"),
			"event_time":            time.Now().Unix(),
			"is_ext_shared_channel": false,
			"authorizations": []any{map[string]any{
				"enterprise_id": nil, "team_id": f.opts.TeamID, "user_id": f.opts.BotUserID,
				"is_bot": true, "is_enterprise_install": false,
			}},
		})
	}
	return f.send(&envelope{typ: TypeEventsAPI, kind: kind, payload: payload}, "", "")
}

// rememberSuggestionsLocked keeps the options of a block_suggestion answer,
// so that submitting one of them carries its text, as in Slack.
func (f *Fake) rememberSuggestionsLocked(e *envelope, payload json.RawMessage) {
	var req struct {
		ActionID string `json:"action_id"`
	}
	var ack struct {
		Options      []map[string]any `json:"options"`
		OptionGroups []struct {
			Options []map[string]any `json:"options"`
		} `json:"option_groups"`
	}
	if json.Unmarshal(e.payload, &req) != nil || json.Unmarshal(payload, &ack) != nil {
		return
	}
	key := e.viewID + "\x00" + req.ActionID
	if f.suggested[key] == nil {
		f.suggested[key] = map[string]any{}
	}
	opts := ack.Options
	for _, g := range ack.OptionGroups {
		opts = append(opts, g.Options...)
	}
	for _, o := range opts {
		if v, ok := o["value"].(string); ok {
			f.suggested[key][v] = o
		}
	}
}
