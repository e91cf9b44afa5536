package pdfake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

func withServices(t *testing.T) *pdfake.Server {
	t.Helper()
	s := newSeeded(t)
	s.AddService(pdfake.Service{ID: "PSV2", Name: "Database", EscalationPolicyID: "PEP2"})
	s.AddService(pdfake.Service{ID: "PSV3", Name: "Database Replicas", EscalationPolicyID: "PEP2", Description: "read replicas"})
	s.AddService(pdfake.Service{ID: "PSV4", Name: "Search", EscalationPolicyID: "PEP1"})
	return s
}

func TestListServices(t *testing.T) {
	s := withServices(t)
	names := func(svs []pagerduty.Service) []string {
		var out []string
		for _, sv := range svs {
			out = append(out, sv.Name)
		}
		return out
	}
	tests := []struct {
		name string
		o    pagerduty.ListServiceOptions
		want []string
		more bool
	}{
		{"all, by name", pagerduty.ListServiceOptions{}, []string{"Checkout", "Database", "Database Replicas", "Search"}, false},
		{"query is a partial match", pagerduty.ListServiceOptions{Query: "data"}, []string{"Database", "Database Replicas"}, false},
		{"name:desc", pagerduty.ListServiceOptions{SortBy: "name:desc", Limit: 2}, []string{"Search", "Database Replicas"}, true},
		{"second page", pagerduty.ListServiceOptions{Limit: 2, Offset: 2}, []string{"Database Replicas", "Search"}, false},
		{"no match", pagerduty.ListServiceOptions{Query: "nope"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client(s, acctKey).ListServicesWithContext(ctx(t), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(resp.Services)); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
			if resp.More != tt.more {
				t.Errorf("more = %v, want %v", resp.More, tt.more)
			}
		})
	}

	// name is an exact (case-insensitive) match; go-pagerduty cannot send it.
	resp, body := raw(t, s, acctKey, http.MethodGet, "/services?name=database", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"PSV2"`) || strings.Contains(string(body), "PSV3") {
		t.Errorf("name=database: %d %s", resp.StatusCode, body)
	}
}

func TestGetService(t *testing.T) {
	s := withServices(t)
	c := client(s, acctKey)
	sv, err := c.GetServiceWithContext(ctx(t), "PSV3", &pagerduty.GetServiceOptions{Includes: []string{"escalation_policies"}})
	if err != nil {
		t.Fatal(err)
	}
	if sv.Name != "Database Replicas" || sv.Description != "read replicas" || sv.EscalationPolicy.ID != "PEP2" || sv.EscalationPolicy.Name != "Database Escalation" {
		t.Errorf("service %+v", sv)
	}
	checkout, err := c.GetServiceWithContext(ctx(t), "PSV1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if checkout.Status != "critical" || checkout.EscalationPolicy.Type != "escalation_policy_reference" {
		t.Errorf("Checkout (with a triggered incident): status %q, policy %+v", checkout.Status, checkout.EscalationPolicy)
	}
	_, err = c.GetServiceWithContext(ctx(t), "PNOPE00", nil)
	wantAPIError(t, err, http.StatusNotFound, 2100)
}

// TestLiveFeedResponsesMatchDocument validates the answers of log entries
// and services against the document's response schemas (with the quirks
// pdfaketest corrects: see its patchSpec). Answers with include[] are left
// out: they hold full objects where the document's schemas say references.
func TestLiveFeedResponsesMatchDocument(t *testing.T) {
	sp := pdfaketest.EnvSpec(t)
	if sp == nil {
		t.Skip("PDBOT_PD_OPENAPI unset: this test asserts OpenAPI validation, skipped")
	}
	s, _ := newClocked(t)
	s.AddPriority(pdfake.Priority{ID: "PPRIO01", Name: "P1"})
	in, err := s.TriggerIncident("PSV1", "Disk full", "", pdfake.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.Acknowledge(in.ID, pdfake.FromMobile("PU2")),
		s.Escalate(in.ID, "PU3"),
		s.Reassign(in.ID, pdfake.FromWeb("PU1"), "PU2"),
		s.ChangeEscalationPolicy(in.ID, pdfake.FromWeb("PU1"), "PEP2"),
		s.ChangePriority(in.ID, pdfake.FromWeb("PU1"), "PPRIO01"),
		s.ChangeUrgency(in.ID, pdfake.FromWeb("PU1"), "low"),
		s.Unacknowledge("PINC002", pdfake.Actor{}),
		s.Resolve(in.ID, pdfake.FromWeb("PU1"), "fixed"),
		s.Reopen(in.ID, pdfake.FromWeb("PU1")),
		s.MergeIncidents("PINC001", pdfake.FromWeb("PU1"), in.ID),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddNoteAs("PINC001", pdfake.FromWeb("PU1"), "note"); err != nil {
		t.Fatal(err)
	}
	one := s.LogEntries("PINC001")[0].ID
	tests := []struct{ path, template string }{
		{"/log_entries?limit=100", "/log_entries"},
		{"/log_entries?since=2026-03-01T12:00:00Z&is_overview=true&total=true", "/log_entries"},
		{"/incidents/" + in.ID + "/log_entries", "/incidents/{id}/log_entries"},
		{"/log_entries/" + one, "/log_entries/{id}"},
		{"/incidents/" + in.ID, "/incidents/{id}"},
		{"/services?query=check&total=true", "/services"},
		{"/services/PSV1", "/services/{id}"},
		{"/log_entries/Q0000000000000", "/log_entries/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := raw(t, s, acctKey, http.MethodGet, tt.path, nil, "")
			req, _ := http.NewRequest(http.MethodGet, s.URL()+tt.path, nil)
			if err := sp.ValidateResponse(req, tt.template, resp.StatusCode, resp.Header, body); err != nil {
				t.Errorf("%d response does not match the document: %v\nbody: %s", resp.StatusCode, err, body)
			}
		})
	}
}
