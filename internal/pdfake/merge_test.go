package pdfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/pdfake"
)

func mergeBody(ids ...string) string {
	var refs []string
	for _, id := range ids {
		refs = append(refs, `{"id":"`+id+`","type":"incident_reference"}`)
	}
	return `{"source_incidents":[` + strings.Join(refs, ",") + `]}`
}

func TestMergeIncidents(t *testing.T) {
	s := newSeeded(t)
	s.AddIncident(pdfake.Incident{ID: "PINC004", Number: 104, Title: "Checkout is slow", ServiceID: "PSV1", Alerts: 3})
	from := map[string]string{"From": aliceMail}
	resp, body := raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001/merge", from, mergeBody("PINC002", "PINC004"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("merge: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Incident struct{ ID, Type string } `json:"incident"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Incident.ID != "PINC001" || out.Incident.Type != "incident_reference" {
		t.Errorf("answer %s, want a reference to the target", body)
	}
	target, _ := s.Incident("PINC001")
	if target.Status != "triggered" || target.Alerts != 1+1+3 {
		t.Errorf("target after the merge: status %s, %d alerts; want triggered with 5", target.Status, target.Alerts)
	}
	for _, id := range []string{"PINC002", "PINC004"} {
		in, _ := s.Incident(id)
		if in.Status != "resolved" || in.MergedInto != "PINC001" {
			t.Errorf("%s after the merge: %s, merged into %q", id, in.Status, in.MergedInto)
		}
		les := s.LogEntries(id)
		if len(les) != 1 || les[0].Type != pdfake.TypeResolve || les[0].AgentID != "PU1" || les[0].Summary != "Resolved by Alice Adams (merged into #101)" {
			t.Errorf("%s log entries: %+v", id, les)
		}
	}
	// The merged incident says where it went.
	got, err := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC004")
	if err != nil {
		t.Fatal(err)
	}
	if got.ResolveReason.Type != "merge_resolve_reason" || got.ResolveReason.Incident.ID != "PINC001" {
		t.Errorf("resolve_reason = %+v", got.ResolveReason)
	}
	if got, _ := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC001"); got.AlertCounts.All != 5 || got.AlertCounts.Triggered != 5 {
		t.Errorf("target alert_counts = %+v, want 5 triggered", got.AlertCounts)
	}
}

func TestMergeRefusals(t *testing.T) {
	from := map[string]string{"From": aliceMail}
	tests := []struct {
		name, path, body string
		header           map[string]string
		status, code     int
	}{
		{"into a resolved incident", "/incidents/Q1R2DLCB21K7NP/merge", mergeBody("PINC001"), from, http.StatusBadRequest, 2001},
		{"into itself", "/incidents/PINC001/merge", mergeBody("PINC002", "PINC001"), from, http.StatusBadRequest, 2001},
		{"unknown source", "/incidents/PINC001/merge", mergeBody("PINC002", "PNOPE00"), from, http.StatusNotFound, 2100},
		{"unknown target", "/incidents/PNOPE00/merge", mergeBody("PINC001"), from, http.StatusNotFound, 2100},
		{"by number", "/incidents/101/merge", mergeBody("PINC002"), from, http.StatusNotFound, 2100},
		{"no sources", "/incidents/PINC001/merge", `{"source_incidents":[]}`, from, http.StatusBadRequest, 2001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			resp, body := raw(t, s, acctKey, http.MethodPut, tt.path, tt.header, tt.body)
			wantErrorResponse(t, resp, body, tt.status, tt.code)
			// All or nothing: no incident changed, no entry written.
			if les := s.LogEntries(""); len(les) != 0 {
				t.Errorf("a refused merge wrote entries: %+v", les)
			}
			for _, id := range []string{"PINC001", "PINC002"} {
				if in, _ := s.Incident(id); in.Status == "resolved" || in.MergedInto != "" {
					t.Errorf("%s changed: %+v", id, in)
				}
			}
		})
	}
	// The body must be what the document says.
	s := newSeeded(t)
	requireValidation(t, s)
	raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001/merge", from, `{"sources":["PINC002"]}`)
	wantInvalid(t, s, "source_incidents")
}
