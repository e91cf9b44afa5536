package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Slash runs a slash command line such as "/pd note hello" as user in
// channel. The text is escaped as Slack does for should_escape: true.
func (f *Fake) Slash(user, channel, line string) (*Delivery, error) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "/") {
		return nil, fmt.Errorf("slackfake: %q is not a slash command", line)
	}
	cmd, text, _ := strings.Cut(line, " ")
	return f.interact(func() (*outgoing, error) {
		u, chName, err := f.userChannelLocked(user, channel)
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
		return &outgoing{env: &envelope{typ: TypeSlashCommands, kind: cmd, payload: mustJSON(payload), accepts: true, user: user, channel: channel}, triggerID: trig, responseURL: resp}, nil
	})
}

// Shortcut runs a global shortcut (no channel, no response_url).
func (f *Fake) Shortcut(user, callbackID string) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, err := f.userLocked(user)
		if err != nil {
			return nil, err
		}
		trig := f.newTriggerLocked(user, "")
		p := f.interactionBase("shortcut", u)
		p["callback_id"] = callbackID
		p["trigger_id"] = trig
		p["action_ts"] = actionTS()
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "shortcut", payload: mustJSON(p), user: user}, triggerID: trig}, nil
	})
}

// MessageShortcut runs a message shortcut on the message messageTS in channel.
func (f *Fake) MessageShortcut(user, channel, messageTS, callbackID string) (*Delivery, error) {
	return f.interact(func() (*outgoing, error) {
		u, chName, err := f.userChannelLocked(user, channel)
		if err != nil {
			return nil, err
		}
		m := f.findMessageLocked(channel, messageTS)
		if m == nil || m.Deleted {
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
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "message_action", payload: mustJSON(p), user: user, channel: channel}, triggerID: trig, responseURL: resp}, nil
	})
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
	return f.interact(func() (*outgoing, error) {
		u, chName, err := f.userChannelLocked(user, channel)
		if err != nil {
			return nil, err
		}
		m := f.findVisibleLocked(user, channel, ts)
		if m == nil || m.Deleted {
			return nil, fmt.Errorf("slackfake: user %s sees no message %s in %s", user, ts, channel)
		}
		var blocks []any
		_ = json.Unmarshal(m.Blocks, &blocks)
		blockID, el := findElement(blocks, actionID)
		if el == nil || str(el["type"]) != "button" {
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
		return &outgoing{env: &envelope{typ: TypeInteractive, kind: "block_actions", payload: mustJSON(p), user: user, channel: channel}, triggerID: trig, responseURL: resp}, nil
	})
}

// userChannelLocked returns the user and the channel's name.
func (f *Fake) userChannelLocked(user, channel string) (User, string, error) {
	u, err := f.userLocked(user)
	if err != nil {
		return User{}, "", err
	}
	name, err := f.channelNameLocked(channel)
	if err != nil {
		return User{}, "", err
	}
	return u, name, nil
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
