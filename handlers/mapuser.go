package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/pdbot/pdbot/internal/pdapi"
)

var (
	mentionRe = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
	emailRe   = regexp.MustCompile(`^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$`)
)

func mapRoutes() []Route {
	return []Route{{
		Kind: Slash, ID: "map", Usage: "map @USER EMAIL|PD_USER_ID",
		Help:      "(admins) Make a Slack user act as that PagerDuty user.",
		AdminOnly: true, NeedsKey: true,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			who, target := SplitFirst(r.Text)
			m := mentionRe.FindStringSubmatch(who)
			if m == nil || target == "" || strings.Contains(target, " ") {
				return Reply{}, Userf("Use `/pd map @user email@example.com` (or a PagerDuty user ID instead of the email).")
			}
			a, err := findPDUser(ctx, r, target)
			if err != nil {
				return Reply{}, err
			}
			if err := r.Store.SetMapping(ctx, m[1], a, true); err != nil {
				return Reply{}, fmt.Errorf("save mapping: %w", err)
			}
			return Reply{Text: fmt.Sprintf("<@%s> now acts in PagerDuty as %s &lt;%s&gt;.", m[1], Escape(a.Name), Escape(a.Email))}, nil
		},
	}}
}

// findPDUser finds a PagerDuty user by email (exact) or ID.
func findPDUser(ctx context.Context, r *Request, s string) (Actor, error) {
	s = FromSlack(s)
	switch {
	case pdapi.ValidObjectID(s):
		u, err := r.PD.GetUser(ctx, s)
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
