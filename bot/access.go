package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/store"
)

// isDirect reports whether a conversation is a DM (IDs start with D), a
// group DM (Slack names them mpdm-…) or no channel at all (global
// shortcuts answer in the app's own DM).
func isDirect(channel, name string) bool {
	return channel == "" || strings.HasPrefix(channel, "D") || strings.HasPrefix(name, "mpdm-")
}

// requireAdmin refuses a requester who may not manage keys and mappings,
// without naming how pdbot's operator configures admins.
func (b *Bot) requireAdmin(ctx context.Context, c *call) error {
	ok, err := b.isAdmin(ctx, c.team, c.user)
	if err != nil {
		return err
	}
	if !ok {
		return handlers.Userf("Only workspace admins and owners can manage pdbot's keys and user mappings, so nothing was changed. Ask a workspace admin.")
	}
	return nil
}

// mayUseKey refuses, before any PagerDuty request, a requester pdbot
// cannot vouch for: guests, people of another organisation (in a shared
// channel, or whose profile Slack does not show) use no key, reads
// included, unless a workspace admin vouched for them with /pd map; bots
// and deactivated accounts use none at all. In DMs and group DMs the workspace
// default key serves full members only.
func (b *Bot) mayUseKey(ctx context.Context, c *call) error {
	u, err := b.users.get(ctx, c.user)
	var se slack.SlackErrorResponse
	unreadable := errors.As(err, &se) && se.Err == "user_not_found"
	if err != nil && !unreadable {
		return err
	}
	if !unreadable && u.IsBot {
		return handlers.Userf("Only people can use PagerDuty through pdbot, and this request came from a bot account, so nothing was sent.")
	}
	if !unreadable && u.Deleted {
		return handlers.Userf("This Slack account is deactivated, so pdbot sent nothing to PagerDuty for it.")
	}
	stranger := unreadable || u.IsStranger || b.foreign(c.team, u.TeamID)
	guest := !unreadable && (u.IsRestricted || u.IsUltraRestricted)
	if !stranger && !guest {
		return nil
	}
	vouched, err := b.vouched(ctx, c.team, c.user)
	if err != nil {
		return err
	}
	who := "guests"
	if stranger {
		who = "people from other organisations"
	}
	if !vouched {
		if stranger {
			return handlers.Userf("pdbot uses PagerDuty only for members of this workspace, and you belong to another organisation, so nothing was sent. Ask a workspace admin to vouch for you with `/pd map @you your-pagerduty-email`.")
		}
		return handlers.Userf("pdbot uses PagerDuty only for full members of this workspace, and guests need a workspace admin to vouch for them, so nothing was sent. Ask a workspace admin to vouch for you with `/pd map @you your-pagerduty-email`.")
	}
	if c.direct {
		_, err := b.store.APIKeyInfo(ctx, c.team, c.channel)
		switch {
		case c.channel == store.DefaultChannel || errors.Is(err, store.ErrNotFound):
			return handlers.Userf("In direct messages pdbot uses the workspace's default PagerDuty key for full members only, not for %s, so nothing was sent. Run the command in a channel that has its own key (an admin sets one there with `/pd key`).", who)
		case err != nil && !errors.Is(err, store.ErrCannotUnseal):
			return fmt.Errorf("read api key info: %w", err)
		}
	}
	return nil
}

// vouched reports whether a workspace admin mapped the user with /pd map.
func (b *Bot) vouched(ctx context.Context, team, user string) (bool, error) {
	m, err := b.store.Mapping(ctx, team, user)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read mapping: %w", err)
	}
	return m.Override && m.Email != "", nil
}

// checkFreeText refuses key-shaped words in what a FreeText route would
// send to PagerDuty or post: the slash text, a form's text inputs, the
// message a shortcut was used on.
func checkFreeText(req *handlers.Request) error {
	texts := []string{req.Text}
	for _, block := range req.Values {
		for _, v := range block {
			texts = append(texts, v.Value)
		}
	}
	if req.Message != nil {
		texts = append(texts, req.Message.Text)
	}
	return handlers.CheckFreeText(texts...)
}
