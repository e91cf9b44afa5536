package pdfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
)

// createBody is a POST /incidents body on PSV1 with extra incident fields.
func createBody(extra string) string {
	b := `{"incident":{"type":"incident","title":"Disk full","service":{"id":"PSV1","type":"service_reference"}`
	if extra != "" {
		b += "," + extra
	}
	return b + "}}"
}

// TestCreateIncident: POST /incidents opens a triggered incident as the
// From user, numbered after the others, assigned through the service's
// policy, with a trigger entry by that user through the API.
func TestCreateIncident(t *testing.T) {
	s := newSeeded(t)
	s.SetWebURL("https://acme.pagerduty.com")
	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents", map[string]string{"From": aliceMail},
		createBody(`"urgency":"low","body":{"type":"incident_body","details":"sda1 at 100%"}`))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var out struct{ Incident pagerduty.Incident }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	in := out.Incident
	if in.IncidentNumber != 104 || in.Status != "triggered" || in.Urgency != "low" || in.Title != "Disk full" || in.Service.ID != "PSV1" {
		t.Errorf("incident %+v", in)
	}
	if in.HTMLURL != "https://acme.pagerduty.com/incidents/"+in.ID || len(in.ID) != 14 || in.ID[0] != 'Q' {
		t.Errorf("id %q, html_url %q", in.ID, in.HTMLURL)
	}
	if len(in.Assignments) != 1 || in.Assignments[0].Assignee.ID != "PU1" || in.EscalationPolicy.ID != "PEP1" {
		t.Errorf("assigned %+v via %s, want PU1 through PEP1", in.Assignments, in.EscalationPolicy.ID)
	}
	got, ok := s.Incident(in.ID)
	if !ok || got.Details != "sda1 at 100%" {
		t.Errorf("stored incident %+v", got)
	}
	var types []string
	for _, e := range s.LogEntries(in.ID) {
		types = append(types, e.Type+"/"+e.AgentID+"/"+e.Channel)
	}
	want := []string{"trigger_log_entry/PU1/api", "assign_log_entry/PSV1/auto", "notify_log_entry/PSV1/auto"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("log entries (-want +got):\n%s", diff)
	}
	if e := s.LogEntries(in.ID)[0]; e.Summary != "Triggered through the API by Alice Adams" {
		t.Errorf("trigger entry %q", e.Summary)
	}

	// Default urgency is high; a new incident takes the next number.
	resp, body = raw(t, s, acctKey, http.MethodPost, "/incidents", map[string]string{"From": bobMail}, createBody(""))
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"incident_number":105`) || !strings.Contains(string(body), `"urgency":"high"`) {
		t.Errorf("second: %d %s", resp.StatusCode, body)
	}
}

// TestCreateIncidentAssignment: assignees or an escalation policy, never both.
func TestCreateIncidentAssignment(t *testing.T) {
	s := newSeeded(t)
	from := map[string]string{"From": aliceMail}
	_, body := raw(t, s, acctKey, http.MethodPost, "/incidents", from,
		createBody(`"assignments":[{"assignee":{"id":"PU2","type":"user_reference"}}]`))
	var out struct{ Incident pagerduty.Incident }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if a := out.Incident.Assignments; len(a) != 1 || a[0].Assignee.ID != "PU2" {
		t.Errorf("assignments %+v, want PU2", a)
	}
	entries := s.LogEntries(out.Incident.ID)
	if len(entries) < 2 || entries[1].Type != pdfake.TypeAssign || entries[1].AgentID != "PU1" {
		t.Errorf("entries %+v, want an assign entry by PU1", entries)
	}

	_, body = raw(t, s, acctKey, http.MethodPost, "/incidents", from,
		createBody(`"escalation_policy":{"id":"PEP2","type":"escalation_policy_reference"}`))
	out.Incident = pagerduty.Incident{}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Incident.EscalationPolicy.ID != "PEP2" || len(out.Incident.Assignments) != 1 || out.Incident.Assignments[0].Assignee.ID != "PU3" {
		t.Errorf("through PEP2: %+v", out.Incident)
	}

	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents", from,
		createBody(`"assignments":[{"assignee":{"id":"PU2","type":"user_reference"}}],"escalation_policy":{"id":"PEP2","type":"escalation_policy_reference"}`))
	eb := wantErrorResponse(t, resp, body, http.StatusBadRequest, 2001)
	if !strings.Contains(strings.Join(eb.Error.Errors, " "), "both users and an escalation policy") {
		t.Errorf("errors %q", eb.Error.Errors)
	}
}

// TestCreateIncidentRefusals: From as for the other writes, a service that
// must exist, and the document's required fields; none of them creates
// anything or writes a log entry.
func TestCreateIncidentRefusals(t *testing.T) {
	s := newSeeded(t)
	s.AllowInvalid() // a missing or empty From is invalid by the document too
	before := len(s.LogEntries(""))
	for _, tc := range []struct {
		name   string
		key    string
		header map[string]string
		body   string
		status int
		code   int
	}{
		{"no From", acctKey, nil, createBody(""), 400, 2016},
		{"empty From", acctKey, map[string]string{"From": " "}, createBody(""), 400, 1028},
		{"unknown From", acctKey, map[string]string{"From": "nobody@example.com"}, createBody(""), 400, pdfake.DefaultUnknownFromCode},
		{"read-only key", roKey, map[string]string{"From": aliceMail}, createBody(""), 403, 2010},
		{"unknown service", acctKey, map[string]string{"From": aliceMail},
			`{"incident":{"type":"incident","title":"x","service":{"id":"PNOPE99","type":"service_reference"}}}`, 400, 2002},
		{"unknown assignee", acctKey, map[string]string{"From": aliceMail},
			createBody(`"assignments":[{"assignee":{"id":"PNOPE99","type":"user_reference"}}]`), 400, 2001},
		{"unknown policy", acctKey, map[string]string{"From": aliceMail},
			createBody(`"escalation_policy":{"id":"PNOPE99","type":"escalation_policy_reference"}`), 400, 2001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := raw(t, s, tc.key, http.MethodPost, "/incidents", tc.header, tc.body)
			wantErrorResponse(t, resp, body, tc.status, tc.code)
		})
	}
	if n := len(s.LogEntries("")); n != before {
		t.Errorf("refused creations wrote %d log entries", n-before)
	}
	// A user key acts as its user without From.
	resp, body := raw(t, s, bobKey, http.MethodPost, "/incidents", nil, createBody(""))
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"last_status_change_by":{"`) {
		t.Fatalf("user key: %d %s", resp.StatusCode, body)
	}
	if es := s.LogEntries(""); es[len(es)-3].AgentID != "PU2" {
		t.Errorf("trigger entry by %s, want PU2", es[len(es)-3].AgentID)
	}
}

