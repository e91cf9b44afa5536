package pdfake

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Date range of GET /incidents (the document's since and until): "Maximum
// range is 6 months and default is 1 month", unless date_range=all.
const (
	defaultIncidentRange = 30 * 24 * time.Hour
	maxIncidentRange     = 183 * 24 * time.Hour
)

// incidentSortFields are the fields GET /incidents sorts on (sort_by).
var incidentSortFields = []string{"incident_number", "created_at", "resolved_at", "urgency"}

func (s *Server) listIncidents(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		return response{}, apiErr
	}
	now := s.now()
	since, until := now.Add(-defaultIncidentRange), now
	allDates := q.Get("date_range") == "all"
	if !allDates {
		var err *apiError
		if v := q.Get("since"); v != "" {
			if since, err = parseTime("since", v); err != nil {
				return response{}, err
			}
		}
		if v := q.Get("until"); v != "" {
			if until, err = parseTime("until", v); err != nil {
				return response{}, err
			}
		}
		if until.Before(since) {
			return response{}, errInvalid("until cannot be before since")
		}
		if until.Sub(since) > maxIncidentRange {
			return response{}, errInvalid("The date range cannot be longer than 6 months")
		}
	}
	less, apiErr := incidentOrder(q.Get("sort_by"))
	if apiErr != nil {
		return response{}, apiErr
	}
	statuses, users, services := q["statuses[]"], q["user_ids[]"], q["service_ids[]"]
	urgencies, key := q["urgencies[]"], q.Get("incident_key")
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*incidentState
	for _, st := range s.incidents {
		switch {
		case !allDates && (st.CreatedAt.Before(since) || st.CreatedAt.After(until)):
		case len(statuses) > 0 && !slices.Contains(statuses, st.Status):
		// Only open incidents are assigned to anyone (the document's user_ids[]).
		case len(users) > 0 && (st.Status == statusResolved || !slices.ContainsFunc(users, func(u string) bool { return slices.Contains(st.Assignees, u) })):
		case len(services) > 0 && !slices.Contains(services, st.ServiceID):
		case len(urgencies) > 0 && !slices.Contains(urgencies, st.Urgency):
		case key != "" && key != "pdfake-"+st.ID:
		case len(q["team_ids[]"]) > 0: // no incident here belongs to a team
		default:
			found = append(found, st)
		}
	}
	slices.SortFunc(found, less)
	out := make([]obj, 0, len(found))
	for _, st := range found {
		out = append(out, s.renderIncident(st))
	}
	return response{http.StatusOK, paginate(p, "incidents", out)}, nil
}

// incidentOrder reads sort_by: at most two of incidentSortFields, each with
// an optional :asc or :desc, comma-separated; by default incidents come by
// creation, oldest first. Ties go by number.
func incidentOrder(sortBy string) (func(a, b *incidentState) int, *apiError) {
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	if sortBy != "" {
		parts := strings.Split(sortBy, ",")
		if len(parts) > 2 {
			return nil, errInvalid("sort_by takes at most two fields")
		}
		for _, part := range parts {
			field, dir, _ := strings.Cut(part, ":")
			if !slices.Contains(incidentSortFields, field) || (dir != "" && dir != "asc" && dir != "desc") {
				return nil, errInvalid("sort_by must be incident_number, created_at, resolved_at or urgency, with :asc or :desc")
			}
			keys = append(keys, key{field, dir == "desc"})
		}
	}
	keys = append(keys, key{field: "created_at"}, key{field: "incident_number"})
	return func(a, b *incidentState) int {
		for _, k := range keys {
			var c int
			switch k.field {
			case "incident_number":
				c = cmp.Compare(a.Number, b.Number)
			case "created_at":
				c = a.CreatedAt.Compare(b.CreatedAt)
			case "resolved_at":
				c = a.ResolvedAt.Compare(b.ResolvedAt)
			case "urgency": // low before high
				c = cmp.Compare(urgencyRank(a.Urgency), urgencyRank(b.Urgency))
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}, nil
}

func urgencyRank(u string) int {
	if u == "high" {
		return 1
	}
	return 0
}
