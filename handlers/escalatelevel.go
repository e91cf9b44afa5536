package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// The escalate form's level choice.
const (
	escLevelBlock  = "level"
	escLevelSelect = "level_select"
)

// maxLevels bounds the levels the form offers (PagerDuty allows at most
// 20 rules a policy; Block Kit 100 options).
const maxLevels = 20

var levelArg = regexp.MustCompile(`(?i)^level\s*=\s*([0-9]{1,3})$`)

// parseLevel reads `level=N` (`/pd escalate level=2`); ok is false for
// anything else, which names a policy.
func parseLevel(spec string) (n int, ok bool) {
	m := levelArg.FindStringSubmatch(spec)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// policyLevels is how many levels a policy has, cached per key.
func policyLevels(ctx context.Context, r *Request, c *lookups, policyID string) (int, error) {
	if !pdapi.ValidObjectID(policyID) {
		return 0, Userf("PagerDuty did not say which escalation policy this incident is on, so pdbot cannot escalate it by level. Move it to a policy with `/pd escalate POLICY`.")
	}
	p, err := cached(c, r, "policy|"+policyID, func() (pdapi.Policy, error) { return r.PD.GetPolicy(ctx, policyID) })
	return p.Levels, err
}

// escalateToLevel escalates the incident to level n of its current policy.
// It reads the incident first (a stale card does not act on a resolved
// one) and the policy's levels, refusing a level past them.
func escalateToLevel(ctx context.Context, r *Request, c *lookups, id string, n int) (Reply, error) {
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, "escalating it would page people for nothing")
	}
	policy := Escape(cur.EscalationPolicy.Summary)
	if policy == "" {
		policy = "Its escalation policy"
	}
	levels, err := policyLevels(ctx, r, c, cur.EscalationPolicy.ID)
	if err != nil {
		return Reply{}, err
	}
	switch {
	case levels == 0:
		return Reply{}, Userf("%s has no escalation rules, so there is no level to escalate %s to. Move it to another policy with `/pd escalate POLICY`.", policy, RefOf(cur))
	case n < 1 || n > levels:
		return Reply{}, Userf("%s has %s, so there is no level %d. Give a level from 1 to %d (`/pd escalate %slevel=%d`), or move the incident to another policy with `/pd escalate POLICY`. Nothing was sent.",
			policy, plural(levels, "level"), n, levels, exampleRef(r), min(2, levels))
	}
	if _, err := r.PD.UpdateIncident(ctx, id, pdapi.IncidentUpdate{EscalationLevel: uint(n)}); err != nil {
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.StatusCode == 400 && ae.APIError.Valid && ae.APIError.ErrorObject.Code == 2001 {
			return Reply{}, Userf("PagerDuty refused level %d of %s: the policy may have changed. Check it with `/pd get %s`, then try again.", n, policy, RefOf(cur))
		}
		return unconfirmed(err, cur, "Your escalation")
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":arrow_double_up: %s escalated %s to level %d of *%s* via Slack: it is triggered again and that level is notified now.", Escape(r.Actor.Name), IncidentLabel(cur), n, policy),
		AuditIncident: id,
	}, nil
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// escalateFormReply opens the escalate form with the levels of the
// incident's current policy as well as another policy to move to. When the
// policy's levels cannot be read, the form offers another policy only.
func escalateFormReply(ctx context.Context, r *Request, c *lookups) (Reply, error) {
	return formForOpenIncident(ctx, r, "there is nothing to escalate", func(inc *pagerduty.Incident) *slack.ModalViewRequest {
		levels, err := policyLevels(ctx, r, c, inc.EscalationPolicy.ID)
		if err != nil {
			levels = 0
		}
		return EscalateLevelsModal(inc, levels)
	})
}

// EscalateLevelsModal is the escalate form offering both escalations: to a
// level of the current policy (levels of them; none when 0, which is
// EscalateModal) or to another policy.
func EscalateLevelsModal(inc *pagerduty.Incident, levels int) *slack.ModalViewRequest {
	levels = min(levels, maxLevels)
	if levels == 0 {
		return EscalateModal(inc)
	}
	now := "its policy"
	if inc.EscalationPolicy.Summary != "" {
		now = Escape(inc.EscalationPolicy.Summary)
	}
	var opts []*slack.OptionBlockObject
	for i := 1; i <= levels; i++ {
		label := fmt.Sprintf("Level %d of %d", i, levels)
		if i == 1 {
			label += " (the first)"
		}
		opts = append(opts, option(strconv.Itoa(i), label))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick a level"), escLevelSelect, opts...)
	level := slack.NewInputBlock(escLevelBlock, plain("Escalate to a level of the current policy"), nil, sel)
	level.Optional = true
	policy := externalSelect(escPolicyBlock, PolicySearch, "Or move it to another escalation policy", "Type a policy name", false, true)
	return modal(EscalateCallback, "Change escalation", "Escalate",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nCurrent policy: "+now+" ("+plural(levels, "level")+").\n:warning: Escalating notifies that level now and triggers the incident again; another policy restarts escalation from its first level. Pick one of the two."),
		level,
		policy,
		incidentContext(inc.ID),
	)
}

// validateEscalate checks the escalate form: exactly one of a level and a
// policy.
func validateEscalate(r *Request) map[string]string {
	lvl := selected(r, escLevelBlock, escLevelSelect)
	pol := selected(r, escPolicyBlock, PolicySearch)
	switch {
	case lvl != "" && pol != "":
		return map[string]string{escLevelBlock: "Pick a level or another policy, not both."}
	case lvl != "":
		if n, err := strconv.Atoi(lvl); err != nil || n < 1 || n > maxLevels {
			return map[string]string{escLevelBlock: "Pick a level from the list."}
		}
		return nil
	case !pdapi.ValidObjectID(pol):
		return map[string]string{escPolicyBlock: "Pick an escalation policy from the list."}
	}
	return nil
}
