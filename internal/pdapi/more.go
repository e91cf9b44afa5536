package pdapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// Snooze bounds (the duration of POST /incidents/{id}/snooze, PagerDuty's
// OpenAPI document: 1 to 604800 seconds).
const (
	MinSnooze = time.Second
	MaxSnooze = 7 * 24 * time.Hour
)

// Snooze snoozes an acknowledged incident for d, as the requester
// (POST /incidents/{id}/snooze): it goes back to triggered when d is over.
// go-pagerduty's SnoozeIncident sends no From, so this is a raw request.
// d is sent in whole seconds.
func (c *Client) Snooze(ctx context.Context, id string, d time.Duration) (*pagerduty.Incident, error) {
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("snooze incident: malformed id")
	}
	if d < MinSnooze || d > MaxSnooze {
		return nil, fmt.Errorf("snooze incident %s: duration %s out of range", id, d)
	}
	body := map[string]int64{"duration": int64(d / time.Second)}
	var out struct {
		Incident *pagerduty.Incident `json:"incident"`
	}
	if err := c.Do(ctx, Call{Method: http.MethodPost, Path: []string{"incidents", id, "snooze"}, Body: body}, &out); err != nil {
		return nil, fmt.Errorf("snooze incident %s: %w", id, err)
	}
	if out.Incident == nil || out.Incident.ID != id {
		return nil, fmt.Errorf("snooze incident %s: %w", id, ErrUnconfirmed)
	}
	return out.Incident, nil
}

// Priority is one of the account's incident priorities.
type Priority struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Priorities lists the account's priorities, most severe first
// (GET /priorities). An account with priorities turned off has none.
// Priorities with a malformed ID are left out.
func (c *Client) Priorities(ctx context.Context) ([]Priority, error) {
	var out []Priority
	err := List(ctx, c, []string{"priorities"}, url.Values{}, "priorities", func(p Priority) bool {
		if ValidObjectID(p.ID) {
			out = append(out, p)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list priorities: %w", err)
	}
	return out, nil
}

// Policy is the part of an escalation policy pdbot uses: its name and how
// many levels (escalation rules) it has.
type Policy struct {
	ID, Name string
	Levels   int
}

// GetPolicy fetches an escalation policy (GET /escalation_policies/{id}).
func (c *Client) GetPolicy(ctx context.Context, id string) (Policy, error) {
	if !ValidObjectID(id) {
		return Policy{}, fmt.Errorf("get escalation policy: malformed id")
	}
	var out struct {
		Policy struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Rules []struct {
				ID string `json:"id"`
			} `json:"escalation_rules"`
		} `json:"escalation_policy"`
	}
	if err := c.Do(ctx, Call{Method: http.MethodGet, Path: []string{"escalation_policies", id}}, &out); err != nil {
		return Policy{}, fmt.Errorf("get escalation policy %s: %w", id, err)
	}
	return Policy{ID: out.Policy.ID, Name: out.Policy.Name, Levels: len(out.Policy.Rules)}, nil
}
