package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// mappingTTL: a looked-up mapping is trusted this long; an admin override
// never expires.
const mappingTTL = 24 * time.Hour

// actor maps a Slack user (the requester, or someone mentioned) to the
// PagerDuty user of the account behind pd's key they act as. An admin
// override names the email; otherwise it is the Slack profile email, matched
// exactly (ASCII case only, pdapi.SameEmail) against PagerDuty users. The match is cached
// in the store per key, so a mapping learnt with one PagerDuty account is
// never used with another's key. A user who maps to nobody gets advice and
// nothing is sent to PagerDuty on their behalf.
func (b *Bot) actor(ctx context.Context, team, user string, pd *pdapi.Client) (handlers.Actor, error) {
	override, err := b.store.Mapping(ctx, team, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return handlers.Actor{}, fmt.Errorf("read mapping: %w", err)
	}
	// An admin's mapping vouches for people pdbot cannot vouch for itself:
	// those whose profile it cannot read or who belong to another
	// organisation (whose email that organisation controls).
	overridden := err == nil && override.Override && override.Email != ""
	var email string
	u, err := b.users.get(ctx, user)
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "user_not_found" && !overridden:
		return handlers.Actor{}, handlers.Userf("pdbot cannot read that Slack profile (a user of another organisation?), so it cannot tell who it is in PagerDuty. A workspace admin can vouch for them with `/pd map @user their-pagerduty-email`.")
	case errors.As(err, &se) && se.Err == "user_not_found":
	case err != nil:
		return handlers.Actor{}, err
	case u.Deleted || u.IsBot:
		return handlers.Actor{}, handlers.Userf("Only people can act in PagerDuty through pdbot.")
	case (u.IsStranger || b.foreign(team, u.TeamID)) && !overridden:
		return handlers.Actor{}, handlers.Userf("pdbot acts in PagerDuty only for members of this workspace; people from other organisations need a workspace admin to vouch for them with `/pd map @user their-pagerduty-email`.")
	default:
		email = u.Profile.Email
	}
	if overridden {
		email = override.Email
	}
	if email == "" {
		return handlers.Actor{}, handlers.Userf("Slack did not share your email with pdbot, so it cannot tell who you are in PagerDuty. Ask a workspace admin to run `/pd map @you your-pagerduty-email`.")
	}
	cacheKey := user + "@" + pd.KeyID() // Slack IDs hold no "@"
	if c, err := b.store.Mapping(ctx, team, cacheKey); err == nil && pdapi.SameEmail(c.Email, email) && b.now().Sub(c.UpdatedAt) < mappingTTL {
		return handlers.Actor{ID: c.PDUserID, Email: c.Email, Name: c.Name}, nil
	}
	pu, err := pd.FindUserByEmail(ctx, email)
	if err != nil {
		return handlers.Actor{}, err
	}
	switch {
	case pu == nil && overridden:
		return handlers.Actor{}, handlers.Userf("An admin mapped you to %s, but the PagerDuty account of this channel's key has no user with that email, so nothing was sent. Ask an admin to run `/pd map @you your-pagerduty-email` again.", handlers.Escape(email))
	case pu == nil:
		return handlers.Actor{}, handlers.Userf("No PagerDuty user has your Slack email (%s), so nothing was sent. If you use another email in PagerDuty, ask a workspace admin to run `/pd map @you your-pagerduty-email`.", handlers.Escape(email))
	}
	a := handlers.Actor{ID: pu.ID, Email: pu.Email, Name: pu.Name}
	if err := b.store.SetMapping(ctx, team, cacheKey, store.Mapping{PDUserID: a.ID, Email: a.Email, Name: a.Name, UpdatedAt: b.now()}); err != nil {
		b.log.Warn("cache mapping failed", zapErr(err))
	}
	return a, nil
}
