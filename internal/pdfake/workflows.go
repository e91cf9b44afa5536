package pdfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Workflow is an incident workflow of the account (AddWorkflow).
type Workflow struct {
	ID, Name, Description string
	// Disabled workflows are listed (is_enabled false) but cannot start.
	Disabled bool
}

// WorkflowRun is an incident workflow started on an incident
// (POST /incident_workflows/{id}/instances).
type WorkflowRun struct {
	ID, WorkflowID string
	// StartedBy is the From user, when the request named one: the document
	// does not ask for From on this operation.
	StartedBy string
	StartedAt time.Time
}

// AddWorkflow adds or replaces an incident workflow.
func (s *Server) AddWorkflow(w Workflow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workflows[w.ID] = w
}

func (s *Server) renderWorkflow(w Workflow) obj {
	return obj{
		"id": w.ID, "type": "incident_workflow", "name": w.Name, "description": w.Description,
		"self": s.URL() + "/incident_workflows/" + w.ID, "html_url": s.webURL + "/flex-workflows/workflows/" + w.ID,
		"created_at": ts(s.start), "is_enabled": !w.Disabled,
	}
}

// listWorkflows serves GET /incident_workflows: every workflow, by name,
// those whose name matches query (case-insensitive, partial) when given.
func (s *Server) listWorkflows(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		return response{}, apiErr
	}
	query := strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []obj{}
	for _, w := range sortedValues(s.workflows, func(w Workflow) string { return strings.ToLower(w.Name) + "\x00" + w.ID }) {
		if query == "" || strings.Contains(strings.ToLower(w.Name), query) {
			items = append(items, s.renderWorkflow(w))
		}
	}
	return response{http.StatusOK, paginate(p, "incident_workflows", items)}, nil
}

// startWorkflow serves POST /incident_workflows/{id}/instances. PagerDuty
// writes no log entry of its own for the start that the document names;
// the workflow's steps (notes, status updates, …) write theirs.
func (s *Server) startWorkflow(c *call) (response, *apiError) {
	var body struct {
		Instance *struct {
			Incident *reference `json:"incident"`
		} `json:"incident_workflow_instance"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Instance == nil || body.Instance.Incident == nil {
		return response{}, errInvalid(`The request body must be {"incident_workflow_instance":{"incident":{"id":…}}}`)
	}
	starter := ""
	if _, sent := c.r.Header["From"]; sent {
		id, apiErr := s.actor(c.r, c.key)
		if apiErr != nil {
			return response{}, apiErr
		}
		starter = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.workflows[c.params["id"]]
	if !ok {
		return response{}, errNotFound("Incident workflow not found")
	}
	st, apiErr := s.lookupIncident(body.Instance.Incident.ID, false)
	if apiErr != nil {
		apiErr.errors = []string{"Incident not found"}
		return response{}, apiErr
	}
	if w.Disabled {
		return response{}, errInvalid("This incident workflow is disabled")
	}
	next := st.clone()
	run := WorkflowRun{ID: s.newID("P", 7), WorkflowID: w.ID, StartedBy: starter, StartedAt: s.now()}
	next.WorkflowRuns = append(next.WorkflowRuns, run)
	s.incidents[next.ID] = next
	return response{http.StatusCreated, obj{"incident_workflow_instance": obj{
		"id": run.ID, "type": "incident_workflow_instance", "incident": s.incidentRef(next),
	}}}, nil
}
