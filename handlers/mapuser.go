package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
)

var (
	mentionRe = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
	emailRe   = regexp.MustCompile(`^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$`)
)

func mapRoutes() []Route {
	return []Route{{
		Kind: Slash, ID: "map", Usage: "map [list | @USER EMAIL|PD_USER_ID]",
		Help:      "(admins) Make a Slack user act as that PagerDuty user (an override); `list` shows the overrides.",
		AdminOnly: true, NeedsKey: true, NoKeyFor: isList,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			if isList(r.Text) {
				return listOverrides(ctx, r)
			}
			who, target := SplitFirst(r.Text)
			m := mentionRe.FindStringSubmatch(who)
			if m == nil || target == "" || strings.Contains(target, " ") {
				return Reply{}, Userf("Use `/pd map @user email@example.com` (or a PagerDuty user ID instead of the email), or `/pd map list`.")
			}
			a, err := findPDUser(ctx, r, target)
			if err != nil {
				return Reply{}, err
			}
			// Someone else's override to the same PagerDuty user is most
			// likely a mistake, but it may be on purpose (a shared on-call
			// account): map anyway, and say who else acts as them.
			existing, err := r.Store.Overrides(ctx)
			if err != nil {
				return Reply{}, fmt.Errorf("read overrides: %w", err)
			}
			var others []string
			for _, o := range existing {
				if o.SlackUser != m[1] && (o.Actor.ID == a.ID || pdapi.SameEmail(o.Actor.Email, a.Email)) {
					others = append(others, "<@"+o.SlackUser+">")
				}
			}
			if err := r.Store.SetMapping(ctx, m[1], a, true); err != nil {
				return Reply{}, fmt.Errorf("save mapping: %w", err)
			}
			text := fmt.Sprintf("<@%s> now acts in PagerDuty as %s &lt;%s&gt;.", m[1], Escape(a.Name), Escape(a.Email))
			if len(others) > 0 {
				verb := "acts"
				if len(others) > 1 {
					verb = "act"
				}
				text += fmt.Sprintf("\n:warning: %s also %s as %s through an admin override, so PagerDuty cannot tell them apart. If that is a mistake, `/pd unmap` the wrong one.",
					strings.Join(others, ", "), verb, Escape(a.Name))
			}
			return Reply{Text: text}, nil
		},
	}, {
		Kind: Slash, ID: "unmap", Usage: "unmap @USER",
		Help:      "(admins) Remove a user's override; pdbot matches their Slack email again.",
		AdminOnly: true,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			m := mentionRe.FindStringSubmatch(strings.TrimSpace(r.Text))
			if m == nil {
				return Reply{}, Userf("Use `/pd unmap @user`; `/pd map list` shows who has an override.")
			}
			existed, err := r.Store.DeleteOverride(ctx, m[1])
			if err != nil {
				return Reply{}, fmt.Errorf("delete override: %w", err)
			}
			if !existed {
				return Reply{Text: fmt.Sprintf("<@%s> has no admin override; nothing was removed. (`/pd map list` shows the overrides.)", m[1]), NoAudit: true}, nil
			}
			return Reply{Text: fmt.Sprintf("Removed the override of <@%s>: pdbot matches their Slack email against PagerDuty again.", m[1])}, nil
		},
	}}
}

// isList tells `/pd map list`, which reads the overrides from pdbot's
// store and needs no PagerDuty key, from a mapping, which looks the
// PagerDuty user up.
func isList(text string) bool { return strings.EqualFold(strings.TrimSpace(text), "list") }

// listOverrides shows the admin overrides of the workspace.
func listOverrides(ctx context.Context, r *Request) (Reply, error) {
	os, err := r.Store.Overrides(ctx)
	if err != nil {
		return Reply{}, fmt.Errorf("read overrides: %w", err)
	}
	if len(os) == 0 {
		return Reply{Text: "No admin overrides: everyone is matched by their Slack email. Add one with `/pd map @user email`.", NoAudit: true}, nil
	}
	lines := []string{fmt.Sprintf("%d admin override(s) (`/pd unmap @user` removes one):", len(os))}
	for i, o := range os {
		if i == maxListedOverrides {
			lines = append(lines, fmt.Sprintf("…and %d more.", len(os)-i))
			break
		}
		lines = append(lines, fmt.Sprintf("• <@%s> → %s &lt;%s&gt; (%s), set on %s", o.SlackUser, Escape(o.Actor.Name), Escape(o.Actor.Email), Escape(o.Actor.ID), o.UpdatedAt.UTC().Format(time.DateOnly)))
	}
	return Reply{Text: strings.Join(lines, "\n"), NoAudit: true}, nil
}

// maxListedOverrides keeps /pd map list a readable message, far inside
// Slack's 40,000 characters of message text.
const maxListedOverrides = 50

// findPDUser finds a PagerDuty user by email (exact) or ID.
func findPDUser(ctx context.Context, r *Request, s string) (Actor, error) {
	s = FromSlack(s)
	switch {
	case pdapi.ValidObjectID(s):
		u, err := r.PD.GetUser(ctx, s)
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.NotFound() {
			return Actor{}, Userf("PagerDuty has no user %s with this channel's key. Check the ID (PagerDuty › People › Users), or give their PagerDuty email.", s)
		}
		if err != nil {
			return Actor{}, err
		}
		return Actor{ID: u.ID, Email: u.Email, Name: u.Name}, nil
	case emailRe.MatchString(s):
		u, err := r.PD.FindUserByEmail(ctx, s)
		if err != nil {
			return Actor{}, err
		}
		if u == nil {
			return Actor{}, Userf("No PagerDuty user has the email %s.", Escape(s))
		}
		return Actor{ID: u.ID, Email: u.Email, Name: u.Name}, nil
	}
	return Actor{}, Userf("Name people by @mention, PagerDuty email or PagerDuty user ID (like PABC123).")
}
