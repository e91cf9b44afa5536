package pdfake_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

func TestStatusUpdates(t *testing.T) {
	s := newSeeded(t)
	from := map[string]string{"From": aliceMail}
	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents/PINC001/status_updates", from, `{"message":"Failover under way"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status update: %d %s", resp.StatusCode, body)
	}
	var out struct {
		StatusUpdate struct {
			ID, Message string
			Sender      struct{ ID string }
		} `json:"status_update"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.StatusUpdate.ID == "" || out.StatusUpdate.Message != "Failover under way" || out.StatusUpdate.Sender.ID != "PU1" {
		t.Errorf("answer %s", body)
	}
	in, _ := s.Incident("PINC001")
	if len(in.StatusUpdates) != 1 || in.StatusUpdates[0].SenderID != "PU1" || in.StatusUpdates[0].Message != "Failover under way" {
		t.Errorf("status updates %+v", in.StatusUpdates)
	}
	les := s.LogEntries("PINC001")
	if len(les) != 1 || les[0].Type != pdfake.TypeStatusUpdate || les[0].Summary != "Status update by Alice Adams: Failover under way" {
		t.Errorf("log entries %+v", les)
	}
	// The entry is listed, and the listing still matches the document.
	if got := listLog(t, s, pagerduty.ListLogEntriesOptions{}); len(got.LogEntries) != 1 || got.LogEntries[0].Type != pdfake.TypeStatusUpdate {
		t.Errorf("listed entries %+v", got.LogEntries)
	}
	if sp := pdfaketest.EnvSpec(t); sp != nil {
		resp, body := raw(t, s, acctKey, http.MethodGet, "/log_entries", nil, "")
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/log_entries", nil)
		if err := sp.ValidateResponse(req, "/log_entries", resp.StatusCode, resp.Header, body); err != nil {
			t.Errorf("log entries with a status update do not match the document: %v", err)
		}
	}

	for _, tt := range []struct {
		name, body   string
		header       map[string]string
		status, code int
	}{
		{"empty message", `{"message":""}`, from, http.StatusBadRequest, 2001},
		{"subject without html", `{"message":"m","subject":"s"}`, from, http.StatusBadRequest, 2001},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents/PINC001/status_updates", tt.header, tt.body)
			wantErrorResponse(t, resp, body, tt.status, tt.code)
		})
	}
	resp, body = raw(t, s, acctKey, http.MethodPost, "/incidents/PNOPE00/status_updates", from, `{"message":"m"}`)
	wantErrorResponse(t, resp, body, http.StatusNotFound, 2100)
	if in, _ := s.Incident("PINC001"); len(in.StatusUpdates) != 1 {
		t.Errorf("refused updates were kept: %+v", in.StatusUpdates)
	}
}

func TestStatusUpdateWithoutMessageIsInvalid(t *testing.T) {
	s := newSeeded(t)
	requireValidation(t, s)
	raw(t, s, acctKey, http.MethodPost, "/incidents/PINC001/status_updates", map[string]string{"From": aliceMail}, `{"subject":"s"}`)
	wantInvalid(t, s, "message")
}

func TestIncidentWorkflows(t *testing.T) {
	s := newSeeded(t)
	list := func(path string) []string {
		t.Helper()
		resp, body := raw(t, s, acctKey, http.MethodGet, path, nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var out struct {
			Workflows []struct {
				ID, Name  string
				IsEnabled bool `json:"is_enabled"`
			} `json:"incident_workflows"`
			More bool
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range out.Workflows {
			names = append(names, w.ID+" "+w.Name)
		}
		return names
	}
	if diff := cmp.Diff([]string{"PWF0002 Major incident comms", "PWF0001 Major incident kickoff", "PWF0003 Retired"}, list("/incident_workflows")); diff != "" {
		t.Errorf("all workflows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PWF0001 Major incident kickoff"}, list("/incident_workflows?query=KICK")); diff != "" {
		t.Errorf("query kick (-want +got):\n%s", diff)
	}
	if got := list("/incident_workflows?limit=1&offset=1"); len(got) != 1 || got[0] != "PWF0001 Major incident kickoff" {
		t.Errorf("second page %v", got)
	}

	start := func(workflow, incident string, header map[string]string) (*http.Response, []byte) {
		return raw(t, s, acctKey, http.MethodPost, "/incident_workflows/"+workflow+"/instances", header,
			`{"incident_workflow_instance":{"incident":{"id":"`+incident+`","type":"incident_reference"}}}`)
	}
	resp, body := start("PWF0001", "PINC001", map[string]string{"From": aliceMail})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	in, _ := s.Incident("PINC001")
	if len(in.WorkflowRuns) != 1 || in.WorkflowRuns[0].WorkflowID != "PWF0001" || in.WorkflowRuns[0].StartedBy != "PU1" {
		t.Errorf("runs %+v", in.WorkflowRuns)
	}
	resp, body = start("PNOPE00", "PINC001", nil)
	wantErrorResponse(t, resp, body, http.StatusNotFound, 2100)
	resp, body = start("PWF0001", "PNOPE00", nil)
	wantErrorResponse(t, resp, body, http.StatusNotFound, 2100)
	resp, body = start("PWF0003", "PINC001", nil)
	wantErrorResponse(t, resp, body, http.StatusBadRequest, 2001)
	if in, _ := s.Incident("PINC001"); len(in.WorkflowRuns) != 1 {
		t.Errorf("refused starts were kept: %+v", in.WorkflowRuns)
	}
}

func TestWorkflowInstanceWithoutIncidentIsInvalid(t *testing.T) {
	s := newSeeded(t)
	requireValidation(t, s)
	raw(t, s, acctKey, http.MethodPost, "/incident_workflows/PWF0001/instances", nil, `{"incident_workflow_instance":{"incident":{"type":"incident_reference"}}}`)
	wantInvalid(t, s, "id")
}
