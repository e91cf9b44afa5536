package handlers

import (
	"context"

	"github.com/PagerDuty/go-pagerduty"
)

func getRoutes() []Route {
	return []Route{{
		Kind: Slash, ID: "get", Usage: "get [INC]", Help: "Show the incident card with buttons for the other actions.",
		Incident: OnlyRef, NeedsKey: true, BareNumber: true,
		Handle: showCard,
	}}
}

func showCard(ctx context.Context, r *Request) (Reply, error) {
	inc, err := r.Current(ctx, r.Incident)
	if err != nil {
		return Reply{}, err
	}
	return cardReply(ctx, r, inc), nil
}

// cardReply is the card only its requester sees, with the incident's latest
// notes: one more read, made only here, where one person asked for it (a
// live card leaves them to its thread). Notes that cannot be read leave the
// card without them rather than without a card.
func cardReply(ctx context.Context, r *Request, inc *pagerduty.Incident) Reply {
	var extras CardExtras
	if notes, err := r.PD.Notes(ctx, inc.ID); err == nil {
		extras.Notes = notes
	}
	return Reply{
		Text:    "Incident " + IncidentLabel(inc) + " (" + Escape(inc.Status) + ")",
		Blocks:  PrivateCard(inc, extras, r.Now()),
		NoAudit: true,
	}
}
