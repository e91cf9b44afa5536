package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// ActionShare is the Share button of a card only its requester sees (the
// `/pd get` answer): it posts the card in the channel as a live card.
const ActionShare = "card_share"

func shareRoutes() []Route {
	return []Route{{
		Kind: Action, ID: ActionShare, Help: "Card button: post this card in the channel for everyone, kept up to date.",
		Incident: FromValue, NeedsKey: true, NoGuests: true, Steers: "post incident cards in this channel",
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			inc, err := r.Latest(ctx, r.Incident)
			if err != nil {
				return Reply{}, err
			}
			if !pdapi.ValidIncidentID(inc.ID) {
				return Reply{}, fmt.Errorf("share: PagerDuty answered with a malformed incident id")
			}
			by := r.UserName
			if by == "" {
				by = "someone"
			}
			return Reply{Live: &LivePost{
				Incident: inc.ID,
				Text:     fmt.Sprintf("%s shared incident %s (%s)", Escape(by), IncidentLabel(inc), Escape(inc.Status)),
				Blocks:   Card(inc, r.Now()),
				// In the thread, not on the card: the poller re-renders
				// the card as the incident changes, and the line stays.
				Thread: "Shared by " + Escape(clip(by, 100)),
			}}, nil
		},
	}}
}

// PrivateCard is the card of an answer only its requester sees: CardWith
// a Share button that posts it in the channel.
func PrivateCard(inc *pagerduty.Incident, extras CardExtras, now time.Time) []slack.Block {
	blocks := CardWith(inc, extras, now)
	if a, ok := blocks[len(blocks)-1].(*slack.ActionBlock); ok {
		share := slack.NewButtonBlockElement(ActionShare, Escape(inc.ID), plain("Share"))
		insertBeforeMenu(a, share)
	}
	return blocks
}
