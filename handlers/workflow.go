package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Incident workflow IDs: the card's menu item (a form), the form, and its
// type-ahead (for accounts with more workflows than a static select holds).
const (
	ActionWorkflow   = "card_workflow"
	WorkflowCallback = "workflow_submit"
	WorkflowSearch   = "workflow_search"
	workflowBlock    = "workflow"
	workflowSelect   = "workflow_select"
)

// workflowTTL is how long an account's list of workflows is reused: they
// change rarely, and a name typed twice in a row costs one listing. A miss
// reads the list again at once, so a new workflow is never refused for
// being newer than the cache.
const workflowTTL = 5 * time.Minute

// workflowWhyNot is why pdbot starts no workflow on a resolved incident.
const workflowWhyNot = "a workflow on it would run its steps (pages, bridges, status updates) for an incident that is over"

// workflowCache holds each key's enabled workflows, by key ID.
type workflowCache struct {
	mu sync.Mutex
	m  map[string]workflowEntry
}

type workflowEntry struct {
	items []pdapi.Workflow
	exp   time.Time
}

func newWorkflowCache() *workflowCache { return &workflowCache{m: map[string]workflowEntry{}} }

// list returns the key's enabled workflows, from the cache unless fresh is
// set or the entry expired.
func (c *workflowCache) list(ctx context.Context, r *Request, fresh bool) ([]pdapi.Workflow, error) {
	key, now := r.PD.KeyID(), r.Now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && !fresh && now.Before(e.exp) {
		return e.items, nil
	}
	all, err := r.PD.Workflows(ctx)
	if err != nil {
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.StatusCode == 402 {
			return nil, Userf("Your PagerDuty account does not include incident workflows, so there is nothing to start. Ask your PagerDuty admin.")
		}
		return nil, err
	}
	var items []pdapi.Workflow
	for _, w := range all {
		if !w.Disabled() {
			items = append(items, w)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxSuggestEntries {
		clear(c.m)
	}
	c.m[key] = workflowEntry{items: items, exp: now.Add(workflowTTL)}
	return items, nil
}

func workflowRoutes(cache *workflowCache) []Route {
	modalReply := func(ctx context.Context, r *Request) (Reply, error) {
		cur, err := r.Current(ctx, r.Incident)
		if err != nil {
			return Reply{}, err
		}
		if cur.Status == "resolved" {
			return Reply{}, alreadyResolved(cur, workflowWhyNot)
		}
		ws, err := cache.list(ctx, r, false)
		if err != nil {
			return Reply{}, err
		}
		if len(ws) == 0 {
			return Reply{}, Userf("This PagerDuty account has no incident workflows turned on, so there is nothing to start. They are set up in PagerDuty under Automation › Incident Workflows.")
		}
		return Reply{Modal: WorkflowModal(cur, ws), NoAudit: true}, nil
	}
	return []Route{
		{
			Kind: Slash, ID: "workflow", Usage: "workflow [INC] WORKFLOW",
			Help:     "Start a PagerDuty incident workflow (name or ID) on the incident, as you. Bare, it opens a form listing them.",
			Incident: LeadingRef, LoneObjectIDIsArg: true, NeedsActor: true, Modal: true, Title: "Start a workflow",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				spec := strings.Trim(strings.TrimSpace(FromSlack(r.Text)), `"“”`)
				if spec == "" {
					return modalReply(ctx, r)
				}
				w, err := resolveWorkflow(ctx, r, cache, spec)
				if err != nil {
					return Reply{}, err
				}
				return startWorkflow(ctx, r, r.Incident, w.ID, w.Name)
			},
		},
		{
			Kind: Action, ID: ActionWorkflow, Help: "Card menu: start an incident workflow (opens a form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Start a workflow",
			Handle: modalReply,
		},
		{
			Kind: Submission, ID: WorkflowCallback, Help: "The incident workflow form.",
			Incident: FromValue, NeedsActor: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				if !pdapi.ValidObjectID(workflowPicked(r).Value) {
					return map[string]string{workflowBlock: "Pick a workflow from the list."}
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				opt := workflowPicked(r)
				name := opt.Value
				if opt.Text != nil && opt.Text.Text != "" {
					name = opt.Text.Text
				}
				return startWorkflow(ctx, r, r.Incident, opt.Value, name)
			},
		},
		{
			Kind: Suggestion, ID: WorkflowSearch, Help: "Type-ahead for incident workflows.", NeedsKey: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				ws, err := cache.list(ctx, r, false)
				if err != nil {
					return Reply{}, err
				}
				q := strings.ToLower(strings.TrimSpace(r.Query))
				opts := []*slack.OptionBlockObject{}
				for _, w := range ws {
					if len(opts) == maxOptions {
						break
					}
					if strings.Contains(strings.ToLower(w.Name), q) {
						opts = append(opts, option(w.ID, w.Name))
					}
				}
				return Reply{Options: opts, NoAudit: true}, nil
			},
		},
	}
}

