package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// IncidentSearch is the type-ahead of open incidents (an external_select
// in every form's incident field).
const IncidentSearch = "incident_search"

// The incident field of a form: an open incident picked by type-ahead, or
// one typed (an ID, a URL or #NUMBER) as a fallback. The typed input keeps
// the block and action IDs the picker form always had.
const (
	incidentPickBlock = "incident_pick"
	incidentTypeBlock = pickerBlock
)

// maxPickable bounds the open incidents the type-ahead reads for a key:
// five of PagerDuty's pages. Past that, the newest are offered and the
// typed field reaches the rest.
const maxPickable = 500

// incidentSuggestKind is the suggestCache kind of open incidents.
const incidentSuggestKind = "incidents"

func incidentPickRoutes(cache *suggestCache) []Route {
	return []Route{{
		Kind: Suggestion, ID: IncidentSearch, Help: "Type-ahead for open incidents (number, title or service).", NeedsKey: true,
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			return suggestIncidents(ctx, r, cache)
		},
	}}
}

// suggestIncidents answers the incident type-ahead from the key's open
// incidents (GET /incidents?statuses[]=triggered&statuses[]=acknowledged),
// read once per key for suggestTTL and filtered here: PagerDuty's list has
// no text query, so every keystroke is answered from the one read.
func suggestIncidents(ctx context.Context, r *Request, cache *suggestCache) (Reply, error) {
	raw := strings.TrimSpace(r.Query)
	if LooksLikeSecret(raw) {
		return Reply{Options: []*slack.OptionBlockObject{}, NoAudit: true}, nil
	}
	q := strings.ToLower(strings.TrimPrefix(raw, "#"))
	if rs := []rune(q); len(rs) > 100 {
		q = string(rs[:100])
	}
	items, ok := cache.lookup(r.PD.KeyID(), incidentSuggestKind, q, r.Now())
	if !ok {
		// Newest first: the incident someone is looking for is most
		// likely a recent one.
		incs, _, err := r.PD.ListOpenIncidents(ctx, pdapi.OpenIncidents{Max: maxPickable, Newest: true})
		if err != nil {
			return Reply{}, err
		}
		all := make([]suggestItem, 0, len(incs))
		for _, in := range incs {
			all = append(all, incidentItem(in))
		}
		cache.store(r.PD.KeyID(), incidentSuggestKind, "", all, true, r.Now())
		items, _ = cache.lookup(r.PD.KeyID(), incidentSuggestKind, q, r.Now())
	}
	return suggestReply(items), nil
}

// incidentItem is an open incident as a type-ahead option: "#42 Title —
// Service", matched on its number, title and service.
func incidentItem(in pagerduty.Incident) suggestItem {
	label := in.Title
	num := ""
	if in.IncidentNumber > 0 {
		num = fmt.Sprintf("#%d", in.IncidentNumber)
		label = num + " " + label
	}
	if in.Service.Summary != "" {
		label = clip(label, optionTextLimit-len([]rune(in.Service.Summary))-3) + " — " + in.Service.Summary
	}
	return suggestItem{ID: in.ID, Label: label, Match: strings.ToLower(num + " " + strings.TrimPrefix(num, "#") + " " + in.Title + " " + in.Service.Summary)}
}

// incidentFields is a form's incident field: the type-ahead of open
// incidents, and the typed reference as a fallback. Both are optional to
// Slack; pickedRef asks for one of them.
func incidentFields() []slack.Block {
	pick := externalSelect(incidentPickBlock, IncidentSearch, "Open incident", "Type a number, title or service", false, true)
	typed := textInput(incidentTypeBlock, pickerAction, "Or give an incident", "Q3X2KJH7PQ9LMN, an incident URL or #42", "", false, true, maxRefLen)
	typed.Hint = plain("For an incident the list does not show: a resolved one, or one past the newest 500.")
	return []slack.Block{pick, typed}
}

// pickedRef reads a form's incident field: the picked open incident, else
// the typed reference. On a problem it returns the field error, keyed by
// the input block to show it under.
func pickedRef(r *Request) (Ref, map[string]string) {
	if id := selected(r, incidentPickBlock, IncidentSearch); id != "" {
		if !pdapi.ValidIncidentID(id) {
			return Ref{}, map[string]string{incidentPickBlock: "Pick the incident from the list."}
		}
		return Ref{ID: id}, nil
	}
	typed := value(r, incidentTypeBlock, pickerAction)
	if typed == "" {
		return Ref{}, map[string]string{incidentPickBlock: "Pick an open incident from the list, or give one below."}
	}
	ref, err := ParseRef(typed)
	if err != nil {
		return Ref{}, map[string]string{incidentTypeBlock: "Give an incident ID (like Q3X2KJH7PQ9LMN), an incident URL or #NUMBER."}
	}
	return ref, nil
}

// urgencyOrder ranks urgencies for lists: high first.
func urgencyOrder(u string) int {
	if u == "high" {
		return 0
	}
	return 1
}

// sortOpen orders open incidents for people: triggered first, then high
// urgency first, then the oldest first (ties by number).
func sortOpen(incs []pagerduty.Incident) {
	created := func(in pagerduty.Incident) time.Time {
		t, _ := time.Parse(time.RFC3339, in.CreatedAt)
		return t
	}
	slices.SortStableFunc(incs, func(a, b pagerduty.Incident) int {
		return cmp.Or(
			cmp.Compare(statusOrder(a.Status), statusOrder(b.Status)),
			cmp.Compare(urgencyOrder(a.Urgency), urgencyOrder(b.Urgency)),
			created(a).Compare(created(b)),
			cmp.Compare(a.IncidentNumber, b.IncidentNumber),
		)
	})
}

func statusOrder(s string) int {
	if s == "triggered" {
		return 0
	}
	return 1
}
