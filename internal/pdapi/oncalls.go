package pdapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/PagerDuty/go-pagerduty"
)

// Ref is a reference to a PagerDuty object: its ID and its name.
type Ref struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

// OnCall is one entry of GET /oncalls: a user on call for an escalation
// policy at a level, from Start to End (RFC 3339; "" when PagerDuty sends
// null: a permanent on-call, or one that does not end).
type OnCall struct {
	EscalationPolicy Ref    `json:"escalation_policy"`
	User             Ref    `json:"user"`
	Schedule         *Ref   `json:"schedule"`
	Level            int    `json:"escalation_level"`
	Start            string `json:"start"`
	End              string `json:"end"`
}

// OnCallsOf says whose on-calls ListOnCalls reads: those of escalation
// policies, or of schedules.
type OnCallsOf struct {
	PolicyIDs, ScheduleIDs []string
}

// maxOnCalls bounds what ListOnCalls reads: one full page, far more
// levels and people than an answer in Slack can show.
const maxOnCalls = pageLimit

// ListOnCalls reads who is on call now (GET /oncalls, earliest=true: one
// entry per policy, level and user), up to a page of entries. IDs are
// allow-listed; an empty OnCallsOf is refused, since it would list the
// whole account.
func (c *Client) ListOnCalls(ctx context.Context, of OnCallsOf) ([]OnCall, error) {
	q := url.Values{"earliest": {"true"}}
	for _, id := range of.PolicyIDs {
		if !ValidObjectID(id) {
			return nil, fmt.Errorf("list on-calls: malformed policy id")
		}
		q.Add("escalation_policy_ids[]", id)
	}
	for _, id := range of.ScheduleIDs {
		if !ValidObjectID(id) {
			return nil, fmt.Errorf("list on-calls: malformed schedule id")
		}
		q.Add("schedule_ids[]", id)
	}
	if len(q) == 1 {
		return nil, fmt.Errorf("list on-calls: no policy or schedule")
	}
	var out []OnCall
	err := List(ctx, c, []string{"oncalls"}, q, "oncalls", func(o OnCall) bool {
		out = append(out, o)
		return len(out) < maxOnCalls
	})
	if err != nil {
		return nil, fmt.Errorf("list on-calls: %w", err)
	}
	return out, nil
}

// ServiceInfo is a service and its escalation policy.
type ServiceInfo struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	EscalationPolicy Ref    `json:"escalation_policy"`
}

// GetServiceInfo fetches a service with its escalation policy
// (GET /services/{id}).
func (c *Client) GetServiceInfo(ctx context.Context, id string) (ServiceInfo, error) {
	return getObject[ServiceInfo](ctx, c, "service", "services", id)
}

// EachServiceInfo is SearchServices with each service's escalation policy,
// which GET /services lists with it.
func (c *Client) EachServiceInfo(ctx context.Context, query string, each func(ServiceInfo) bool) error {
	return searchObjects(ctx, c, "services", "services", query, func(s ServiceInfo) string { return s.ID }, each)
}

// Schedule is the part of a PagerDuty on-call schedule pdbot uses.
type Schedule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// GetSchedule fetches a schedule by ID (GET /schedules/{id}).
func (c *Client) GetSchedule(ctx context.Context, id string) (Schedule, error) {
	return getObject[Schedule](ctx, c, "schedule", "schedules", id)
}

// SearchSchedules hands each schedule whose name matches query to each, in
// PagerDuty's order, page after page until each returns false
// (GET /schedules?query=). Schedules with a malformed ID are skipped.
func (c *Client) SearchSchedules(ctx context.Context, query string, each func(Schedule) bool) error {
	return searchObjects(ctx, c, "schedules", "schedules", query, func(s Schedule) string { return s.ID }, each)
}

// EachPolicy hands each escalation policy whose name matches query
// to each, page after page until each returns false
// (GET /escalation_policies?query=).
func (c *Client) EachPolicy(ctx context.Context, query string, each func(Ref) bool) error {
	type policy struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	return searchObjects(ctx, c, "escalation_policies", "escalation policies", query, func(p policy) string { return p.ID },
		func(p policy) bool { return each(Ref{ID: p.ID, Summary: p.Name}) })
}

// OpenIncidents says which open incidents ListOpenIncidents reads: those
// assigned to any of UserIDs, on any of ServiceIDs (none: every one).
type OpenIncidents struct {
	UserIDs, ServiceIDs []string
	// Max bounds how many are read (0 means one).
	Max int
	// Newest reads the newest first, rather than the oldest.
	Newest bool
}

// ListOpenIncidents reads open (triggered and acknowledged) incidents,
// oldest first unless q.Newest (GET /incidents with statuses[], date_range=all, since
// PagerDuty otherwise lists only the last month's, and total=true), up to
// q.Max of them, and how many PagerDuty has in all.
func (c *Client) ListOpenIncidents(ctx context.Context, q OpenIncidents) (incs []pagerduty.Incident, total int, err error) {
	v := url.Values{
		"statuses[]": {"triggered", "acknowledged"},
		"date_range": {"all"},
		"sort_by":    {"created_at:asc"},
		"total":      {"true"},
	}
	if q.Newest {
		v.Set("sort_by", "created_at:desc")
	}
	for _, id := range q.UserIDs {
		if !ValidObjectID(id) {
			return nil, 0, fmt.Errorf("list incidents: malformed user id")
		}
		v.Add("user_ids[]", id)
	}
	for _, id := range q.ServiceIDs {
		if !ValidObjectID(id) {
			return nil, 0, fmt.Errorf("list incidents: malformed service id")
		}
		v.Add("service_ids[]", id)
	}
	limit := max(q.Max, 1)
	for offset := 0; ; {
		v.Set("limit", strconv.Itoa(min(pageLimit, maxOffset-offset)))
		v.Set("offset", strconv.Itoa(offset))
		var page struct {
			Incidents []pagerduty.Incident `json:"incidents"`
			More      bool                 `json:"more"`
			Total     *int                 `json:"total"`
		}
		if err := c.Do(ctx, Call{Method: http.MethodGet, Path: []string{"incidents"}, Query: v}, &page); err != nil {
			return nil, 0, fmt.Errorf("list incidents: %w", err)
		}
		if offset == 0 && page.Total != nil {
			total = *page.Total
		}
		for _, in := range page.Incidents {
			if ValidIncidentID(in.ID) {
				incs = append(incs, in)
			}
		}
		offset += len(page.Incidents)
		if !page.More || len(page.Incidents) == 0 || len(incs) >= limit || offset >= maxOffset {
			break
		}
	}
	if len(incs) > limit {
		incs = incs[:limit]
	}
	return incs, max(total, len(incs)), nil
}
