package pdapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/PagerDuty/go-pagerduty"
)

// NewIncident is what CreateIncident opens. Assignees and EscalationPolicy
// are optional and exclusive (PagerDuty refuses both); without either, the
// service's escalation policy assigns the incident.
type NewIncident struct {
	Title     string
	ServiceID string
	Urgency   string // "high", "low" or "" (the service's default)
	Details   string // the incident body's details; "" sends no body
	// Assignees are PagerDuty user IDs.
	Assignees []string
	// EscalationPolicy is a policy ID.
	EscalationPolicy string
}

// CreateIncident opens an incident as the requester (POST /incidents) and
// returns it as PagerDuty answers it. It sends its own body rather than
// go-pagerduty's CreateIncidentWithContext, which always sends
// "priority": null (refused by PagerDuty's document) and an empty From
// when it has none. A POST is never replayed after a 5xx or a timeout:
// the incident may exist.
func (c *Client) CreateIncident(ctx context.Context, n NewIncident) (*pagerduty.Incident, error) {
	if err := c.requireFrom(); err != nil {
		return nil, err
	}
	if !ValidObjectID(n.ServiceID) || (n.EscalationPolicy != "" && !ValidObjectID(n.EscalationPolicy)) {
		return nil, fmt.Errorf("create incident: malformed id")
	}
	if len(n.Assignees) > 0 && n.EscalationPolicy != "" {
		return nil, ErrAssigneesWithPolicy
	}
	type body struct {
		Type    string `json:"type"`
		Details string `json:"details"`
	}
	type incident struct {
		Type             string                  `json:"type"`
		Title            string                  `json:"title"`
		Service          pagerduty.APIReference  `json:"service"`
		Urgency          string                  `json:"urgency,omitempty"`
		Body             *body                   `json:"body,omitempty"`
		Assignments      []pagerduty.Assignee    `json:"assignments,omitempty"`
		EscalationPolicy *pagerduty.APIReference `json:"escalation_policy,omitempty"`
	}
	in := incident{Type: "incident", Title: n.Title, Service: pagerduty.APIReference{ID: n.ServiceID, Type: "service_reference"}, Urgency: n.Urgency}
	if n.Details != "" {
		in.Body = &body{Type: "incident_body", Details: n.Details}
	}
	for _, id := range n.Assignees {
		if !ValidObjectID(id) {
			return nil, fmt.Errorf("create incident: malformed assignee id")
		}
		in.Assignments = append(in.Assignments, pagerduty.Assignee{Assignee: pagerduty.APIObject{ID: id, Type: "user_reference"}})
	}
	if n.EscalationPolicy != "" {
		in.EscalationPolicy = &pagerduty.APIReference{ID: n.EscalationPolicy, Type: "escalation_policy_reference"}
	}
	var out struct {
		Incident *pagerduty.Incident `json:"incident"`
	}
	err := c.Do(ctx, Call{Method: http.MethodPost, Path: []string{"incidents"}, Body: map[string]incident{"incident": in}}, &out)
	if err != nil {
		return nil, fmt.Errorf("create incident: %w", err)
	}
	if out.Incident == nil || !ValidIncidentID(out.Incident.ID) {
		return nil, fmt.Errorf("create incident: %w", ErrUnconfirmed)
	}
	return out.Incident, nil
}
