package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// ActionOncallShare is the Share button of a `/pd oncall` answer: it posts
// the answer in the channel. Its value names what was asked about
// (oncallValue), never a name: names come from PagerDuty again.
const ActionOncallShare = "oncall_share"

// Limits of an on-call answer: the policies of at most maxOncallPolicies
// services (a channel's subscriptions), and at most maxOncallLines people
// per policy (and no more than fit its section's 3000 characters), which
// keeps the answer inside Block Kit's 50 blocks.
const (
	maxOncallPolicies = 10
	maxOncallLines    = 20
)

// oncallTarget is what `/pd oncall` reports on: the on-calls of escalation
// policies, or of a schedule.
type oncallTarget struct {
	title    string      // mrkdwn, escaped: "for *Orders DB* (escalation policy …)"
	policies []pdapi.Ref // in the order to show them
	schedule string      // a schedule ID, instead of policies
}

// oncallCaches hold the look-ups `/pd oncall` reuses: names to targets,
// and services to their escalation policies.
type oncallCaches struct {
	looks *lookups // names' targets ("target|…") and services' policies ("service|…")
}

func newOncallCaches() *oncallCaches {
	return &oncallCaches{looks: newLookups()}
}

func oncallRoutes(c *oncallCaches) []Route {
	return []Route{
		{
			Kind: Slash, ID: "oncall", Usage: "oncall [SERVICE|POLICY|SCHEDULE]",
			Help:     "Who is on call now, by escalation level, and until when (a service, escalation policy or schedule, by name or ID). Bare: for this channel's incident, else its subscribed services.",
			Incident: ChannelIncident, NeedsKey: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) { return oncallSlash(ctx, r, c) },
		},
		{
			Kind: Action, ID: ActionOncallShare, Help: "On-call answer button: post it in the channel for everyone.",
			NeedsKey: true, NoGuests: true, Steers: "post who is on call in this channel",
			Handle: oncallShare,
		},
	}
}

func oncallSlash(ctx context.Context, r *Request, c *oncallCaches) (Reply, error) {
	spec := strings.TrimSpace(strings.Trim(strings.TrimSpace(FromSlack(r.Text)), `"“”`))
	var t oncallTarget
	switch {
	case spec != "":
		var problem string
		var err error
		if t, problem, err = resolveOncall(ctx, r, c, spec); err != nil {
			return Reply{}, err
		}
		if problem != "" {
			return Reply{}, Userf("%s. Give a service, escalation policy or schedule by its exact name or its ID: `/pd oncall Orders DB`.", problem)
		}
	case r.Incident != "":
		inc, err := r.Current(ctx, r.Incident)
		if err != nil {
			return Reply{}, err
		}
		ep := inc.EscalationPolicy
		if !pdapi.ValidObjectID(ep.ID) {
			return Reply{}, Userf("PagerDuty shows no escalation policy for %s. Name one: `/pd oncall Database On-Call`.", IncidentLabel(inc))
		}
		t = oncallTarget{
			title:    "for " + IncidentLabel(inc) + " (escalation policy *" + Escape(ep.Summary) + "*)",
			policies: []pdapi.Ref{{ID: ep.ID, Summary: ep.Summary}},
		}
	default:
		var err error
		if t, err = subscribedOncall(ctx, r, c); err != nil {
			return Reply{}, err
		}
		if len(t.policies) == 0 {
			return Reply{NoAudit: true, Text: "Which service, escalation policy or schedule? For example `/pd oncall Orders DB` (names or IDs). Bare, `/pd oncall` answers for the channel's incident (`/pd link`) or the services it follows (`/pd subscribe`), and this channel has neither."}, nil
		}
	}
	return oncallAnswer(ctx, r, t, false)
}

// subscribedOncall is the target of a bare `/pd oncall` in a channel
// without an incident: the escalation policies of its subscribed services.
func subscribedOncall(ctx context.Context, r *Request, c *oncallCaches) (oncallTarget, error) {
	subs, err := r.Store.Subscriptions(ctx, r.Channel)
	if err != nil {
		return oncallTarget{}, fmt.Errorf("read subscriptions: %w", err)
	}
	var t oncallTarget
	var names []string
	for _, s := range subs {
		if len(t.policies) == maxOncallPolicies {
			break
		}
		sv, err := serviceInfo(ctx, r, c, s.ServiceID)
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.NotFound() {
			continue // deleted in PagerDuty since; /pd subscriptions still lists it
		}
		if err != nil {
			return oncallTarget{}, err
		}
		names = append(names, "*"+Escape(sv.Name)+"*")
		if !slices.ContainsFunc(t.policies, func(p pdapi.Ref) bool { return p.ID == sv.EscalationPolicy.ID }) && pdapi.ValidObjectID(sv.EscalationPolicy.ID) {
			t.policies = append(t.policies, sv.EscalationPolicy)
		}
	}
	t.title = "for this channel's services, " + joinAnd(names)
	return t, nil
}

