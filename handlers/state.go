package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Latest reads the incident from PagerDuty now. Every write decides on it,
// right before it is sent: never on the incident fetched while a #NUMBER
// was resolved (Fetched), which came before the slower look-ups of the
// requester, users and policies.
func (r *Request) Latest(ctx context.Context, id string) (*pagerduty.Incident, error) {
	return r.PD.GetIncident(ctx, id)
}

// RefOf is how a message names an incident in a command the requester can
// type: its #NUMBER when PagerDuty gave one, else its ID.
func RefOf(inc *pagerduty.Incident) string {
	if inc.IncidentNumber > 0 {
		return fmt.Sprintf("#%d", inc.IncidentNumber)
	}
	return Escape(inc.ID)
}

// exampleRef is how an example command in advice names the request's
// incident, with a trailing space: not at all when the channel supplies
// it, else as the requester can type it (#NUMBER or ID).
func exampleRef(r *Request) string {
	if r.IncidentSource != "argument" || r.Incident == "" {
		return ""
	}
	if r.Fetched != nil && r.Fetched.ID == r.Incident && r.Fetched.IncidentNumber > 0 {
		return fmt.Sprintf("#%d ", r.Fetched.IncidentNumber)
	}
	return Escape(r.Incident) + " "
}

// alreadyAcknowledged says that an incident is acknowledged already, and by
// whom (PagerDuty's acknowledgements), when pdbot sends nothing for an ack.
func alreadyAcknowledged(inc *pagerduty.Incident, actor Actor) string {
	var others []string
	self := false
	for _, a := range inc.Acknowledgements {
		switch {
		case a.Acknowledger.ID != "" && a.Acknowledger.ID == actor.ID:
			self = true
		case a.Acknowledger.Summary != "" && !containsString(others, a.Acknowledger.Summary):
			others = append(others, a.Acknowledger.Summary)
		}
	}
	for i := range others {
		others[i] = Escape(others[i])
	}
	by := ""
	switch {
	case self && len(others) > 0:
		by = " by you and " + strings.Join(others, ", ")
	case self:
		by = " by you"
	case len(others) > 0:
		by = " by " + strings.Join(others, ", ")
	}
	return fmt.Sprintf("%s is already acknowledged%s, so pdbot sent nothing to PagerDuty.", IncidentLabel(inc), by)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// raceWarning compares PagerDuty's answer to a status write with what was
// asked: when the answer shows another status, or a status change by
// someone else, the incident changed under the request and the requester
// hears it plainly. "" when the answer is what was asked.
func raceWarning(cur, got *pagerduty.Incident, status string, actor Actor) string {
	ref := RefOf(cur)
	if got.Status != "" && got.Status != status {
		return fmt.Sprintf("\n:warning: PagerDuty's answer shows %s as *%s*, not %s: it changed at the same moment, elsewhere. Check with `/pd get %s` before doing anything else.",
			ref, Escape(got.Status), status, ref)
	}
	by := got.LastStatusChangeBy
	if by.ID != "" && actor.ID != "" && by.ID != actor.ID && strings.HasPrefix(by.Type, "user") {
		who := Escape(by.Summary)
		if who == "" {
			who = "someone else"
		}
		return fmt.Sprintf("\n:warning: PagerDuty says %s had %s it moments before this request landed. Check with `/pd get %s`.", who, status, ref)
	}
	return ""
}

// unconfirmed answers a write PagerDuty accepted without sending the
// incident back: it was sent and probably applied, which the requester must
// check rather than repeat. It is the error itself for other errors.
func unconfirmed(err error, cur *pagerduty.Incident, what string) (Reply, error) {
	if !errors.Is(err, pdapi.ErrUnconfirmed) {
		return Reply{}, err
	}
	ref := RefOf(cur)
	return Reply{
		Text: fmt.Sprintf(":hourglass: %s for %s was sent, and PagerDuty accepted it, but its answer did not show the incident, so pdbot cannot confirm the result. It was probably applied: check with `/pd get %s` rather than sending it again.",
			what, IncidentLabel(cur), ref),
		AuditIncident: cur.ID,
	}, nil
}
