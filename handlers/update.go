package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Incident Update modal IDs.
const (
	UpdateCallback   = "update_submit"
	updStatusBlock   = "status"
	updStatusAction  = "status_select"
	updResBlock      = "resolution"
	updResAction     = "resolution_input"
	updAssignBlock   = "assignees"
	maxResolutionLen = 1000
)

func updateRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "update", Usage: "update [INC] [status=acknowledged|resolved] [resolution=TEXT] [assignees=LIST]",
			Help:     "Update status, resolution and assignees in one go, as you; bare, it opens a form. LIST: @mentions, PagerDuty emails or user IDs, comma-separated.",
			Incident: LeadingRef, NeedsActor: true, Modal: true, Title: "Update incident", FreeText: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if strings.TrimSpace(r.Text) == "" {
					return updateModalReply(ctx, r, false)
				}
				args, rest, err := kvArgs(r.Text, map[string]bool{"status": true, "resolution": true, "assignees": true}, "resolution")
				if err != nil {
					return Reply{}, err
				}
				if rest != "" {
					ex := exampleRef(r)
					return Reply{}, Userf("pdbot understands only status=, resolution= and assignees= here, e.g. `/pd update %sstatus=resolved resolution=Rolled back the deploy` or `/pd update %sassignees=@carol,bob@example.com`.", ex, ex)
				}
				u := incidentUpdate{}
				if v := args["status"]; len(v) > 0 {
					s, ok := parseStatus(v[len(v)-1])
					if !ok && isTriggered(v[len(v)-1]) {
						return Reply{}, cannotTrigger(r)
					}
					if !ok {
						return Reply{}, Userf("The status can be acknowledged or resolved: `/pd update %sstatus=acknowledged`.", exampleRef(r))
					}
					u.status = s
				}
				if v := args["resolution"]; len(v) > 0 {
					u.resolution = FromSlack(strings.Join(v, " "))
				}
				for _, v := range args["assignees"] {
					u.assigneeSpecs = append(u.assigneeSpecs, splitList(v)...)
				}
				return u.apply(ctx, r, r.Incident)
			},
		},
		{
			Kind: Action, ID: ActionReassign, Help: "Card button: reassign (opens the update form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Reassign incident",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return updateModalReply(ctx, r, true)
			},
		},
		{
			Kind: Submission, ID: UpdateCallback, Help: "The incident update form.",
			Incident: FromValue, NeedsActor: true, FreeText: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				u := updateFromForm(r)
				return u.fieldErrors()
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return updateFromForm(r).apply(ctx, r, r.Incident)
			},
		},
	}
}

type incidentUpdate struct {
	status, resolution string
	assigneeSpecs      []string // mentions, emails or IDs
	assigneeIDs        []string // from the form's select (already IDs)
}

func updateFromForm(r *Request) incidentUpdate {
	return incidentUpdate{
		status:      selected(r, updStatusBlock, updStatusAction),
		resolution:  value(r, updResBlock, updResAction),
		assigneeIDs: selectedMany(r, updAssignBlock, UserSearch),
	}
}

