package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Update Escalation Policy modal IDs.
const (
	EscalateCallback = "escalate_submit"
	escPolicyBlock   = "policy"
)

func escalateRoutes(c *lookups) []Route {
	return []Route{
		{
			Kind: Slash, ID: "escalate", Usage: "escalate [INC] POLICY|level=N",
			Help:     "Move the incident to another escalation policy (name or ID), as you; escalation restarts. With level=N, escalate it to level N of its current policy. Bare, it opens a form.",
			Incident: LeadingRef, LoneObjectIDIsArg: true, NeedsActor: true, Modal: true, Title: "Change escalation",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				spec := strings.TrimSpace(r.Text)
				if spec == "" {
					return escalateFormReply(ctx, r, c)
				}
				if n, ok := parseLevel(spec); ok {
					return escalateToLevel(ctx, r, c, r.Incident, n)
				}
				if args, _, _ := kvArgs(spec, map[string]bool{"assignees": true, "assignee": true}, ""); len(args) > 0 {
					return Reply{}, Userf("PagerDuty cannot take assignees and an escalation policy in one update. Change the policy with `/pd escalate`, then assign people with `/pd update assignees=…` if you still need to.")
				}
				id, name, err := resolvePolicy(ctx, r, spec)
				if err != nil {
					return Reply{}, err
				}
				return escalate(ctx, r, r.Incident, id, name)
			},
		},
		{
			Kind: Action, ID: ActionEscalate, Help: "Card button: change the escalation policy (opens a form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Change escalation",
			Handle: func(ctx context.Context, r *Request) (Reply, error) { return escalateFormReply(ctx, r, c) },
		},
		{
			Kind: Submission, ID: EscalateCallback, Help: "The escalation policy form.",
			Incident: FromValue, NeedsActor: true,
			Validate: func(ctx context.Context, r *Request) map[string]string { return validateEscalate(r) },
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if n, err := strconv.Atoi(selected(r, escLevelBlock, escLevelSelect)); err == nil {
					return escalateToLevel(ctx, r, c, r.Incident, n)
				}
				opt := r.Values[escPolicyBlock][PolicySearch].SelectedOption
				name := opt.Value
				if opt.Text != nil && opt.Text.Text != "" {
					name = opt.Text.Text
				}
				return escalate(ctx, r, r.Incident, opt.Value, name)
			},
		},
	}
}

// escalate moves the incident to a policy. It reads the incident first: a
// resolved incident is not reassigned by a stale card.
func escalate(ctx context.Context, r *Request, id, policyID, policyName string) (Reply, error) {
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, "changing its escalation policy would page people for nothing")
	}
	if cur.EscalationPolicy.ID == policyID {
		return Reply{Text: fmt.Sprintf("%s already uses %s; nothing changed.", IncidentLabel(cur), Escape(policyName)), NoAudit: true}, nil
	}
	inc, err := r.PD.UpdateIncident(ctx, id, pdapi.IncidentUpdate{
		EscalationPolicy: &pagerduty.APIReference{ID: policyID, Type: "escalation_policy_reference"},
	})
	if err != nil {
		return unconfirmed(err, cur, "Your change of escalation policy")
	}
	if inc.EscalationPolicy.Summary != "" {
		policyName = inc.EscalationPolicy.Summary
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":arrows_counterclockwise: %s moved %s to the escalation policy *%s* via Slack. Escalation restarts from its first level.", Escape(r.Actor.Name), IncidentLabel(cur), Escape(policyName)),
		AuditIncident: id,
	}, nil
}

// EscalateModal is the Update Escalation Policy form; its submit button is
// the confirmation.
func EscalateModal(inc *pagerduty.Incident) *slack.ModalViewRequest {
	now := "none"
	if inc.EscalationPolicy.Summary != "" {
		now = Escape(inc.EscalationPolicy.Summary)
	}
	return modal(EscalateCallback, "Change escalation", "Change policy",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nCurrent policy: "+now+".\n:warning: Changing the policy restarts escalation: its first level is notified now. Assignees cannot be changed in the same step."),
		externalSelect(escPolicyBlock, PolicySearch, "New escalation policy", "Type a policy name", false, false),
		incidentContext(inc.ID),
	)
}
