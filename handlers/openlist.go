package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// ActionView is the View button of an incident list's row: it shows the
// incident's card (the `/pd get` answer). The row's Acknowledge and Resolve
// are the card's own buttons (ActionAck, ActionResolve).
const ActionView = "incident_view"

// Limits of an incident list: maxListed rows (two blocks each, so a list
// stays far inside Block Kit's 50 blocks), picked from at most maxScanned
// open incidents (five of PagerDuty's pages; the order among more than
// that is PagerDuty's oldest first).
const (
	maxListed  = 10
	maxScanned = 500
)

func openListRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "mine", Usage: "mine",
			Help:       "Your open incidents (assigned to you in PagerDuty), each with Acknowledge, Resolve and View.",
			NeedsActor: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if strings.TrimSpace(r.Text) != "" {
					return Reply{}, Userf("`/pd mine` takes nothing after it; `/pd open SERVICE` lists a service's open incidents.")
				}
				if !pdapi.ValidObjectID(r.Actor.ID) {
					return Reply{}, fmt.Errorf("mine: the requester's PagerDuty ID is malformed")
				}
				incs, total, err := r.PD.ListOpenIncidents(ctx, pdapi.OpenIncidents{UserIDs: []string{r.Actor.ID}, Max: maxScanned})
				if err != nil {
					return Reply{}, err
				}
				if len(incs) == 0 {
					return Reply{NoAudit: true, Text: "No open incidents are assigned to you in PagerDuty. `/pd open` lists everyone's."}, nil
				}
				return listReply("*Your open incidents*", incs, total, r.Now()), nil
			},
		},
		{
			Kind: Slash, ID: "open", Usage: "open [SERVICE]",
			Help:     "Open incidents on a service (name or ID), else on this channel's subscribed services, else the whole account, each with Acknowledge, Resolve and View.",
			NeedsKey: true,
			Handle:   openIncidents,
		},
		{
			Kind: Action, ID: ActionView, Help: "Incident list button: show the incident's card.",
			Incident: FromValue, NeedsKey: true,
			Handle: showCard,
		},
	}
}

func openIncidents(ctx context.Context, r *Request) (Reply, error) {
	spec := strings.TrimSpace(strings.Trim(strings.TrimSpace(FromSlack(r.Text)), `"“”`))
	q := pdapi.OpenIncidents{Max: maxScanned}
	var title, none string
	switch {
	case spec != "":
		if LooksLikeSecret(spec) {
			return Reply{}, Userf("That looks like an API key, not a service name, so pdbot did not look it up. If it is a real key, regenerate it in PagerDuty, then set the new one with `/pd key`.")
		}
		sv, problem, err := findService(ctx, r, spec)
		if err != nil {
			return Reply{}, err
		}
		if problem != "" {
			return Reply{}, Userf("%s. Give the service's exact name or its ID: `/pd open Orders DB`, or `/pd open` alone for this channel's services.", titleCase(problem))
		}
		q.ServiceIDs = []string{sv.ID}
		title = "*Open incidents* on *" + Escape(sv.Name) + "*"
		none = "No open incidents on *" + Escape(sv.Name) + "*."
	default:
		subs, err := r.Store.Subscriptions(ctx, r.Channel)
		if err != nil {
			return Reply{}, fmt.Errorf("read subscriptions: %w", err)
		}
		var names []string
		for _, s := range subs {
			if pdapi.ValidObjectID(s.ServiceID) && len(q.ServiceIDs) < maxTargets {
				q.ServiceIDs = append(q.ServiceIDs, s.ServiceID)
				names = append(names, "*"+Escape(subName(s))+"*")
			}
		}
		title, none = "*Open incidents* in PagerDuty", "No open incidents in PagerDuty."
		if len(names) > 0 {
			title = "*Open incidents* on this channel's services, " + joinAnd(names)
			none = "No open incidents on this channel's services, " + joinAnd(names) + ". `/pd open SERVICE` lists another service's."
		}
	}
	incs, total, err := r.PD.ListOpenIncidents(ctx, q)
	if err != nil {
		return Reply{}, err
	}
	if len(incs) == 0 {
		return Reply{NoAudit: true, Text: none}, nil
	}
	return listReply(title, incs, total, r.Now()), nil
}

