package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

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