// serviceInfo is a service and its escalation policy, looked up once per
// key for lookupTTL.
func serviceInfo(ctx context.Context, r *Request, c *oncallCaches, id string) (pdapi.ServiceInfo, error) {
	key := r.PD.KeyID() + "|" + id
	if sv, ok := lookupGet[pdapi.ServiceInfo](c.looks, "service|"+key, r.Now()); ok {
		return sv, nil
	}
	sv, err := r.PD.GetServiceInfo(ctx, id)
	if err != nil {
		return pdapi.ServiceInfo{}, err
	}
	lookupPut(c.looks, "service|"+key, sv, r.Now())
	return sv, nil
}

// oncallCandidate is one thing a name may mean.
type oncallCandidate struct {
	kind, name string
	target     oncallTarget
}

func serviceCandidate(sv pdapi.ServiceInfo) oncallCandidate {
	return oncallCandidate{kind: "service", name: sv.Name, target: oncallTarget{
		title:    "for *" + Escape(sv.Name) + "* (escalation policy *" + Escape(sv.EscalationPolicy.Summary) + "*)",
		policies: []pdapi.Ref{sv.EscalationPolicy},
	}}
}

func policyCandidate(p pdapi.Ref) oncallCandidate {
	return oncallCandidate{kind: "escalation policy", name: p.Summary, target: oncallTarget{
		title: "for *" + Escape(p.Summary) + "*", policies: []pdapi.Ref{p},
	}}
}

func scheduleCandidate(s pdapi.Schedule) oncallCandidate {
	return oncallCandidate{kind: "schedule", name: s.Name, target: oncallTarget{
		title: "on the schedule *" + Escape(s.Name) + "*", schedule: s.ID,
	}}
}

// resolveOncall finds what spec names, by the Names rules (DESIGN.md): an
// ID of a service, escalation policy or schedule; else an exact
// (case-insensitive) name, looked for among services, then policies, then
// schedules, the first kind with one winning; else the only partial match
// among all three. Several partial matches, or none, are a problem to tell
// the requester about. What a name means is cached per key.
func resolveOncall(ctx context.Context, r *Request, c *oncallCaches, spec string) (oncallTarget, string, error) {
	if LooksLikeSecret(spec) {
		return oncallTarget{}, "", Userf("That looks like an API key, not a name, so pdbot did not look it up. If it is a real key, regenerate it in PagerDuty, then set the new one with `/pd key`.")
	}
	if len(spec) > maxNameLen {
		return oncallTarget{}, fmt.Sprintf("A name is at most %d characters", maxNameLen), nil
	}
	key := r.PD.KeyID() + "|" + strings.ToLower(spec)
	if t, ok := lookupGet[oncallTarget](c.looks, "target|"+key, r.Now()); ok {
		return t, "", nil
	}
	found := func(cand oncallCandidate) (oncallTarget, string, error) {
		if len(cand.target.policies) == 1 && !pdapi.ValidObjectID(cand.target.policies[0].ID) {
			return oncallTarget{}, "PagerDuty shows no escalation policy for the service “" + Escape(cand.name) + "”", nil
		}
		lookupPut(c.looks, "target|"+key, cand.target, r.Now())
		return cand.target, "", nil
	}
	notFound := func(err error) bool {
		var ae pagerduty.APIError
		return errors.As(err, &ae) && ae.NotFound()
	}
	if pdapi.ValidObjectID(spec) {
		if sv, err := r.PD.GetServiceInfo(ctx, spec); err == nil {
			lookupPut(c.looks, "service|"+r.PD.KeyID()+"|"+sv.ID, sv, r.Now())
			return found(serviceCandidate(sv))
		} else if !notFound(err) {
			return oncallTarget{}, "", err
		}
		if p, err := r.PD.GetPolicy(ctx, spec); err == nil {
			return found(policyCandidate(pdapi.Ref{ID: p.ID, Summary: p.Name}))
		} else if !notFound(err) {
			return oncallTarget{}, "", err
		}
		if s, err := r.PD.GetSchedule(ctx, spec); err == nil {
			return found(scheduleCandidate(s))
		} else if !notFound(err) {
			return oncallTarget{}, "", err
		}
		// Not an ID PagerDuty knows: perhaps a name shaped like one.
	}
	var exact *oncallCandidate
	var partial []oncallCandidate
	consider := func(cand oncallCandidate) bool {
		if strings.EqualFold(cand.name, spec) {
			exact = &cand
			return false
		}
		partial = append(partial, cand)
		return true
	}
	if err := r.PD.EachServiceInfo(ctx, spec, func(sv pdapi.ServiceInfo) bool { return consider(serviceCandidate(sv)) }); err != nil {
		return oncallTarget{}, "", err
	}
	if exact == nil {
		if err := r.PD.EachPolicy(ctx, spec, func(p pdapi.Ref) bool { return consider(policyCandidate(p)) }); err != nil {
			return oncallTarget{}, "", err
		}
	}
	if exact == nil {
		if err := r.PD.SearchSchedules(ctx, spec, func(s pdapi.Schedule) bool { return consider(scheduleCandidate(s)) }); err != nil {
			return oncallTarget{}, "", err
		}
	}
	switch {
	case exact != nil:
		return found(*exact)
	case len(partial) == 1:
		return found(partial[0])
	case len(partial) == 0:
		return oncallTarget{}, "No service, escalation policy or schedule is called “" + Escape(spec) + "”", nil
	}
	const shown = 5
	var names []string
	for i, cand := range partial {
		if i == shown {
			names = append(names, fmt.Sprintf("%d more", len(partial)-shown))
			break
		}
		names = append(names, "the "+cand.kind+" “"+Escape(cand.name)+"”")
	}
	return oncallTarget{}, "“" + Escape(spec) + "” could be " + strings.Join(names, ", "), nil
}

