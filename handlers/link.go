package handlers

import (
	"context"
	"fmt"
)

func linkRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "link", Usage: "link INC", Help: "Make this channel about that incident, so INC can be left out.",
			Incident: RequiredRef, NeedsKey: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				inc, err := r.PD.GetIncident(ctx, Ref{ID: r.Incident})
				if err != nil {
					return Reply{}, err
				}
				if err := r.Store.SetLink(ctx, r.Channel, inc.ID); err != nil {
					return Reply{}, fmt.Errorf("save link: %w", err)
				}
				return Reply{
					InChannel: true,
					Text:      fmt.Sprintf(":link: %s linked this channel to `%s` %s.", Escape(r.UserName), inc.ID, IncidentLabel(inc)),
				}, nil
			},
		},
		{
			Kind: Slash, ID: "unlink", Usage: "unlink", Help: "Forget this channel's incident.",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if err := r.Store.DeleteLink(ctx, r.Channel); err != nil {
					return Reply{}, fmt.Errorf("delete link: %w", err)
				}
				return Reply{InChannel: true, Text: fmt.Sprintf(":link: %s unlinked this channel from its incident.", Escape(r.UserName))}, nil
			},
		},
	}
}
