package pdapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/PagerDuty/go-pagerduty"
)

// maxMergeSources bounds one merge: the bulk update's 250 (PagerDuty
// documents no limit of its own for merges).
const maxMergeSources = 250

// Merge merges sources into target as the requester
// (PUT /incidents/{target}/merge): PagerDuty resolves each source and moves
// its alerts into target. go-pagerduty's MergeIncidents sends an empty From
// when none is set, so this goes through Do.
func (c *Client) Merge(ctx context.Context, target string, sources []string) error {
	if !ValidIncidentID(target) || len(sources) == 0 || len(sources) > maxMergeSources {
		return fmt.Errorf("merge: malformed incidents")
	}
	type ref struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	var body struct {
		Sources []ref `json:"source_incidents"`
	}
	for _, s := range sources {
		if !ValidIncidentID(s) {
			return fmt.Errorf("merge: malformed incidents")
		}
		body.Sources = append(body.Sources, ref{ID: s, Type: "incident_reference"})
	}
	if err := c.Do(ctx, Call{Method: http.MethodPut, Path: []string{"incidents", target, "merge"}, Body: body}, nil); err != nil {
		return fmt.Errorf("merge into %s: %w", target, err)
	}
	return nil
}

// PostStatusUpdate sends a stakeholder status update as the requester
// (POST /incidents/{id}/status_updates). Only the message is sent: the
// subject and html_message the document allows replace the notification
// email, which pdbot leaves to PagerDuty's template.
func (c *Client) PostStatusUpdate(ctx context.Context, id, message string) error {
	if !ValidIncidentID(id) {
		return fmt.Errorf("status update: malformed id")
	}
	body := struct {
		Message string `json:"message"`
	}{message}
	if err := c.Do(ctx, Call{Method: http.MethodPost, Path: []string{"incidents", id, "status_updates"}, Body: body}, nil); err != nil {
		return fmt.Errorf("status update for %s: %w", id, err)
	}
	return nil
}

// Workflow is the part of an incident workflow pdbot uses.
type Workflow struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Enabled is false for a workflow that cannot start; PagerDuty leaves
	// is_enabled out for enabled ones at times (its default is true).
	Enabled *bool `json:"is_enabled"`
}

// Disabled reports whether PagerDuty says the workflow cannot start.
func (w Workflow) Disabled() bool { return w.Enabled != nil && !*w.Enabled }

// maxWorkflows bounds how many workflows are read: far more than any
// account has, few enough that a runaway listing stops.
const maxWorkflows = 1000

// Workflows lists the account's incident workflows (GET /incident_workflows),
// in PagerDuty's order, skipping any with a malformed ID.
func (c *Client) Workflows(ctx context.Context) ([]Workflow, error) {
	var out []Workflow
	err := List(ctx, c, []string{"incident_workflows"}, url.Values{}, "incident_workflows", func(w Workflow) bool {
		if ValidObjectID(w.ID) {
			out = append(out, w)
		}
		return len(out) < maxWorkflows
	})
	if err != nil {
		return nil, fmt.Errorf("list incident workflows: %w", err)
	}
	return out, nil
}

// StartWorkflow starts an incident workflow on an incident as the requester
// (POST /incident_workflows/{id}/instances) and returns the instance's ID.
// The document names no From for this call; it is sent anyway, as on every
// write, so PagerDuty can tell who started it.
func (c *Client) StartWorkflow(ctx context.Context, workflowID, incidentID string) (string, error) {
	if !ValidObjectID(workflowID) || !ValidIncidentID(incidentID) {
		return "", fmt.Errorf("start workflow: malformed id")
	}
	type ref struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	var body struct {
		Instance struct {
			Incident ref `json:"incident"`
		} `json:"incident_workflow_instance"`
	}
	body.Instance.Incident = ref{ID: incidentID, Type: "incident_reference"}
	var out struct {
		Instance struct {
			ID string `json:"id"`
		} `json:"incident_workflow_instance"`
	}
	if err := c.Do(ctx, Call{Method: http.MethodPost, Path: []string{"incident_workflows", workflowID, "instances"}, Body: body}, &out); err != nil {
		return "", fmt.Errorf("start workflow %s on %s: %w", workflowID, incidentID, err)
	}
	return out.Instance.ID, nil
}

// Notes lists an incident's notes, oldest first (GET /incidents/{id}/notes,
// which PagerDuty does not paginate).
func (c *Client) Notes(ctx context.Context, id string) ([]pagerduty.IncidentNote, error) {
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("list notes: malformed id")
	}
	var out struct {
		Notes []pagerduty.IncidentNote `json:"notes"`
	}
	if err := c.Do(ctx, Call{Method: http.MethodGet, Path: []string{"incidents", id, "notes"}}, &out); err != nil {
		return nil, fmt.Errorf("list notes of %s: %w", id, err)
	}
	return out.Notes, nil
}