// oncallValue is the Share button's value: what was asked about, as IDs
// ("p:ID,ID" or "s:ID"); oncallFromValue reads it back.
func oncallValue(t oncallTarget) string {
	if t.schedule != "" {
		return "s:" + t.schedule
	}
	ids := make([]string, 0, len(t.policies))
	for _, p := range t.policies {
		ids = append(ids, p.ID)
	}
	return "p:" + strings.Join(ids, ",")
}

func oncallFromValue(v string) (oncallTarget, bool) {
	kind, rest, _ := strings.Cut(v, ":")
	ids := strings.Split(rest, ",")
	if len(ids) == 0 || len(ids) > maxOncallPolicies || slices.ContainsFunc(ids, func(id string) bool { return !pdapi.ValidObjectID(id) }) {
		return oncallTarget{}, false
	}
	switch {
	case kind == "s" && len(ids) == 1:
		return oncallTarget{schedule: ids[0]}, true
	case kind == "p":
		var t oncallTarget
		for _, id := range ids {
			t.policies = append(t.policies, pdapi.Ref{ID: id})
		}
		return t, true
	}
	return oncallTarget{}, false
}

// oncallShare posts the answer of the Share button's `/pd oncall` in the
// channel, read again from PagerDuty.
func oncallShare(ctx context.Context, r *Request) (Reply, error) {
	t, ok := oncallFromValue(r.Action.Value)
	if !ok {
		return Reply{}, Userf("This button does not say whose on-calls to share. Run `/pd oncall` again.")
	}
	return oncallAnswer(ctx, r, t, true)
}

// oncallAnswer asks PagerDuty who is on call for t now (one GET /oncalls)
// and renders the answer: for the requester with a Share button, or, when
// shared, for the channel.
func oncallAnswer(ctx context.Context, r *Request, t oncallTarget, shared bool) (Reply, error) {
	of := pdapi.OnCallsOf{}
	if t.schedule != "" {
		of.ScheduleIDs = []string{t.schedule}
	}
	for _, p := range t.policies {
		of.PolicyIDs = append(of.PolicyIDs, p.ID)
	}
	entries, err := r.PD.ListOnCalls(ctx, of)
	if err != nil {
		return Reply{}, err
	}
	if t.title == "" { // shared: the names come from the on-calls
		t.title = sharedTitle(t, entries)
	}
	blocks, text := oncallMessage(t, entries, shared, r.UserName)
	return Reply{Text: text, Blocks: blocks, InChannel: shared, NoAudit: !shared}, nil
}

