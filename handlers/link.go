package handlers

import (
	"context"
	"fmt"

	"github.com/pdbot/pdbot/internal/pdapi"
)

func linkRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "link", Usage: "link INC", Help: "Make this channel about that incident, so INC can be left out, and post its live card here.",
			Incident: RequiredRef, NeedsKey: true, NoGuests: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				inc, err := r.Current(ctx, r.Incident)
				if err != nil {
					return Reply{}, err
				}
				if !pdapi.ValidIncidentID(inc.ID) {
					return Reply{}, fmt.Errorf("link: PagerDuty answered with a malformed incident id")
				}
				if err := r.Store.SetLink(ctx, r.Channel, inc.ID); err != nil {
					return Reply{}, fmt.Errorf("save link: %w", err)
				}
				return Reply{
					InChannel: true,
					Text:      fmt.Sprintf(":link: %s linked this channel to `%s` %s.", Escape(r.UserName), inc.ID, IncidentLabel(inc)),
					// The channel's incident, kept true here from now on.
					Live: &LivePost{
						Incident: inc.ID,
						Text:     "Incident " + IncidentLabel(inc) + " (" + Escape(inc.Status) + ")",
						Blocks:   Card(inc, r.Now()),
					},
				}, nil
			},
		},
		{
			Kind: Slash, ID: "unlink", Usage: "unlink", Help: "Forget this channel's incident.",
			NoGuests: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				existed, err := r.Store.DeleteLink(ctx, r.Channel)
				if err != nil {
					return Reply{}, fmt.Errorf("delete link: %w", err)
				}
				if !existed {
					return Reply{Text: "This channel was not linked to an incident (`/pd link INC` links it). An incident named in the channel's topic or purpose is still used until the topic changes.", NoAudit: true}, nil
				}
				return Reply{InChannel: true, Text: fmt.Sprintf(":link: %s unlinked this channel from its incident.", Escape(r.UserName))}, nil
			},
		},
	}
}
