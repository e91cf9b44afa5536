package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Snooze IDs. ActionSnooze is for a card control (the card's overflow
// menu): its value is the incident ID, and it opens the snooze form.
const (
	ActionSnooze    = "card_snooze"
	SnoozeCallback  = "snooze_submit"
	snoozeBlock     = "duration"
	snoozeSelectAct = "duration_select"
)

// Snooze bounds pdbot accepts: a minute at least (shorter is a typo, not a
// snooze), and PagerDuty's own ceiling of 7 days (604800 seconds,
// POST /incidents/{id}/snooze in PagerDuty's OpenAPI document).
const (
	minSnooze = time.Minute
	maxSnooze = pdapi.MaxSnooze
)

// snoozeChoices are the form's durations.
var snoozeChoices = []string{"15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "7d"}

func snoozeRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "snooze", Usage: "snooze [INC] DURATION",
			Help:     "Snooze an acknowledged incident, as you, for a while (`30m`, `2h`, `1d`; up to 7 days): it goes back to triggered when the time is up. Bare, it opens a form.",
			Incident: LeadingRef, NeedsActor: true, Modal: true, Title: "Snooze incident",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				spec := strings.TrimSpace(r.Text)
				if spec == "" {
					return snoozeModalReply(ctx, r)
				}
				d, err := parseSnooze(spec)
				if err != nil {
					return Reply{}, Userf("%s For example `/pd snooze %s2h`.", err.Error(), exampleRef(r))
				}
				return snooze(ctx, r, r.Incident, d)
			},
		},
		{
			Kind: Action, ID: ActionSnooze, Help: "Card control: snooze the incident (opens a form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Snooze incident",
			Handle: snoozeModalReply,
		},
		{
			Kind: Submission, ID: SnoozeCallback, Help: "The snooze form.",
			Incident: FromValue, NeedsActor: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				if _, err := parseSnooze(selected(r, snoozeBlock, snoozeSelectAct)); err != nil {
					return map[string]string{snoozeBlock: "Pick how long to snooze the incident."}
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				d, err := parseSnooze(selected(r, snoozeBlock, snoozeSelectAct))
				if err != nil {
					return Reply{}, Userf("Pick how long to snooze the incident, then submit the form again.")
				}
				return snooze(ctx, r, r.Incident, d)
			},
		},
	}
}

var snoozePart = regexp.MustCompile(`([0-9]{1,4})(d|h|m)`)

// parseSnooze reads a duration such as 30m, 2h, 1d or 1h30m (days, hours,
// minutes), within pdbot's bounds. Its errors are sentences for the
// requester and never quote the input.
func parseSnooze(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	bad := Userf("Say how long to snooze it in minutes, hours or days, like `30m`, `2h` or `1d` (up to 7 days).")
	if s == "" || len(s) > 20 {
		return 0, bad
	}
	unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}
	var d time.Duration
	rest := s
	for rest != "" {
		m := snoozePart.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return 0, bad
		}
		n, _ := strconv.Atoi(rest[m[2]:m[3]])
		d += time.Duration(n) * unit[rest[m[4]:m[5]]]
		rest = rest[m[1]:]
	}
	switch {
	case d < minSnooze:
		return 0, Userf("A snooze lasts at least 1 minute.")
	case d > maxSnooze:
		return 0, Userf("PagerDuty snoozes an incident for at most 7 days.")
	}
	return d, nil
}

// humanDuration is d in days, hours and minutes ("1 hour 30 minutes").
func humanDuration(d time.Duration) string {
	var parts []string
	add := func(n int64, one string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", n, one))
		}
	}
	m := int64(d / time.Minute)
	add(m/(24*60), "day")
	add(m/60%24, "hour")
	add(m%60, "minute")
	return strings.Join(parts, " ")
}

// needsAck is the advice for a snooze of an incident that is not
// acknowledged.
func needsAck(inc *pagerduty.Incident) error {
	ref := RefOf(inc)
	return Userf("%s is %s, and snooze needs an acknowledged incident: acknowledge it first (`/pd ack %s`), then snooze it (`/pd snooze %s 2h`). Nothing was sent to PagerDuty.",
		IncidentLabel(inc), Escape(inc.Status), ref, ref)
}

// snooze snoozes an acknowledged incident for d. It reads the incident
// first: PagerDuty snoozes only acknowledged incidents, and a stale card
// must not act on a resolved one.
func snooze(ctx context.Context, r *Request, id string, d time.Duration) (Reply, error) {
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	switch cur.Status {
	case "resolved":
		return Reply{}, alreadyResolved(cur, "a resolved incident cannot be snoozed")
	case "acknowledged":
	default:
		return Reply{}, needsAck(cur)
	}
	inc, err := r.PD.Snooze(ctx, id, d)
	if err != nil {
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.StatusCode == 400 && ae.APIError.Valid && ae.APIError.ErrorObject.Code == 2001 {
			return Reply{}, Userf("PagerDuty refused to snooze %s: it probably changed at the same moment (snooze needs an acknowledged incident). Check it with `/pd get %s`, then try again.", IncidentLabel(cur), RefOf(cur))
		}
		return unconfirmed(err, cur, "Your snooze")
	}
	until := r.Now().Add(d)
	for _, a := range inc.PendingActions {
		if t, err := time.Parse(time.RFC3339, a.At); err == nil && a.Type == "unacknowledge" {
			until = t
		}
	}
	return Reply{
		InChannel: true,
		Text: fmt.Sprintf(":zzz: %s snoozed %s for %s via Slack: it goes back to triggered, and pages again, at %s unless it is resolved first.",
			Escape(r.Actor.Name), IncidentLabel(cur), humanDuration(d), until.UTC().Format("2006-01-02 15:04 UTC")),
		AuditIncident: id,
	}, nil
}

func snoozeModalReply(ctx context.Context, r *Request) (Reply, error) {
	cur, err := r.Current(ctx, r.Incident)
	if err != nil {
		return Reply{}, err
	}
	switch cur.Status {
	case "resolved":
		return Reply{}, alreadyResolved(cur, "a resolved incident cannot be snoozed")
	case "triggered":
		return Reply{}, needsAck(cur)
	}
	return Reply{Modal: SnoozeModal(cur), NoAudit: true}, nil
}

// SnoozeModal is the snooze form: how long, from a list.
func SnoozeModal(inc *pagerduty.Incident) *slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	for _, c := range snoozeChoices {
		d, _ := parseSnooze(c)
		opts = append(opts, option(c, humanDuration(d)))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("How long"), snoozeSelectAct, opts...)
	return modal(SnoozeCallback, "Snooze incident", "Snooze",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nNow: "+Escape(inc.Status)+". A snoozed incident goes back to triggered when the time is up, and pages its assignees again."),
		slack.NewInputBlock(snoozeBlock, plain("Snooze for"), nil, sel),
		incidentContext(inc.ID),
	)
}
