package handlers

import (
	"context"
	"fmt"
)

func whoamiRoutes() []Route {
	return []Route{{
		Kind: Slash, ID: "whoami", Usage: "whoami", Help: "Show which PagerDuty user you act as.",
		NeedsActor: true,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			return Reply{
				Text:    fmt.Sprintf("You act in PagerDuty as %s &lt;%s&gt;", Escape(r.Actor.Name), Escape(r.Actor.Email)),
				NoAudit: true,
			}, nil
		},
	}}
}
