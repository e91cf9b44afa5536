package slackfake

import (
	"encoding/json"
	"fmt"
)

// ChooseOverflow picks the option with value in the overflow menu actionID
// of a message user can see, as Slack sends it: a block_actions whose
// action is the overflow, with the chosen option as selected_option.
func (f *Fake) ChooseOverflow(user, channel, messageTS, actionID, value string) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, chName, err := f.userChannelLocked(user, channel)
		if err != nil {
			return nil, err
		}
		m := f.findVisibleLocked(user, channel, messageTS)
		if m == nil || m.Deleted {
			return nil, fmt.Errorf("slackfake: user %s sees no message %s in %s", user, messageTS, channel)
		}
		var blocks []any
		_ = json.Unmarshal(m.Blocks, &blocks)
		blockID, el := findElement(blocks, actionID)
		if el == nil || str(el["type"]) != "overflow" {
			return nil, fmt.Errorf("slackfake: message %s has no overflow menu %q", messageTS, actionID)
		}
		var chosen map[string]any
		for _, o := range anySlice(el["options"]) {
			if om, ok := o.(map[string]any); ok && str(om["value"]) == value {
				chosen = om
			}
		}
		if chosen == nil {
			return nil, fmt.Errorf("slackfake: overflow menu %q has no option %q", actionID, value)
		}
		trig := f.newTriggerLocked(user, "")
		resp := f.newResponseURLLocked("actions", user, channel, messageTS, m.Ephemeral)
		p := f.interactionBase("block_actions", u)
		p["trigger_id"] = trig
		p["container"] = map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel, "is_ephemeral": m.Ephemeral}
		p["channel"] = map[string]any{"id": channel, "name": chName}
		if !m.Ephemeral {
			p["message"] = f.messageObject(m)
		}
		p["state"] = map[string]any{"values": map[string]any{}}
		p["response_url"] = resp
		p["actions"] = []any{map[string]any{
			"type": "overflow", "action_id": actionID, "block_id": blockID,
			"selected_option": chosen, "action_ts": actionTS(),
		}}
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "block_actions", payload: mustJSON(p), user: user, channel: channel}, triggerID: trig, responseURL: resp}, nil
	})
}
