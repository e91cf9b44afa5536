package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Priority IDs. ActionPriority is for a card control (the card's overflow
// menu): its value is the incident ID, and it opens the priority form.
const (
	ActionPriority    = "card_priority"
	PriorityCallback  = "priority_submit"
	priorityBlock     = "priority"
	prioritySelectAct = "priority_select"
)

// noPriorities is the advice for an account whose GET /priorities is empty.
const noPriorities = "This PagerDuty account has no priorities, so there is nothing to set; an account admin can turn them on in PagerDuty (Incident Priorities, under the account's incident settings). Nothing was sent."

func priorityRoutes(c *lookups) []Route {
	return []Route{
		{
			Kind: Slash, ID: "priority", Usage: "priority [INC] PRIORITY",
			Help:     "Set the incident's priority (a name such as P1, or its ID), as you. Bare, it opens a form.",
			Incident: LeadingRef, LoneObjectIDIsArg: true, NeedsActor: true, Modal: true, Title: "Set priority",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				spec := strings.TrimSpace(r.Text)
				if spec == "" {
					return priorityModalReply(ctx, r, c)
				}
				p, err := resolvePriority(ctx, r, c, spec)
				if err != nil {
					return Reply{}, err
				}
				return setPriority(ctx, r, r.Incident, p)
			},
		},
		{
			Kind: Action, ID: ActionPriority, Help: "Card control: set the priority (opens a form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Set priority",
			Handle: func(ctx context.Context, r *Request) (Reply, error) { return priorityModalReply(ctx, r, c) },
		},
		{
			Kind: Submission, ID: PriorityCallback, Help: "The priority form.",
			Incident: FromValue, NeedsActor: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				if !pdapi.ValidObjectID(selected(r, priorityBlock, prioritySelectAct)) {
					return map[string]string{priorityBlock: "Pick a priority from the list."}
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				p, err := resolvePriority(ctx, r, c, selected(r, priorityBlock, prioritySelectAct))
				if err != nil {
					return Reply{}, err
				}
				return setPriority(ctx, r, r.Incident, p)
			},
		},
	}
}

// priorities lists the account's priorities, cached per key.
func priorities(ctx context.Context, r *Request, c *lookups) ([]pdapi.Priority, error) {
	return cached(c, r, "priorities", func() ([]pdapi.Priority, error) { return r.PD.Priorities(ctx) })
}

// resolvePriority finds one of the account's priorities by ID or name, by
// DESIGN.md's Names rules: an exact name (case-insensitive) first, else the
// only partial match; several partial matches are listed back, and an
// unknown name gets the list of valid ones.
func resolvePriority(ctx context.Context, r *Request, c *lookups, spec string) (pdapi.Priority, error) {
	spec = strings.Trim(strings.TrimSpace(FromSlack(spec)), `"“”`)
	if spec == "" || len(spec) > 100 {
		return pdapi.Priority{}, Userf("Name a priority, such as `/pd priority %sP1`.", exampleRef(r))
	}
	if LooksLikeSecret(spec) {
		return pdapi.Priority{}, Userf("That looks like an API key, not a priority, so pdbot did not look it up. If it is a real key, regenerate it in PagerDuty, then set the new one with `/pd key`.")
	}
	ps, err := priorities(ctx, r, c)
	if err != nil {
		return pdapi.Priority{}, err
	}
	if len(ps) == 0 {
		return pdapi.Priority{}, Userf(noPriorities)
	}
	var partial []pdapi.Priority
	for _, p := range ps {
		if p.ID == spec || strings.EqualFold(p.Name, spec) {
			return p, nil
		}
		if strings.Contains(strings.ToLower(p.Name), strings.ToLower(spec)) {
			partial = append(partial, p)
		}
	}
	switch len(partial) {
	case 0:
		return pdapi.Priority{}, Userf("No priority has that name. This account's priorities are %s: `/pd priority %s%s`.", priorityNames(ps), exampleRef(r), Escape(ps[0].Name))
	case 1:
		return partial[0], nil
	}
	return pdapi.Priority{}, Userf("Several priorities match: %s. Give the exact name.", priorityNames(partial))
}

// priorityNames lists priorities for a message, at most 10 of them.
func priorityNames(ps []pdapi.Priority) string {
	var names []string
	for i, p := range ps {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(ps)-10))
			break
		}
		names = append(names, "*"+Escape(clip(p.Name, 50))+"*")
	}
	return strings.Join(names, ", ")
}

// setPriority sets an incident's priority. It reads the incident first: a
// stale card does not act on a resolved incident, and a priority it
// already has needs nothing sent.
func setPriority(ctx context.Context, r *Request, id string, p pdapi.Priority) (Reply, error) {
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, "its priority no longer steers anyone's response")
	}
	if cur.Priority != nil && cur.Priority.ID == p.ID {
		return Reply{Text: fmt.Sprintf("%s already has priority *%s*; nothing changed.", IncidentLabel(cur), Escape(p.Name)), NoAudit: true}, nil
	}
	was := ""
	if cur.Priority != nil && cur.Priority.Summary != "" {
		was = " (was " + Escape(cur.Priority.Summary) + ")"
	}
	if _, err := r.PD.UpdateIncident(ctx, id, pdapi.IncidentUpdate{
		Priority: &pagerduty.APIReference{ID: p.ID, Type: "priority_reference"},
	}); err != nil {
		return unconfirmed(err, cur, "Your change of priority")
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":label: %s set the priority of %s to *%s*%s via Slack.", Escape(r.Actor.Name), IncidentLabel(cur), Escape(p.Name), was),
		AuditIncident: id,
	}, nil
}

func priorityModalReply(ctx context.Context, r *Request, c *lookups) (Reply, error) {
	cur, err := r.Current(ctx, r.Incident)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, "its priority no longer steers anyone's response")
	}
	ps, err := priorities(ctx, r, c)
	if err != nil {
		return Reply{}, err
	}
	if len(ps) == 0 {
		return Reply{}, Userf(noPriorities)
	}
	return Reply{Modal: PriorityModal(cur, ps), NoAudit: true}, nil
}

// PriorityModal is the priority form: the account's priorities (most
// severe first, at most Block Kit's 100) in a static select, the current
// one selected.
func PriorityModal(inc *pagerduty.Incident, ps []pdapi.Priority) *slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, p := range ps {
		if len(opts) == maxOptions {
			break
		}
		label := p.Name
		if p.Description != "" {
			label += " — " + p.Description
		}
		o := option(p.ID, label)
		opts = append(opts, o)
		if inc.Priority != nil && inc.Priority.ID == p.ID {
			initial = o
		}
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick a priority"), prioritySelectAct, opts...)
	sel.InitialOption = initial
	now := "none"
	if inc.Priority != nil && inc.Priority.Summary != "" {
		now = Escape(inc.Priority.Summary)
	}
	return modal(PriorityCallback, "Set priority", "Set priority",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nCurrent priority: "+now+"."),
		slack.NewInputBlock(priorityBlock, plain("Priority"), nil, sel),
		incidentContext(inc.ID),
	)
}
