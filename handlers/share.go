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
			return Reply{Live: &LivePost{
				Incident: inc.ID,
				Text:     fmt.Sprintf("%s shared incident %s (%s)", Escape(r.UserName), IncidentLabel(inc), Escape(inc.Status)),
				Blocks:   SharedCard(inc, r.Now(), r.UserName),
			}}, nil
		},
	}}
}

// PrivateCard is the card of an answer only its requester sees: Card with
// a Share button that posts it in the channel.
func PrivateCard(inc *pagerduty.Incident, now time.Time) []slack.Block {
	blocks := Card(inc, now)
	if a, ok := blocks[len(blocks)-1].(*slack.ActionBlock); ok {
		share := slack.NewButtonBlockElement(ActionShare, Escape(inc.ID), plain("Share"))
		a.Elements.ElementSet = append(a.Elements.ElementSet, share)
	}
	return blocks
}

// SharedCard is the live card someone shared (pressed Share): Card, and
// who shared it (a name, never a mention).
func SharedCard(inc *pagerduty.Incident, now time.Time, by string) []slack.Block {
	if by == "" {
		by = "someone"
	}
	shared := slack.NewContextBlock("card_shared_by", slack.NewTextBlockObject(slack.MarkdownType, "Shared by "+Escape(clip(by, 100)), false, false))
	return append(Card(inc, now), shared)
}