// TestCreateIncidentValidated: the document's schema holds — a title and a
// service are required, urgency is high or low, details a string (quirk
// 9) — and go-pagerduty's own CreateIncident sends "priority": null, which
// the document refuses (so pdapi sends its own body).
func TestCreateIncidentValidated(t *testing.T) {
	s := newSeeded(t)
	requireValidation(t, s)
	from := map[string]string{"From": aliceMail}
	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents", from, `{"incident":{"type":"incident","title":"x"}}`)
	wantErrorResponse(t, resp, body, 400, 2001)
	resp, body = raw(t, s, acctKey, http.MethodPost, "/incidents", from, createBody(`"urgency":"urgent"`))
	wantErrorResponse(t, resp, body, 400, 2001)
	_, err := client(s, acctKey).CreateIncidentWithContext(ctx(t), aliceMail, &pagerduty.CreateIncidentOptions{
		Title: "x", Service: &pagerduty.APIReference{ID: "PSV1", Type: "service_reference"},
	})
	wantAPIError(t, err, 400, 2001)
	s.AllowInvalid()
	inv := s.InvalidRequests()
	for i, want := range []string{"/incident/service", "/incident/urgency", "/incident/priority"} {
		if i >= len(inv) || !strings.Contains(inv[i].Invalid, want) {
			t.Errorf("invalid request %d does not mention %s: %+v", i, want, inv)
		}
	}
}

// TestCreateIncidentDetailsString: a string details passes validation.
func TestCreateIncidentDetailsString(t *testing.T) {
	s := newSeeded(t)
	requireValidation(t, s)
	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents", map[string]string{"From": aliceMail},
		createBody(`"body":{"type":"incident_body","details":"text"}`))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