// listReply is an incident list only its requester sees.
func listReply(title string, incs []pagerduty.Incident, total int, now time.Time) Reply {
	return Reply{
		Text:    fmt.Sprintf("%s: %d", title, total),
		Blocks:  IncidentList(title, incs, total, now),
		NoAudit: true,
	}
}

// IncidentList renders open incidents (title is escaped mrkdwn) as compact
// rows, triggered first, then high urgency, then the oldest: at most
// maxListed, each with Acknowledge (when triggered), Resolve (after the
// card's confirmation) and View; "and N more" links to the account's
// incidents in PagerDuty. total is how many PagerDuty has in all.
func IncidentList(title string, incs []pagerduty.Incident, total int, now time.Time) []slack.Block {
	incs = append([]pagerduty.Incident(nil), incs...)
	sortOpen(incs)
	blocks := []slack.Block{TextSection("list_title", fmt.Sprintf("%s (%d)", title, max(total, len(incs))))}
	for i, in := range incs {
		if i == maxListed {
			break
		}
		blocks = append(blocks, TextSection(fmt.Sprintf("row_%d", i), rowText(in, now)), rowButtons(i, in))
	}
	if more := max(total, len(incs)) - min(len(incs), maxListed); more > 0 {
		text := fmt.Sprintf("…and %d more.", more)
		if base := incidentsPage(incs); base != "" {
			text = fmt.Sprintf("…and %d more: <%s|see them in PagerDuty>.", more, base)
		}
		blocks = append(blocks, slack.NewContextBlock("list_more", slack.NewTextBlockObject(slack.MarkdownType, text, false, false)))
	}
	return blocks
}

// rowText is one incident in a list: status, number and title, then
// service, urgency, age and assignees.
func rowText(in pagerduty.Incident, now time.Time) string {
	parts := []string{Escape(clip(in.Service.Summary, 80)), Escape(in.Urgency) + " urgency"}
	if t, err := time.Parse(time.RFC3339, in.CreatedAt); err == nil {
		parts = append(parts, Escape(in.Status)+" "+Since(now, t))
	}
	var who []string
	for _, a := range in.Assignments {
		if len(who) == 3 {
			who = append(who, "…")
			break
		}
		who = append(who, Escape(clip(a.Assignee.Summary, 60)))
	}
	if len(who) > 0 {
		parts = append(parts, strings.Join(who, ", "))
	}
	return strings.TrimSpace(statusEmoji[in.Status]+" *"+IncidentLabel(&in)+"*") + "\n" + strings.Join(parts, " · ")
}

// rowButtons are a row's Acknowledge (when triggered), Resolve (with the
// card's confirmation) and View; their value is the incident ID.
func rowButtons(i int, in pagerduty.Incident) *slack.ActionBlock {
	id := Escape(in.ID)
	btn := func(actionID, label string, style slack.Style) *slack.ButtonBlockElement {
		b := slack.NewButtonBlockElement(actionID, id, plain(label))
		b.Style = style
		return b
	}
	var els []slack.BlockElement
	if in.Status == "triggered" {
		els = append(els, btn(ActionAck, "Acknowledge", slack.StylePrimary))
	}
	resolve := btn(ActionResolve, "Resolve", slack.StyleDanger)
	resolve.Confirm = slack.NewConfirmationBlockObject(
		plain("Resolve this incident?"),
		slack.NewTextBlockObject(slack.MarkdownType, "This resolves `"+id+"` in PagerDuty for everyone.", false, false),
		plain("Resolve"), plain("Cancel"),
	)
	els = append(els, resolve, btn(ActionView, "View", ""))
	return slack.NewActionBlock(fmt.Sprintf("row_actions_%d", i), els...)
}

// incidentsPage is the account's incidents page in PagerDuty's web app,
// from an incident's html_url (https://SUBDOMAIN.pagerduty.com/incidents/ID),
// or "" when none has a safe one.
func incidentsPage(incs []pagerduty.Incident) string {
	for _, in := range incs {
		u := safeURL(in.HTMLURL)
		if base, ok := strings.CutSuffix(u, "/incidents/"+in.ID); ok && u != "" {
			return base + "/incidents"
		}
	}
	return ""
}
