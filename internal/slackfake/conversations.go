package slackfake

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Conversation limits (conversations.create and conversations.setTopic
// docs, slack-web-openapi.json's error enums).
const (
	// MaxChannelName is the longest channel name Slack accepts
	// (invalid_name_maxlength beyond).
	MaxChannelName = 80
	// MaxTopic is the longest channel topic (too_long beyond).
	MaxTopic = 250
	// maxInvitees is how many users one conversations.invite may name.
	maxInvitees = 1000
)

// Members returns the users pdbot invited to a channel (conversations.invite),
// and the bot itself for a channel it created, in the order they joined.
func (f *Fake) Members(channel string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.members[channel])
}

// ChannelByName returns the conversation called name.
func (f *Fake) ChannelByName(name string) (Channel, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.channels {
		if c.Name == name {
			return *c, true
		}
	}
	return Channel{}, false
}

// checkChannelName applies Slack's rules for a new channel's name: 1 to 80
// characters, lower-case letters, digits, hyphens and underscores, not only
// punctuation. Upper case is refused too (invalid_name; the exact code
// Slack gives for it is unverified — it lower-cases names in its own UI).
func checkChannelName(name string) *apiError {
	switch {
	case name == "":
		return fail("invalid_name_required")
	case utf8.RuneCountInString(name) > MaxChannelName:
		return fail("invalid_name_maxlength")
	case strings.Trim(name, "-_") == "":
		return fail("invalid_name_punctuation")
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
		case r >= 'A' && r <= 'Z':
			return fail("invalid_name")
		default:
			return fail("invalid_name_specials")
		}
	}
	return nil
}

// conversationsCreate makes a channel (public unless is_private) with the
// bot, its creator, as its only member.
func (f *Fake) conversationsCreate(req *request) (map[string]any, *apiError) {
	name := req.str("name")
	if e := checkChannelName(name); e != nil {
		return nil, e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.channels {
		if c.Name == name {
			return nil, fail("name_taken")
		}
	}
	prefix := "C"
	private := req.str("is_private") == "true"
	if private {
		prefix = "G"
	}
	c := &Channel{ID: newID(prefix), Name: name, IsPrivate: private}
	f.channels[c.ID] = c
	f.members[c.ID] = []string{f.opts.BotUserID}
	obj := channelObject(*c)
	obj["creator"] = f.opts.BotUserID
	obj["name_normalized"] = name
	return map[string]any{"ok": true, "channel": obj}, nil
}

// memberChannelLocked finds a channel the bot may act in.
func (f *Fake) memberChannelLocked(id string) (*Channel, *apiError) {
	c, ok := f.channels[id]
	if !ok {
		return nil, fail("channel_not_found")
	}
	if f.notMember[id] {
		return nil, fail("not_in_channel")
	}
	return c, nil
}

func (f *Fake) conversationsSetTopic(req *request) (map[string]any, *apiError) {
	topic := req.str("topic")
	f.mu.Lock()
	defer f.mu.Unlock()
	c, e := f.memberChannelLocked(req.str("channel"))
	if e != nil {
		return nil, e
	}
	if utf8.RuneCountInString(topic) > MaxTopic {
		return nil, fail("too_long")
	}
	c.Topic = topic
	return map[string]any{"ok": true, "channel": channelObject(*c)}, nil
}

// conversationsInvite adds users to a channel the bot is in. A user who
// cannot be added fails the call with Slack's per-user errors list.
func (f *Fake) conversationsInvite(req *request) (map[string]any, *apiError) {
	var users []string
	for _, u := range strings.Split(req.str("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, e := f.memberChannelLocked(req.str("channel"))
	if e != nil {
		return nil, e
	}
	switch {
	case len(users) == 0:
		return nil, fail("no_user")
	case len(users) > maxInvitees:
		return nil, fail("too_many_users")
	}
	var errs []map[string]any
	for _, u := range users {
		code := ""
		usr, known := f.users[u]
		switch {
		case u == f.opts.BotUserID:
			code = "cant_invite_self"
		case !known || usr.Deleted:
			code = "user_not_found"
		case usr.IsUltraRestricted:
			code = "user_is_ultra_restricted"
		case slices.Contains(f.members[c.ID], u):
			code = "already_in_channel"
		}
		if code != "" {
			errs = append(errs, map[string]any{"user": u, "ok": false, "error": code})
		}
	}
	if len(errs) > 0 {
		e := fail(errs[0]["error"].(string))
		e.errors = errs
		return nil, e
	}
	f.members[c.ID] = append(f.members[c.ID], users...)
	obj := channelObject(*c)
	obj["num_members"] = len(f.members[c.ID])
	return map[string]any{"ok": true, "channel": obj}, nil
}