func (u incidentUpdate) fieldErrors() map[string]string {
	errs := map[string]string{}
	if u.status != "" && u.status != "acknowledged" && u.status != "resolved" {
		errs[updStatusBlock] = "Choose acknowledged or resolved."
	}
	if u.resolution != "" && u.status != "resolved" {
		errs[updResBlock] = "A resolution goes with the resolved status."
	}
	if len(u.resolution) > maxResolutionLen {
		errs[updResBlock] = fmt.Sprintf("Keep the resolution under %d characters.", maxResolutionLen)
	}
	for _, id := range u.assigneeIDs {
		if !pdapi.ValidObjectID(id) {
			errs[updAssignBlock] = "Pick assignees from the list."
		}
	}
	if u.status == "" && u.resolution == "" && len(u.assigneeIDs) == 0 && len(errs) == 0 {
		errs[updStatusBlock] = "Change something: a status or assignees."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// apply sends one PUT with every change. It reads the incident first so a
// stale form cannot reopen or reassign a resolved incident.
func (u incidentUpdate) apply(ctx context.Context, r *Request, id string) (Reply, error) {
	if u.status == "" && u.resolution == "" && len(u.assigneeSpecs) == 0 && len(u.assigneeIDs) == 0 {
		ex := exampleRef(r)
		return Reply{}, Userf("Nothing to change. Say what to change, e.g. `/pd update %sstatus=resolved resolution=Rolled back the deploy` or `/pd update %sassignees=@carol`, or run `/pd update` alone for a form.", ex, ex)
	}
	if u.resolution != "" && u.status != "resolved" {
		return Reply{}, Userf("A resolution goes with `status=resolved`.")
	}
	if len(u.resolution) > maxResolutionLen {
		return Reply{}, Userf("Keep the resolution under %d characters.", maxResolutionLen)
	}
	people, err := resolveUsers(ctx, r, u.assigneeSpecs)
	if err != nil {
		return Reply{}, err
	}
	for _, idv := range u.assigneeIDs {
		people = append(people, Actor{ID: idv, Name: idv})
	}
	if len(people) > maxTargets {
		return Reply{}, Userf("Assign at most %d people at once.", maxTargets)
	}
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return u.leftResolved(cur, len(people) > 0)
	}
	if cur.Status == "acknowledged" && u.status == "acknowledged" && len(people) == 0 {
		return Reply{Text: alreadyAcknowledged(cur, r.Actor), AuditIncident: id, NoAudit: true}, nil
	}
	o := pdapi.IncidentUpdate{Status: u.status, Resolution: u.resolution}
	for _, p := range people {
		o.Assignments = append(o.Assignments, pagerduty.Assignee{Assignee: pagerduty.APIObject{ID: p.ID, Type: "user_reference"}})
	}
	inc, err := r.PD.UpdateIncident(ctx, id, o)
	if err != nil {
		return unconfirmed(err, cur, "Your update")
	}
	var changes []string
	if u.status != "" {
		changes = append(changes, "status → "+u.status)
	}
	if u.resolution != "" {
		changes = append(changes, "resolution “"+Escape(clip(u.resolution, noteQuoteLimit))+"”")
	}
	if len(people) > 0 {
		var names []string
		for _, a := range inc.Assignments {
			names = append(names, Escape(a.Assignee.Summary))
		}
		if len(names) == 0 {
			for _, p := range people {
				names = append(names, Escape(p.Name))
			}
		}
		changes = append(changes, "assigned to "+strings.Join(names, ", "))
	}
	text := fmt.Sprintf(":pencil2: %s updated %s via Slack: %s.", Escape(r.Actor.Name), IncidentLabel(cur), strings.Join(changes, "; "))
	if u.status != "" {
		text += raceWarning(cur, inc, u.status, r.Actor)
	}
	return Reply{InChannel: true, Text: text, AuditIncident: id}, nil
}

// leftResolved answers an update of a resolved incident, which pdbot leaves
// alone, naming only what this update asked for.
func (u incidentUpdate) leftResolved(cur *pagerduty.Incident, reassign bool) (Reply, error) {
	var why []string
	if u.status == "acknowledged" {
		why = append(why, "acknowledging it would reopen it")
	}
	if reassign {
		why = append(why, "PagerDuty does not reassign a resolved incident")
	}
	if len(why) > 0 {
		return Reply{}, alreadyResolved(cur, strings.Join(why, ", and "))
	}
	text := fmt.Sprintf("%s is already resolved; nothing changed.", IncidentLabel(cur))
	if u.resolution != "" {
		text += fmt.Sprintf(" The resolution was not recorded: PagerDuty keeps one only with the resolve itself. To keep it, add it as a note: `/pd note %s %s`.", RefOf(cur), Escape(strings.ReplaceAll(clip(u.resolution, noteQuoteLimit), "`", "'")))
	}
	return Reply{Text: text, AuditIncident: cur.ID, NoAudit: true}, nil
}

func updateModalReply(ctx context.Context, r *Request, reassign bool) (Reply, error) {
	return formForOpenIncident(ctx, r, "there is nothing to update", func(inc *pagerduty.Incident) *slack.ModalViewRequest {
		return UpdateModal(inc, reassign)
	})
}

// formForOpenIncident reads the incident and answers with a form for it,
// unless it is resolved already (a stale card must not lead anywhere).
func formForOpenIncident(ctx context.Context, r *Request, whyNot string, form func(*pagerduty.Incident) *slack.ModalViewRequest) (Reply, error) {
	cur, err := r.Current(ctx, r.Incident)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, whyNot)
	}
	return Reply{Modal: form(cur), NoAudit: true}, nil
}

// UpdateModal is the Incident Update form.
func UpdateModal(inc *pagerduty.Incident, reassign bool) *slack.ModalViewRequest {
	statusSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Keep "+inc.Status), updStatusAction,
		option("acknowledged", "Acknowledged"), option("resolved", "Resolved"))
	status := slack.NewInputBlock(updStatusBlock, plain("Status"), nil, statusSel)
	status.Optional = true
	res := textInput(updResBlock, updResAction, "Resolution (when resolving)", "What fixed it?", "", true, true, maxResolutionLen)
	assign := externalSelect(updAssignBlock, UserSearch, "Assign to", "Type a name or email", true, true)
	title := "Update incident"
	blocks := []slack.Block{TextSection("summary", "*"+IncidentLabel(inc)+"*\nNow: "+Escape(inc.Status)+". Assigning replaces the current assignees.")}
	if reassign {
		title = "Reassign incident"
		assign.Optional = false
		blocks = append(blocks, assign, status, res)
	} else {
		blocks = append(blocks, status, res, assign)
	}
	blocks = append(blocks, incidentContext(inc.ID))
	return modal(UpdateCallback, title, "Update", blocks...)
}
