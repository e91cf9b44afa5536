package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
)

// userTTL bounds how long Slack user facts (admin flag, email) are trusted.
const userTTL = time.Minute

// maxCachedUsers is when the user cache sweeps out expired entries.
const maxCachedUsers = 10000

// userCache caches users.info answers briefly so one request does not ask
// Slack twice and a revoked admin loses access within a minute.
type userCache struct {
	api *slack.Client
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedUser
}

type cachedUser struct {
	u   *slack.User
	exp time.Time
}

func newUserCache(api *slack.Client, now func() time.Time) *userCache {
	return &userCache{api: api, now: now, m: map[string]cachedUser{}}
}

func (c *userCache) get(ctx context.Context, id string) (*slack.User, error) {
	c.mu.Lock()
	if cu, ok := c.m[id]; ok && c.now().Before(cu.exp) {
		c.mu.Unlock()
		return cu.u, nil
	}
	c.mu.Unlock()
	return c.fresh(ctx, id)
}

// fresh asks Slack, whatever the cache holds, and caches the answer: for
// rights that must end the moment Slack takes them away.
func (c *userCache) fresh(ctx context.Context, id string) (*slack.User, error) {
	u, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("users.info: %w", err)
	}
	c.mu.Lock()
	now := c.now()
	if len(c.m) >= maxCachedUsers {
		for k, cu := range c.m {
			if !now.Before(cu.exp) {
				delete(c.m, k)
			}
		}
	}
	c.m[id] = cachedUser{u: u, exp: now.Add(userTTL)}
	c.mu.Unlock()
	return u, nil
}

// isAdmin reports whether a user may manage keys and mappings: workspace
// admins and owners and PDBOT_ADMINS, but never guests, bots, deleted users
// or users of another organisation in a shared channel. It asks Slack
// afresh every time, so an admin demoted or deactivated a moment ago is
// refused at once.
func (b *Bot) isAdmin(ctx context.Context, team, user string) (bool, error) {
	u, err := b.users.fresh(ctx, user)
	if err != nil {
		return false, err
	}
	if u.Deleted || u.IsBot || u.IsRestricted || u.IsUltraRestricted || u.IsStranger || b.foreign(team, u.TeamID) {
		return false, nil
	}
	return u.IsAdmin || u.IsOwner || b.admins[user], nil
}

// slackLookup is the handlers.SlackLookup the bot hands out.
type slackLookup struct {
	b    *Bot
	team string
}

func displayName(u *slack.User) string {
	for _, n := range []string{u.Profile.RealName, u.RealName, u.Profile.DisplayName, u.Name} {
		if n != "" {
			return n
		}
	}
	return u.ID
}

func (s slackLookup) Actor(ctx context.Context, id string, pd *pdapi.Client) (handlers.Actor, error) {
	return s.b.actor(ctx, s.team, id, pd)
}

func (s slackLookup) BotInChannel(ctx context.Context, channel string) (bool, error) {
	ch, err := s.b.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "channel_not_found" || se.Err == "not_in_channel") {
		return false, nil // a private channel pdbot is not in looks like none
	}
	if err != nil {
		return false, fmt.Errorf("conversations.info: %w", err)
	}
	return ch.IsMember && !ch.IsArchived, nil
}

// foreign reports whether a user's team is not the workspace pdbot is
// installed in (learnt from auth.test at start-up; the payload's team until
// then).
func (b *Bot) foreign(payloadTeam, userTeam string) bool {
	home := b.homeTeam()
	if home == "" {
		home = payloadTeam
	}
	return userTeam != "" && userTeam != home
}

func (b *Bot) homeTeam() string {
	if t, ok := b.team.Load().(string); ok {
		return t
	}
	return ""
}
