package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/store"
)

// mappingTTL: a looked-up mapping is trusted this long; an admin override
// never expires.
const mappingTTL = 24 * time.Hour

// actor finds the PagerDuty user a Slack user acts as: an admin override,
// else the Slack profile email matched exactly against PagerDuty users,
// cached in the store. A user who maps to nobody gets advice and nothing is
// sent to PagerDuty on their behalf.
func (b *Bot) actor(ctx context.Context, team, user string, pd *handlers.PD) (handlers.Actor, error) {
	return b.actorFor(ctx, team, user, pd)
}

// actorFor maps any Slack user (the requester, or someone mentioned).
func (b *Bot) actorFor(ctx context.Context, team, user string, pd *handlers.PD) (handlers.Actor, error) {
	m, err := b.store.Mapping(ctx, team, user)
	switch {
	case err == nil && (m.Override || b.now().Sub(m.UpdatedAt) < mappingTTL) && m.Email != "":
		return handlers.Actor{ID: m.PDUserID, Email: m.Email, Name: m.Name}, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return handlers.Actor{}, fmt.Errorf("read mapping: %w", err)
	}
	u, err := b.users.get(ctx, user)
	if err != nil {
		return handlers.Actor{}, err
	}
	if u.Deleted || u.IsBot {
		return handlers.Actor{}, handlers.Userf("Only people can act in PagerDuty through pdbot.")
	}
	email := u.Profile.Email
	if email == "" {
		return handlers.Actor{}, handlers.Userf("Slack did not share your email with pdbot, so it cannot tell who you are in PagerDuty. Ask a workspace admin to run `/pd map @you your-pagerduty-email`.")
	}
	pu, err := pd.FindUserByEmail(ctx, email)
	if err != nil {
		return handlers.Actor{}, err
	}
	if pu == nil {
		return handlers.Actor{}, handlers.Userf("No PagerDuty user has your Slack email (%s), so nothing was sent. If you use another email in PagerDuty, ask a workspace admin to run `/pd map @you your-pagerduty-email`.", handlers.Escape(email))
	}
	a := handlers.Actor{ID: pu.ID, Email: pu.Email, Name: pu.Name}
	if err := b.store.SetMapping(ctx, team, user, store.Mapping{PDUserID: a.ID, Email: a.Email, Name: a.Name, UpdatedAt: b.now()}); err != nil {
		b.log.Warn("cache mapping failed")
	}
	return a, nil
}