// workflowPicked is the form's choice, from the static select or the
// type-ahead (whichever the form had).
func workflowPicked(r *Request) slack.OptionBlockObject {
	for _, action := range []string{WorkflowSearch, workflowSelect} {
		if o := r.Values[workflowBlock][action].SelectedOption; o.Value != "" {
			return o
		}
	}
	return slack.OptionBlockObject{}
}

// resolveWorkflow finds a workflow by ID or name (DESIGN.md, "Names"): an
// exact name, case-insensitive, wins over partial matches; several partial
// matches ask instead of guessing. A miss reads the list again, in case the
// workflow is newer than the cache.
func resolveWorkflow(ctx context.Context, r *Request, cache *workflowCache, spec string) (pdapi.Workflow, error) {
	if len(spec) > 200 {
		return pdapi.Workflow{}, Userf("That is too long for a workflow name. Name the workflow, or run `/pd workflow` alone to pick one from a list.")
	}
	if LooksLikeSecret(spec) {
		return pdapi.Workflow{}, Userf("That looks like an API key, not a workflow name, so pdbot did not look it up. If it is a real key, regenerate it in PagerDuty, then set the new one with `/pd key`.")
	}
	for _, fresh := range []bool{false, true} {
		ws, err := cache.list(ctx, r, fresh)
		if err != nil {
			return pdapi.Workflow{}, err
		}
		var partial []pdapi.Workflow
		for _, w := range ws {
			if w.ID == spec || strings.EqualFold(w.Name, spec) {
				return w, nil
			}
			if strings.Contains(strings.ToLower(w.Name), strings.ToLower(spec)) {
				partial = append(partial, w)
			}
		}
		switch {
		case len(partial) == 1:
			return partial[0], nil
		case len(partial) > 1:
			var names []string
			for i, w := range partial {
				if i == 5 {
					names = append(names, fmt.Sprintf("and %d more", len(partial)-5))
					break
				}
				names = append(names, "“"+Escape(w.Name)+"” ("+w.ID+")")
			}
			return pdapi.Workflow{}, Userf("Several workflows match: %s. Give the exact name or the ID.", strings.Join(names, ", "))
		}
	}
	return pdapi.Workflow{}, Userf("No incident workflow that is turned on has that name or ID, so nothing was started. Check the spelling, or run `/pd workflow` alone to pick one from a list.")
}

// startWorkflow starts one workflow on the incident, after reading it: a
// resolved incident gets no workflow.
func startWorkflow(ctx context.Context, r *Request, id, workflowID, name string) (Reply, error) {
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, workflowWhyNot)
	}
	if _, err := r.PD.StartWorkflow(ctx, workflowID, cur.ID); err != nil {
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.StatusCode == 402 {
			return Reply{}, Userf("Your PagerDuty account does not include incident workflows, so nothing was started. Ask your PagerDuty admin.")
		}
		if errors.As(err, &ae) && ae.NotFound() {
			return Reply{}, Userf("PagerDuty has no workflow %s (or no incident %s) with this channel's key, so nothing was started. Run `/pd workflow` alone to pick one from a list.", Escape(workflowID), RefOf(cur))
		}
		return Reply{}, err
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":gear: %s started the workflow *%s* on %s via Slack.", Escape(r.Actor.Name), Escape(clip(name, 100)), IncidentLabel(cur)),
		AuditIncident: cur.ID,
	}, nil
}

// WorkflowModal lists the account's workflows: a static select when they
// fit in one, else a type-ahead.
func WorkflowModal(inc *pagerduty.Incident, ws []pdapi.Workflow) *slack.ModalViewRequest {
	var el slack.BlockElement
	if len(ws) <= maxOptions {
		opts := make([]*slack.OptionBlockObject, 0, len(ws))
		for _, w := range ws {
			o := option(w.ID, w.Name)
			if d := strings.TrimSpace(w.Description); d != "" {
				o.Description = plain(clip(d, optionTextLimit))
			}
			opts = append(opts, o)
		}
		el = slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick a workflow"), workflowSelect, opts...)
	} else {
		zero := 0
		s := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plain("Type a workflow name"), WorkflowSearch)
		s.MinQueryLength = &zero
		el = s
	}
	return modal(WorkflowCallback, "Start a workflow", "Start",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nThe workflow runs its steps on this incident, started by you."),
		slack.NewInputBlock(workflowBlock, plain("Incident workflow"), nil, el),
		incidentContext(inc.ID),
	)
}