// oncallMessage is an on-call answer: for its requester, with a Share
// button; or shared in the channel by someone (a name, never a mention).
func oncallMessage(t oncallTarget, entries []pdapi.OnCall, shared bool, by string) ([]slack.Block, string) {
	blocks, text := OncallBlocks(t.title, t.policies, entries)
	if shared {
		if by == "" {
			by = "someone"
		}
		return append(blocks, slack.NewContextBlock("oncall_shared_by", slack.NewTextBlockObject(slack.MarkdownType, "Shared by "+Escape(clip(by, 100)), false, false))), text
	}
	share := slack.NewButtonBlockElement(ActionOncallShare, oncallValue(t), plain("Share"))
	return append(blocks, slack.NewActionBlock("oncall_actions", share)), text
}

// sharedTitle names what a shared answer is for, from PagerDuty's answer.
func sharedTitle(t oncallTarget, entries []pdapi.OnCall) string {
	if t.schedule != "" {
		for _, e := range entries {
			if e.Schedule != nil && e.Schedule.ID == t.schedule && e.Schedule.Summary != "" {
				return "on the schedule *" + Escape(e.Schedule.Summary) + "*"
			}
		}
		return "on the schedule `" + Escape(t.schedule) + "`"
	}
	var names []string
	for _, p := range t.policies {
		names = append(names, "*"+Escape(policyName(p, entries))+"*")
	}
	return "for " + joinAnd(names)
}

// policyName is a policy's name: as the target knows it, else as an
// on-call of it says, else its ID.
func policyName(p pdapi.Ref, entries []pdapi.OnCall) string {
	if p.Summary != "" {
		return p.Summary
	}
	for _, e := range entries {
		if e.EscalationPolicy.ID == p.ID && e.EscalationPolicy.Summary != "" {
			return e.EscalationPolicy.Summary
		}
	}
	return p.ID
}

// OncallBlocks renders who is on call (title is escaped mrkdwn, "for …"):
// a section per escalation policy, in the order of policies (then any
// other policy the entries name, for a schedule), each level's people with
// when they go off call, in the reader's own time zone. It returns the
// blocks and the notification text.
func OncallBlocks(title string, policies []pdapi.Ref, entries []pdapi.OnCall) ([]slack.Block, string) {
	order := slices.Clone(policies)
	for _, e := range entries {
		if !slices.ContainsFunc(order, func(p pdapi.Ref) bool { return p.ID == e.EscalationPolicy.ID }) {
			order = append(order, e.EscalationPolicy)
		}
	}
	blocks := []slack.Block{TextSection("oncall_title", ":pager: *On call now* "+title)}
	var summary []string
	for i, p := range order {
		if i == maxOncallPolicies {
			blocks = append(blocks, TextSection("oncall_more", fmt.Sprintf("…and %d more escalation policies.", len(order)-i)))
			break
		}
		var mine []pdapi.OnCall
		for _, e := range entries {
			if e.EscalationPolicy.ID == p.ID {
				mine = append(mine, e)
			}
		}
		slices.SortStableFunc(mine, func(a, b pdapi.OnCall) int { return a.Level - b.Level })
		var b strings.Builder
		b.WriteString("*" + Escape(policyName(p, entries)) + "*")
		if len(mine) == 0 {
			b.WriteString("\nNobody is on call now.")
		}
		for j, e := range mine {
			line := fmt.Sprintf("\nLevel %d: *%s* %s", e.Level, Escape(clip(e.User.Summary, 80)), until(e.End))
			if e.Schedule != nil && e.Schedule.Summary != "" {
				line += " · " + Escape(clip(e.Schedule.Summary, 80))
			}
			// Whole lines only: a date token cut in half would show as
			// raw markup.
			if j == maxOncallLines || b.Len()+len(line) > sectionTextLimit-50 {
				fmt.Fprintf(&b, "\n…and %d more.", len(mine)-j)
				break
			}
			b.WriteString(line)
			summary = append(summary, fmt.Sprintf("level %d %s", e.Level, Escape(e.User.Summary)))
		}
		blocks = append(blocks, TextSection(fmt.Sprintf("oncall_policy_%d", i), b.String()))
	}
	text := "On call now " + title
	if len(summary) > 0 {
		text += ": " + strings.Join(summary, ", ")
	}
	return blocks, clip(text, sectionTextLimit)
}

// until says when an on-call ends, as Slack's date token, which every
// reader sees in their own time zone (the fallback is UTC).
func until(end string) string {
	t, err := time.Parse(time.RFC3339, end)
	if end == "" || err != nil {
		return "(no end set)"
	}
	return fmt.Sprintf("until <!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}
