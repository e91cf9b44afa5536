package bot

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// channelTTL bounds how long a channel's topic and purpose are trusted: a
// busy incident channel then costs one conversations.info every 30 s, not
// one per command. A topic changed to name another incident is seen within
// that time; `/pd link` (read from the store every time) takes effect at
// once and wins over the topic.
const channelTTL = 30 * time.Second

// maxCachedChannels is when the channel cache sweeps out expired entries.
const maxCachedChannels = 10000

// channelCache caches what conversations.info says of a channel's topic and
// purpose. A channel pdbot cannot read is cached too, as "nothing there".
type channelCache struct {
	api *slack.Client
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedChannel
}

type cachedChannel struct {
	topic, purpose string
	exp            time.Time
}

func newChannelCache(api *slack.Client, now func() time.Time) *channelCache {
	return &channelCache{api: api, now: now, m: map[string]cachedChannel{}}
}

// texts returns the channel's topic and purpose ("" for a DM or a channel
// the bot cannot read).
func (c *channelCache) texts(ctx context.Context, id string) (topic, purpose string) {
	c.mu.Lock()
	if cc, ok := c.m[id]; ok && c.now().Before(cc.exp) {
		c.mu.Unlock()
		return cc.topic, cc.purpose
	}
	c.mu.Unlock()
	var cc cachedChannel
	ch, err := c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err == nil {
		cc.topic, cc.purpose = ch.Topic.Value, ch.Purpose.Value
	} else if ctx.Err() != nil {
		return "", "" // not an answer about the channel: do not cache it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.m) >= maxCachedChannels {
		for k, v := range c.m {
			if !now.Before(v.exp) {
				delete(c.m, k)
			}
		}
	}
	cc.exp = now.Add(channelTTL)
	c.m[id] = cc
	return cc.topic, cc.purpose
}
