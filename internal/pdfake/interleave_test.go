package pdfake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/pdfake"
)

// TestFault2xxWithoutIncident: the write lands, and the answer is a 200
// that does not hold the incident.
func TestFault2xxWithoutIncident(t *testing.T) {
	s := newSeeded(t)
	s.FailNext(1, pdfake.Fault{Method: http.MethodPut, PathPrefix: "/incidents/PINC001", Kind: pdfake.Fault2xxWithoutIncident})
	resp, body := raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail},
		`{"incident":{"type":"incident_reference","status":"acknowledged"}}`)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "{}" {
		t.Fatalf("answer = %d %s, want 200 {}", resp.StatusCode, body)
	}
	if inc, _ := s.Incident("PINC001"); inc.Status != "acknowledged" {
		t.Errorf("status = %s, want the write to have landed", inc.Status)
	}
	// One request only: the next one is answered as usual.
	resp, body = raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail},
		`{"incident":{"type":"incident_reference","status":"resolved"}}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"resolved"`) {
		t.Errorf("second answer = %d %s", resp.StatusCode, body)
	}
	// A write PagerDuty refuses is refused, not answered 200.
	s.FailNext(1, pdfake.Fault{Method: http.MethodPut, Kind: pdfake.Fault2xxWithoutIncident})
	resp, _ = raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail},
		`{"incident":{"type":"incident_reference","status":"resolved"}}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("resolving a resolved incident under the fault: %d, want 400", resp.StatusCode)
	}
}

// TestAfterNextLandsBetweenReadAndWrite: the change runs after the matching
// request was carried out and before its answer, once.
func TestAfterNextLandsBetweenReadAndWrite(t *testing.T) {
	s := newSeeded(t)
	runs := 0
	s.AfterNext(http.MethodGet, "/incidents/PINC001", func() {
		runs++
		if err := s.SetStatusAs("PU2", "PINC001", "resolved"); err != nil {
			t.Error(err)
		}
	})
	inc, err := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC001")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != "triggered" {
		t.Errorf("the read saw %s, want the state before the change", inc.Status)
	}
	after, _ := s.Incident("PINC001")
	if after.Status != "resolved" || runs != 1 {
		t.Errorf("after the read: %s, %d runs; want resolved, 1", after.Status, runs)
	}
	if _, err := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC001"); err != nil || runs != 1 {
		t.Errorf("second read: %v, %d runs; want 1", err, runs)
	}
	for _, r := range s.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("SetStatusAs was recorded as a request: %s %s", r.Method, r.Path)
		}
	}
	if err := s.SetStatusAs("PU2", "PINC001", "resolved"); err == nil {
		t.Error("resolving a resolved incident succeeded")
	}
	if err := s.SetStatusAs("PNOBODY", "PINC002", "resolved"); err == nil {
		t.Error("an unknown user changed an incident")
	}
}
