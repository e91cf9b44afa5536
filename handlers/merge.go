package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Merge IDs: the card's menu item (a form), the form, and the buttons of
// the confirmation that every merge goes through.
const (
	ActionMerge        = "card_merge"
	MergeCallback      = "merge_submit"
	ActionMergeConfirm = "merge_confirm"
	ActionMergeCancel  = "merge_cancel"
	mergeBlock         = "sources"
	mergeAction        = "sources_input"
)

// maxMergeSources bounds one merge: the confirmation must stay readable,
// and every source costs a read before it is shown and again before the
// write.
const maxMergeSources = 10

// mergeSteers is what the route refusal says guests and bots cannot do.
const mergeSteers = "merge incidents"

func mergeRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "merge", Usage: "merge [INC] INC…",
			Help:     "Merge the other incidents into the first (or into the channel's incident), after a confirmation naming each; PagerDuty resolves them into it. Bare, it opens a form.",
			Incident: LeadingRef, LoneRefIsArg: true, NeedsActor: true, NoGuests: true, Steers: mergeSteers,
			Modal: true, Title: "Merge incidents",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if strings.TrimSpace(r.Text) == "" {
					return mergeModalReply(ctx, r)
				}
				refs, err := parseMergeRefs(r.Text)
				if err != nil {
					return Reply{}, err
				}
				return confirmMerge(ctx, r, r.Incident, refs)
			},
		},
		{
			Kind: Action, ID: ActionMerge, Help: "Card menu: merge other incidents into this one (opens a form).",
			Incident: FromValue, NeedsActor: true, NoGuests: true, Steers: mergeSteers, Modal: true, Title: "Merge incidents",
			Handle: mergeModalReply,
		},
		{
			Kind: Submission, ID: MergeCallback, Help: "The merge form.",
			Incident: FromValue, NeedsActor: true, NoGuests: true, Steers: mergeSteers,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				refs, err := parseMergeRefs(value(r, mergeBlock, mergeAction))
				if err != nil {
					return map[string]string{mergeBlock: Unescape(err.Error())}
				}
				if slices.ContainsFunc(refs, func(ref Ref) bool { return ref.ID != "" && ref.ID == r.Incident }) {
					return map[string]string{mergeBlock: "An incident cannot be merged into itself: name the others."}
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				refs, err := parseMergeRefs(value(r, mergeBlock, mergeAction))
				if err != nil {
					return Reply{}, err
				}
				return confirmMerge(ctx, r, r.Incident, refs)
			},
		},
		{
			Kind: Action, ID: ActionMergeConfirm, Help: "Confirmation button: merge the incidents it names.",
			NeedsActor: true, NoGuests: true, Steers: mergeSteers,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				target, sources, ok := parseMergeValue(r.Action)
				if !ok {
					return Reply{}, Userf("This button does not name valid incidents. Run `/pd merge` again for a fresh confirmation.")
				}
				return merge(ctx, r, target, sources)
			},
		},
		{
			Kind: Action, ID: ActionMergeCancel, Help: "Confirmation button: merge nothing.",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return Reply{Text: "Cancelled: nothing was merged.", NoAudit: true, ReplaceOriginal: true}, nil
			},
		},
	}
}

