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
	return cardReply(r, inc), nil
}

func cardReply(r *Request, inc *pagerduty.Incident) Reply {
	return Reply{
		Text:    "Incident " + IncidentLabel(inc) + " (" + Escape(inc.Status) + ")",
		Blocks:  PrivateCard(inc, r.Now()),
		NoAudit: true,
	}
}
