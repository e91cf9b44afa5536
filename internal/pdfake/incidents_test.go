package pdfake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pdbot/pdbot/internal/pdfake"
)

func TestGetIncident(t *testing.T) {
	tests := []struct {
		name, ref string
		wantID    string // "" means 404/2100
	}{
		{"by ID", "PINC001", "PINC001"},
		{"by 14-char ID", "Q1R2DLCB21K7NP", "Q1R2DLCB21K7NP"},
		{"by number", "102", "PINC002"},
		{"unknown ID", "PNOPE00", ""},
		{"unknown number", "999", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			in, err := client(s, acctKey).GetIncidentWithContext(ctx(t), tt.ref)
			if tt.wantID == "" {
				if e := wantAPIError(t, err, http.StatusNotFound, 2100); !e.NotFound() {
					t.Error("APIError.NotFound() = false")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", in.ID, tt.wantID)
			}
		})
	}
}

// TestIncidentDecodes checks the incident decodes into go-pagerduty's struct
// with the fields the spec's example has.
func TestIncidentDecodes(t *testing.T) {
	s := newSeeded(t)
	in, err := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC001")
	if err != nil {
		t.Fatal(err)
	}
	userRef := pagerduty.APIObject{ID: "PU1", Type: "user_reference", Summary: "Alice Adams",
		Self: s.URL() + "/users/PU1", HTMLURL: "https://example.pagerduty.com/users/PU1"}
	want := pagerduty.Incident{
		APIObject: pagerduty.APIObject{ID: "PINC001", Type: "incident", Summary: "[#101] Checkout is down",
			Self: s.URL() + "/incidents/PINC001", HTMLURL: "https://example.pagerduty.com/incidents/PINC001"},
		IncidentNumber: 101, Title: "Checkout is down", Status: "triggered", Urgency: "high",
		Service: pagerduty.APIObject{ID: "PSV1", Type: "service_reference", Summary: "Checkout",
			Self: s.URL() + "/services/PSV1", HTMLURL: "https://example.pagerduty.com/service-directory/PSV1"},
		EscalationPolicy: pagerduty.APIObject{ID: "PEP1", Type: "escalation_policy_reference", Summary: "Primary On-call",
			Self: s.URL() + "/escalation_policies/PEP1", HTMLURL: "https://example.pagerduty.com/escalation_policies/PEP1"},
		Assignments: []pagerduty.Assignment{{Assignee: userRef}},
		AssignedVia: "escalation_policy",
		AlertCounts: pagerduty.AlertCounts{All: 1, Triggered: 1},
		IsMergeable: true,
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(pagerduty.Incident{}, "Description", "CreatedAt", "UpdatedAt", "LastStatusChangeAt", "LastStatusChangeBy", "IncidentKey"),
		cmpopts.IgnoreFields(pagerduty.Assignment{}, "At"),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(want, *in, opts); diff != "" {
		t.Errorf("incident (-want +got):\n%s", diff)
	}
	if in.CreatedAt == "" || in.Assignments[0].At == "" {
		t.Errorf("created_at %q / assignment at %q missing", in.CreatedAt, in.Assignments[0].At)
	}
}

// update is one PUT /incidents item as the bot sends it.
type update = pagerduty.ManageIncidentsOptions

func assignTo(ids ...string) []pagerduty.Assignee {
	var out []pagerduty.Assignee
	for _, id := range ids {
		out = append(out, pagerduty.Assignee{Assignee: pagerduty.APIObject{ID: id, Type: "user_reference"}})
	}
	return out
}

// TestIncidentStateMachine walks the transitions of notes §3 through
// ManageIncidentsWithContext, as the bot does.
func TestIncidentStateMachine(t *testing.T) {
	type state struct {
		Status, EscalationPolicyID, Resolution string
		Assignees, Acknowledgers               []string
		Resolved                               bool
	}
	tests := []struct {
		name      string
		id        string
		from      string
		upd       update
		resolveOK bool
		want      state // for errors: the unchanged state
		wantErr   string
	}{
		{name: "ack assigns to the From user", id: "PINC001", from: bobMail, upd: update{Status: "acknowledged"},
			want: state{Status: "acknowledged", EscalationPolicyID: "PEP1", Assignees: []string{"PU1", "PU2"}, Acknowledgers: []string{"PU2"}}},
		{name: "re-ack is fine", id: "PINC002", from: aliceMail, upd: update{Status: "acknowledged"},
			want: state{Status: "acknowledged", EscalationPolicyID: "PEP1", Assignees: []string{"PU1"}, Acknowledgers: []string{"PU1"}}},
		{name: "resolve clears assignments and acks", id: "PINC002", from: aliceMail, upd: update{Status: "resolved", Resolution: "rolled back"},
			want: state{Status: "resolved", EscalationPolicyID: "PEP1", Resolution: "rolled back", Resolved: true}},
		{name: "resolve resolved", id: "Q1R2DLCB21K7NP", from: aliceMail, upd: update{Status: "resolved"},
			want:    state{Status: "resolved", EscalationPolicyID: "PEP1", Resolution: "restarted", Resolved: true},
			wantErr: "Incident Already Resolved"},
		{name: "resolve resolved allowed", id: "Q1R2DLCB21K7NP", from: aliceMail, upd: update{Status: "resolved"}, resolveOK: true,
			want: state{Status: "resolved", EscalationPolicyID: "PEP1", Resolution: "restarted", Resolved: true}},
		{name: "ack of resolved reopens, assigned to From", id: "Q1R2DLCB21K7NP", from: bobMail, upd: update{Status: "acknowledged"},
			want: state{Status: "acknowledged", EscalationPolicyID: "PEP1", Assignees: []string{"PU2"}, Acknowledgers: []string{"PU2"}}},
		{name: "trigger of resolved reopens, assigned by policy", id: "Q1R2DLCB21K7NP", from: bobMail, upd: update{Status: "triggered"},
			want: state{Status: "triggered", EscalationPolicyID: "PEP1", Assignees: []string{"PU1"}}},
		{name: "trigger of resolved with assignees", id: "Q1R2DLCB21K7NP", from: bobMail, upd: update{Status: "triggered", Assignments: assignTo("PU3")},
			want: state{Status: "triggered", EscalationPolicyID: "PEP1", Assignees: []string{"PU3"}}},
		{name: "reassign a resolved incident", id: "Q1R2DLCB21K7NP", from: aliceMail, upd: update{Assignments: assignTo("PU2")},
			want:    state{Status: "resolved", EscalationPolicyID: "PEP1", Resolution: "restarted", Resolved: true},
			wantErr: "Incident Already Resolved"},
		{name: "escalate a resolved incident", id: "Q1R2DLCB21K7NP", from: aliceMail,
			upd:     update{EscalationPolicy: &pagerduty.APIReference{ID: "PEP2", Type: "escalation_policy_reference"}},
			want:    state{Status: "resolved", EscalationPolicyID: "PEP1", Resolution: "restarted", Resolved: true},
			wantErr: "Incident Already Resolved"},
		{name: "assignees and policy together", id: "PINC001", from: aliceMail,
			upd:     update{Assignments: assignTo("PU2"), EscalationPolicy: &pagerduty.APIReference{ID: "PEP2", Type: "escalation_policy_reference"}},
			want:    state{Status: "triggered", EscalationPolicyID: "PEP1", Assignees: []string{"PU1"}},
			wantErr: "both"},
		{name: "unknown assignee", id: "PINC001", from: aliceMail, upd: update{Assignments: assignTo("PNOUSER")},
			want:    state{Status: "triggered", EscalationPolicyID: "PEP1", Assignees: []string{"PU1"}},
			wantErr: "PNOUSER"},
		{name: "unknown policy", id: "PINC001", from: aliceMail,
			upd:     update{EscalationPolicy: &pagerduty.APIReference{ID: "PNOPE", Type: "escalation_policy_reference"}},
			want:    state{Status: "triggered", EscalationPolicyID: "PEP1", Assignees: []string{"PU1"}},
			wantErr: "PNOPE"},
		{name: "reassign an acknowledged incident retriggers it", id: "PINC002", from: aliceMail, upd: update{Assignments: assignTo("PU2", "PU3")},
			want: state{Status: "triggered", EscalationPolicyID: "PEP1", Assignees: []string{"PU2", "PU3"}}},
		{name: "escalate to another policy", id: "PINC002", from: aliceMail,
			upd:  update{EscalationPolicy: &pagerduty.APIReference{ID: "PEP2", Type: "escalation_policy_reference"}},
			want: state{Status: "triggered", EscalationPolicyID: "PEP2", Assignees: []string{"PU3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			s.SetResolveResolvedOK(tt.resolveOK)
			tt.upd.ID = tt.id
			resp, err := client(s, acctKey).ManageIncidentsWithContext(ctx(t), tt.from, []update{tt.upd})
			if tt.wantErr != "" {
				e := wantAPIError(t, err, http.StatusBadRequest, 2001)
				if !strings.Contains(strings.Join(e.APIError.ErrorObject.Errors, " "), tt.wantErr) {
					t.Errorf("errors = %q, want one mentioning %q", e.APIError.ErrorObject.Errors, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if len(resp.Incidents) != 1 || resp.Incidents[0].ID != tt.id || resp.Incidents[0].Status != tt.want.Status {
				t.Errorf("response incidents = %+v, want %s %s", resp.Incidents, tt.id, tt.want.Status)
			}
			in, _ := s.Incident(tt.id)
			got := state{Status: in.Status, EscalationPolicyID: in.EscalationPolicyID, Resolution: in.Resolution,
				Assignees: in.Assignees, Acknowledgers: in.Acknowledgers, Resolved: !in.ResolvedAt.IsZero()}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("incident (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAckRendersAssignmentsAndAcknowledgements checks what the bot's card reads.
func TestAckRendersAssignmentsAndAcknowledgements(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	if _, err := c.ManageIncidentsWithContext(ctx(t), bobMail, []update{{ID: "PINC001", Status: "acknowledged"}}); err != nil {
		t.Fatal(err)
	}
	in, err := c.GetIncidentWithContext(ctx(t), "PINC001")
	if err != nil {
		t.Fatal(err)
	}
	var assignees, ackers []string
	for _, a := range in.Assignments {
		assignees = append(assignees, a.Assignee.ID+"/"+a.Assignee.Summary)
	}
	for _, a := range in.Acknowledgements {
		ackers = append(ackers, a.Acknowledger.ID+"/"+a.Acknowledger.Summary)
	}
	if diff := cmp.Diff([]string{"PU1/Alice Adams", "PU2/Bob Brown"}, assignees); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PU2/Bob Brown"}, ackers); diff != "" {
		t.Errorf("acknowledgements (-want +got):\n%s", diff)
	}
	if in.LastStatusChangeBy.ID != "PU2" {
		t.Errorf("last_status_change_by = %+v, want PU2", in.LastStatusChangeBy)
	}
}

// TestUpdateSingleIncident drives PUT /incidents/{id}, which go-pagerduty has
// no method for (the bot uses the client's raw request).
func TestUpdateSingleIncident(t *testing.T) {
	tests := []struct {
		name, key, path string
		header          map[string]string
		body            string
		status, code    int
		wantStatus      string // PINC001's status afterwards
	}{
		{"ack with account key", acctKey, "/incidents/PINC001", map[string]string{"From": aliceMail},
			`{"incident":{"type":"incident_reference","status":"acknowledged"}}`, 200, 0, "acknowledged"},
		{"resolve with user key", bobKey, "/incidents/PINC001", nil,
			`{"incident":{"type":"incident","status":"resolved","resolution":"fixed"}}`, 200, 0, "resolved"},
		{"unknown incident", acctKey, "/incidents/PNOPE00", map[string]string{"From": aliceMail},
			`{"incident":{"type":"incident","status":"acknowledged"}}`, 404, 2100, "triggered"},
		{"number is not accepted for writes", acctKey, "/incidents/101", map[string]string{"From": aliceMail},
			`{"incident":{"type":"incident","status":"acknowledged"}}`, 404, 2100, "triggered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			resp, body := raw(t, s, tt.key, http.MethodPut, tt.path, tt.header, tt.body)
			if tt.code != 0 {
				wantErrorResponse(t, resp, body, tt.status, tt.code)
			} else {
				var got struct{ Incident pagerduty.Incident }
				if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != tt.status {
					t.Fatalf("status %d, body %s: %v", resp.StatusCode, body, err)
				}
				if got.Incident.Status != tt.wantStatus {
					t.Errorf("response status = %q, want %q", got.Incident.Status, tt.wantStatus)
				}
			}
			if in, _ := s.Incident("PINC001"); in.Status != tt.wantStatus {
				t.Errorf("PINC001 status = %q, want %q", in.Status, tt.wantStatus)
			}
		})
	}
}

func TestManageIncidentsAllOrNothing(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	_, err := c.ManageIncidentsWithContext(ctx(t), aliceMail, []update{
		{ID: "PINC001", Status: "acknowledged"},
		{ID: "Q1R2DLCB21K7NP", Status: "resolved"}, // already resolved: fails
	})
	wantAPIError(t, err, http.StatusBadRequest, 2001)
	if in, _ := s.Incident("PINC001"); in.Status != "triggered" {
		t.Errorf("PINC001 status = %q after a failed bulk update, want triggered", in.Status)
	}

	_, err = c.ManageIncidentsWithContext(ctx(t), aliceMail, []update{{ID: "PINC001", Status: "acknowledged"}, {ID: "PNOPE00", Status: "resolved"}})
	wantAPIError(t, err, http.StatusNotFound, 2100)

	resp, err := c.ManageIncidentsWithContext(ctx(t), aliceMail, []update{{ID: "PINC001", Status: "acknowledged"}, {ID: "PINC002", Status: "resolved"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range resp.Incidents {
		got = append(got, in.ID+":"+in.Status)
	}
	if diff := cmp.Diff([]string{"PINC001:acknowledged", "PINC002:resolved"}, got); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
}

func TestManageIncidentsTooMany(t *testing.T) {
	s := newSeeded(t)
	var items []update
	for i := range 251 {
		items = append(items, update{ID: fmt.Sprintf("P%06d", i), Status: "resolved"})
	}
	_, err := client(s, acctKey).ManageIncidentsWithContext(ctx(t), aliceMail, items)
	wantAPIError(t, err, http.StatusRequestEntityTooLarge, 0)
}

// TestKeysAndFrom covers authentication, read-only keys and the From header
// rules of notes §1.2 and §4.5.
func TestKeysAndFrom(t *testing.T) {
	tests := []struct {
		name         string
		key          string
		header       map[string]string // applied to PUT /incidents/PINC001
		status, code int
		invalid      bool // invalid against the document
	}{
		{"no Authorization", "", map[string]string{"From": aliceMail}, 401, 2006, false},
		{"unknown key", "nope", map[string]string{"From": aliceMail}, 401, 2006, false},
		{"malformed Authorization", "", map[string]string{"Authorization": "token " + acctKey, "From": aliceMail}, 401, 2006, false},
		{"read-only key writes", roKey, map[string]string{"From": aliceMail}, 403, 2010, false},
		{"missing From", acctKey, nil, 400, 2016, true},
		{"empty From", acctKey, map[string]string{"From": " "}, 400, 1028, true},
		{"unknown From", acctKey, map[string]string{"From": "carol@example.com"}, 400, pdfake.DefaultUnknownFromCode, false},
		{"From is case-insensitive", acctKey, map[string]string{"From": "ALICE@example.com"}, 200, 0, false},
		{"user key, no From", bobKey, nil, 200, 0, false},
		{"bearer token", "", map[string]string{"Authorization": "Bearer " + acctKey, "From": aliceMail}, 200, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			if tt.invalid {
				s.AllowInvalid()
			}
			resp, body := raw(t, s, tt.key, http.MethodPut, "/incidents/PINC001", tt.header,
				`{"incident":{"type":"incident_reference","status":"acknowledged"}}`)
			if tt.code != 0 {
				wantErrorResponse(t, resp, body, tt.status, tt.code)
			} else if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if got := len(s.InvalidRequests()) > 0; got != tt.invalid && s.Validating() {
				t.Errorf("recorded invalid = %v, want %v", got, tt.invalid)
			}
			in, _ := s.Incident("PINC001")
			if wantChanged := tt.status == 200; (in.Status == "acknowledged") != wantChanged {
				t.Errorf("incident status = %q; want changed = %v", in.Status, wantChanged)
			}
		})
	}
}

// TestFromViaGoPagerDuty shows the go-pagerduty calls that send From and what
// an empty or unknown one gets.
func TestFromViaGoPagerDuty(t *testing.T) {
	s := newSeeded(t)
	s.AllowInvalid() // the empty From is invalid on purpose
	c := client(s, acctKey)
	_, err := c.ManageIncidentsWithContext(ctx(t), "", []update{{ID: "PINC001", Status: "acknowledged"}})
	wantAPIError(t, err, http.StatusBadRequest, 1028)
	_, err = c.CreateIncidentNoteWithContext(ctx(t), "PINC001", pagerduty.IncidentNote{Content: "hi"})
	wantAPIError(t, err, http.StatusBadRequest, 1028)

	s.SetUnknownFromCode(2001)
	_, err = c.ManageIncidentsWithContext(ctx(t), "carol@example.com", []update{{ID: "PINC001", Status: "acknowledged"}})
	if e := wantAPIError(t, err, http.StatusBadRequest, 2001); e.APIError.ErrorObject.Message != "Requester User Not Found" {
		t.Errorf("message = %q", e.APIError.ErrorObject.Message)
	}
	if len(s.Writes()) != 3 {
		t.Errorf("recorded %d writes, want 3", len(s.Writes()))
	}
}