// parseMergeRefs reads the incidents to merge: references separated by
// spaces or commas, each an ID, an incident URL or #NUMBER.
func parseMergeRefs(text string) ([]Ref, error) {
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' })
	if len(words) == 0 {
		return nil, Userf("Name the incidents to merge: `/pd merge #43 #44` merges them into this channel's incident, `/pd merge #42 #43` merges #43 into #42.")
	}
	if len(words) > maxMergeSources {
		return nil, Userf("Merge at most %d incidents at once.", maxMergeSources)
	}
	var refs []Ref
	for _, w := range words {
		ref, err := ParseRef(w)
		if err != nil {
			return nil, Userf("`%s` is not an incident: give IDs (like Q3X2KJH7PQ9LMN), incident URLs or #NUMBERs, separated by spaces.", Escape(clip(w, 40)))
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// mergeValue is the confirm button's value: the target, then the sources,
// all IDs (numbers were resolved before the confirmation was shown).
func mergeValue(target string, sources []string) string {
	return target + " " + strings.Join(sources, " ")
}

// parseMergeValue reads a confirm button's value, which a client could
// forge: every ID is allow-listed, and none may repeat.
func parseMergeValue(a *slack.BlockAction) (target string, sources []string, ok bool) {
	if a == nil {
		return "", nil, false
	}
	ids := strings.Fields(a.Value)
	if len(ids) < 2 || len(ids) > maxMergeSources+1 {
		return "", nil, false
	}
	for i, id := range ids {
		if !pdapi.ValidIncidentID(id) || slices.Contains(ids[:i], id) {
			return "", nil, false
		}
	}
	return ids[0], ids[1:], true
}

// mergeCheck reads the target and the sources and says why they cannot be
// merged, or returns them. It runs when the confirmation is shown and again
// when it is pressed: the incidents may have changed in between.
func mergeCheck(ctx context.Context, r *Request, target string, sources []Ref) (*pagerduty.Incident, []*pagerduty.Incident, error) {
	into, err := r.Latest(ctx, target)
	if err != nil {
		return nil, nil, err
	}
	if into.Status == "resolved" {
		return nil, nil, Userf("%s is resolved, so nothing was merged: PagerDuty merges only into an open incident. Merge into an open one instead (`/pd merge #OPEN %s`).", IncidentLabel(into), refList(sources))
	}
	var out []*pagerduty.Incident
	for _, ref := range sources {
		src, err := FetchIncident(ctx, r.PD, ref)
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.NotFound() {
			return nil, nil, Userf("PagerDuty has no incident %s that this channel's key can see, so nothing was merged. Check it; an incident of another PagerDuty account cannot be merged here.", Escape(ref.String()))
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case src.ID == into.ID:
			return nil, nil, Userf("%s cannot be merged into itself; nothing was merged. Name the other incidents.", IncidentLabel(into))
		case src.ResolveReason.Type == "merge_resolve_reason":
			where := "another incident"
			if src.ResolveReason.Incident.ID == into.ID {
				where = "it"
			}
			return nil, nil, Userf("%s was already merged into %s, so nothing was merged. Run `/pd merge` again without it.", IncidentLabel(src), where)
		}
		if !slices.ContainsFunc(out, func(o *pagerduty.Incident) bool { return o.ID == src.ID }) {
			out = append(out, src)
		}
	}
	return into, out, nil
}

func refList(refs []Ref) string {
	var s []string
	for _, r := range refs {
		s = append(s, Escape(r.String()))
	}
	return strings.Join(s, " ")
}

// confirmMerge reads every incident and shows the requester what would be
// merged, with Merge and Cancel buttons; nothing is written yet.
func confirmMerge(ctx context.Context, r *Request, target string, refs []Ref) (Reply, error) {
	into, sources, err := mergeCheck(ctx, r, target, refs)
	if err != nil {
		return Reply{}, err
	}
	return Reply{
		Text:          fmt.Sprintf("Merge %d incident(s) into %s?", len(sources), IncidentLabel(into)),
		Blocks:        MergeConfirm(into, sources),
		AuditIncident: into.ID,
		NoAudit:       true,
	}, nil
}

// MergeConfirm is the confirmation of a merge: every incident by number and
// title, what PagerDuty will do, and the buttons.
func MergeConfirm(into *pagerduty.Incident, sources []*pagerduty.Incident) []slack.Block {
	var lines []string
	ids := make([]string, 0, len(sources))
	for _, s := range sources {
		lines = append(lines, "• "+IncidentLabel(s)+" ("+Escape(s.Status)+")")
		ids = append(ids, s.ID)
	}
	text := "*Merge into " + IncidentLabel(into) + "?*\n" + strings.Join(lines, "\n") +
		"\nPagerDuty resolves each of them and moves its alerts into " + RefOf(into) + ". A merge cannot be undone."
	merge := slack.NewButtonBlockElement(ActionMergeConfirm, mergeValue(into.ID, ids), plain("Merge"))
	merge.Style = slack.StyleDanger
	cancel := slack.NewButtonBlockElement(ActionMergeCancel, "cancel", plain("Cancel"))
	return []slack.Block{
		TextSection("merge_summary", text),
		slack.NewActionBlock("merge_actions", merge, cancel),
	}
}

// merge carries out a confirmed merge: the confirmation may be minutes old,
// so every incident is read again first.
func merge(ctx context.Context, r *Request, target string, sourceIDs []string) (Reply, error) {
	refs := make([]Ref, 0, len(sourceIDs))
	for _, id := range sourceIDs {
		refs = append(refs, Ref{ID: id})
	}
	into, sources, err := mergeCheck(ctx, r, target, refs)
	if err != nil {
		return Reply{}, err
	}
	ids := make([]string, 0, len(sources))
	var labels []string
	for _, s := range sources {
		ids = append(ids, s.ID)
		labels = append(labels, IncidentLabel(s))
	}
	if err := r.PD.Merge(ctx, into.ID, ids); err != nil {
		return Reply{}, err
	}
	return Reply{
		InChannel:      true,
		DeleteOriginal: true,
		Text: fmt.Sprintf(":twisted_rightwards_arrows: %s merged %s into %s via Slack; PagerDuty resolved them into it.",
			Escape(r.Actor.Name), strings.Join(labels, ", "), IncidentLabel(into)),
		AuditIncident: into.ID,
	}, nil
}

func mergeModalReply(ctx context.Context, r *Request) (Reply, error) {
	cur, err := r.Current(ctx, r.Incident)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, Userf("%s is resolved, so nothing can be merged into it: PagerDuty merges only into an open incident.", IncidentLabel(cur))
	}
	return Reply{Modal: MergeModal(cur), NoAudit: true}, nil
}

// MergeModal asks which incidents to merge into inc; a confirmation naming
// each follows before anything is sent.
func MergeModal(inc *pagerduty.Incident) *slack.ModalViewRequest {
	return modal(MergeCallback, "Merge incidents", "Next",
		TextSection("summary", "*Merge into "+IncidentLabel(inc)+"*\nPagerDuty resolves each incident you name and moves its alerts into this one. pdbot shows them all for a last check before anything is sent."),
		textInput(mergeBlock, mergeAction, "Incidents to merge into it", "#43 #44, IDs or incident URLs", "", false, false, maxRefLen*maxMergeSources),
		incidentContext(inc.ID),
	)
}
