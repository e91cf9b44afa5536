package slackfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
