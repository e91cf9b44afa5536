package slackfake

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// MessageVersion is one state of a message: as posted, then after each edit.
type MessageVersion struct {
	Text   string
	Blocks json.RawMessage
	// Method is what made this version: chat.postMessage (or response_url)
	// for the first, chat.update or response_url (replace_original) after.
	Method string
	Time   time.Time
}

// Message returns the current state of the message ts in channel (after
// every chat.update), with its ReplyCount and Edits, and whether it exists.
// A deleted message is returned with Deleted set.
func (f *Fake) Message(channel, ts string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.resolveChannelLocked(channel); ok {
		channel = ch
	}
	m := f.findMessageLocked(channel, ts)
	if m == nil {
		return Message{}, false
	}
	return *m, true
}

// Thread returns the replies in the thread of the message ts in channel,
// oldest first, without the parent. Deleted replies are left out.
func (f *Fake) Thread(channel, ts string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.resolveChannelLocked(channel); ok {
		channel = ch
	}
	var out []Message
	for _, m := range f.messages[channel] {
		if m.ThreadTS == ts && m.TS != ts && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// History returns every version of the message ts in channel, oldest first:
// the message as posted, then one per edit (so len-1 is how many times it
// was updated). It is nil for an unknown message.
func (f *Fake) History(channel, ts string) []MessageVersion {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.resolveChannelLocked(channel); ok {
		channel = ch
	}
	m := f.findMessageLocked(channel, ts)
	if m == nil {
		return nil
	}
	return append([]MessageVersion(nil), f.versions[m]...)
}

// DeleteMessage removes a message as its author or an admin would in
// Slack's client, so that a later chat.update of it gets message_not_found.
// It reports whether the message existed.
func (f *Fake) DeleteMessage(channel, ts string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.resolveChannelLocked(channel); ok {
		channel = ch
	}
	m := f.findMessageLocked(channel, ts)
	if m == nil || m.Deleted {
		return false
	}
	f.deleteLocked(m)
	return true
}

// RemoveBot takes the bot out of channel (kicked, or the channel was left):
// chat.postMessage and chat.update there then answer not_in_channel, and
// conversations.info says is_member false. Bots are members of every
// channel until removed.
func (f *Fake) RemoveBot(channel string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notMember[channel] = true
}

// AddBot puts the bot back into channel (after RemoveBot).
func (f *Fake) AddBot(channel string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.notMember, channel)
}

// addMessageLocked stores a new in-channel message and its first version.
// A reply (ThreadTS set) joins its parent's thread: a reply to a reply goes
// to the parent's thread, as in Slack, and the parent counts it.
func (f *Fake) addMessageLocked(m *Message, method string) {
	if m.ThreadTS != "" {
		if parent := f.findMessageLocked(m.Channel, m.ThreadTS); parent != nil {
			if parent.ThreadTS != "" && parent.ThreadTS != parent.TS {
				m.ThreadTS = parent.ThreadTS
				parent = f.findMessageLocked(m.Channel, parent.ThreadTS)
			}
			if parent != nil {
				parent.ThreadTS = parent.TS
				parent.ReplyCount++
				parent.LatestReply = m.TS
			}
		}
	}
	f.messages[m.Channel] = append(f.messages[m.Channel], m)
	f.versions[m] = []MessageVersion{{Text: m.Text, Blocks: m.Blocks, Method: method, Time: time.Now()}}
}

// editLocked replaces a message's content and records the version.
func (f *Fake) editLocked(m *Message, text string, blocks json.RawMessage, method string) {
	m.Text, m.Blocks, m.Replaced = text, blocks, true
	m.Edits++
	f.versions[m] = append(f.versions[m], MessageVersion{Text: text, Blocks: blocks, Method: method, Time: time.Now()})
}

// deleteLocked marks a message deleted; a deleted reply no longer counts.
func (f *Fake) deleteLocked(m *Message) {
	m.Deleted = true
	if m.ThreadTS == "" || m.ThreadTS == m.TS {
		return
	}
	if parent := f.findMessageLocked(m.Channel, m.ThreadTS); parent != nil && parent.ReplyCount > 0 {
		parent.ReplyCount--
	}
}

// --- rate limits --------------------------------------------------------------

// Slack's posting limits (https://docs.slack.dev/apis/web-api/rate-limits):
// chat.postMessage allows about one message a second per channel, with
// short bursts over that; chat.update is Tier 3, 50+ calls a minute per app
// and workspace. The burst size is not published.
const (
	DefaultPostInterval     = time.Second
	DefaultPostBurst        = 3
	DefaultUpdatesPerMinute = 50
)

// RateLimits are the posting limits EnableRateLimits turns on. Zero fields
// take the Default… values.
type RateLimits struct {
	// PostInterval is the sustained pace of chat.postMessage per channel
	// (thread replies included), and PostBurst how many may go at once.
	PostInterval time.Duration
	PostBurst    int
	// UpdatesPerMinute is chat.update's limit per workspace (burst the same).
	UpdatesPerMinute int
	// Now, if set, replaces time.Now, so tests move time instead of waiting.
	Now func() time.Time
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

type rateLimiter struct {
	RateLimits
	buckets map[string]*bucket
}

// EnableRateLimits turns on Slack's rate limits for chat.postMessage and
// chat.update: a call over the limit is answered HTTP 429 with Retry-After
// (whole seconds until it would pass) and {"ok":false,"error":"ratelimited"},
// which slack-go turns into *slack.RateLimitedError. They are off until
// enabled; enabling again starts with full buckets.
func (f *Fake) EnableRateLimits(rl RateLimits) {
	if rl.PostInterval <= 0 {
		rl.PostInterval = DefaultPostInterval
	}
	if rl.PostBurst <= 0 {
		rl.PostBurst = DefaultPostBurst
	}
	if rl.UpdatesPerMinute <= 0 {
		rl.UpdatesPerMinute = DefaultUpdatesPerMinute
	}
	if rl.Now == nil {
		rl.Now = time.Now
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = &rateLimiter{RateLimits: rl, buckets: map[string]*bucket{}}
}

// DisableRateLimits turns the posting limits off again.
func (f *Fake) DisableRateLimits() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = nil
}

// takeRateLocked spends one call of req against the limits and returns
// the Retry-After in seconds when the call is over them, else 0.
func (f *Fake) takeRateLocked(req *request) int {
	l := f.limits
	if l == nil {
		return 0
	}
	var key string
	var capacity float64
	var interval time.Duration
	switch req.method {
	case "chat.postMessage":
		ch := req.str("channel")
		if resolved, ok := f.resolveChannelLocked(ch); ok {
			ch = resolved
		}
		key, capacity, interval = "post\x00"+ch, float64(l.PostBurst), l.PostInterval
	case "chat.update":
		key, capacity, interval = "update", float64(l.UpdatesPerMinute), time.Minute/time.Duration(l.UpdatesPerMinute)
	default:
		return 0
	}
	now := l.Now()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(capacity, b.tokens+float64(elapsed)/float64(interval))
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	wait := time.Duration((1 - b.tokens) * float64(interval))
	return max(int(math.Ceil(wait.Seconds())), 1)
}

// writeRateLimited answers a call over the limits as Slack does.
func writeRateLimited(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
}
