package pdfake_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

// TestQueryParamsMatchDocument keeps pdfake's list of accepted query
// parameters (used to refuse '?' injected through IDs) in step with the
// document.
func TestQueryParamsMatchDocument(t *testing.T) {
	sp := pdfaketest.EnvSpec(t)
	if sp == nil {
		t.Skip("PDBOT_PD_OPENAPI unset: this test asserts OpenAPI validation, skipped")
	}
	for op, mine := range pdfake.QueryParams {
		doc := sp.QueryParams(op)
		if diff := cmp.Diff(doc, mine, cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s query parameters (-document +pdfake):\n%s", op, diff)
		}
	}
}

// TestInvalidRequestsRefusedAndRecorded sends requests the real API refuses
// and checks each is answered 400/2001 with the reason and recorded invalid.
func TestInvalidRequestsRefusedAndRecorded(t *testing.T) {
	tests := []struct {
		name, method, path string
		header             map[string]string
		body               string
		want               string // in the recorded reason and the errors
	}{
		{"bad status", http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail},
			`{"incident":{"type":"incident","status":"closed"}}`, "/incident/status"},
		{"missing incident type", http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail},
			`{"incident":{"status":"acknowledged"}}`, `"type"`},
		{"bulk item without id", http.MethodPut, "/incidents", map[string]string{"From": aliceMail},
			`{"incidents":[{"type":"incident","status":"resolved"}]}`, `"id"`},
		{"note without content", http.MethodPost, "/incidents/PINC001/notes", map[string]string{"From": aliceMail},
			`{"note":{}}`, `"content"`},
		{"wrong content type", http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail, "Content-Type": "text/plain"},
			`{"incident":{"type":"incident","status":"acknowledged"}}`, "Content-Type"},
		{"no Accept header", http.MethodGet, "/users", map[string]string{"Accept": ""}, "", `"Accept"`},
		{"limit not a number", http.MethodGet, "/users?limit=ten", nil, "", `"limit"`},
		{"From not an email", http.MethodPost, "/incidents/PINC001/notes", map[string]string{"From": "alice"},
			`{"note":{"content":"hi"}}`, `"From"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			requireValidation(t, s)
			resp, body := raw(t, s, acctKey, tt.method, tt.path, tt.header, tt.body)
			status, code := http.StatusBadRequest, 2001
			if tt.name == "From not an email" { // no such user: the From check answers first
				code = pdfake.DefaultUnknownFromCode
			}
			eb := wantErrorResponse(t, resp, body, status, code)
			if code == 2001 && !slices.ContainsFunc(eb.Error.Errors, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("errors = %q, want one mentioning %q", eb.Error.Errors, tt.want)
			}
			wantInvalid(t, s, tt.want)
			if inc, _ := s.Incident("PINC001"); inc.Status != "triggered" || len(inc.Notes) != 0 {
				t.Errorf("an invalid request changed the incident: %+v", inc)
			}
		})
	}
}

// TestValidRequestsWithQuirks sends requests the real API accepts but the
// document, read literally, would not.
func TestValidRequestsWithQuirks(t *testing.T) {
	tests := []struct {
		name, key, method, path string
		header                  map[string]string
		body                    string
		status                  int
	}{
		{"GET without Content-Type", acctKey, http.MethodGet, "/incidents/PINC001", map[string]string{"Content-Type": ""}, "", 200},
		{"JSON with charset", acctKey, http.MethodPost, "/incidents/PINC001/notes",
			map[string]string{"From": aliceMail, "Content-Type": "application/json; charset=utf-8"}, `{"note":{"content":"hi"}}`, 200},
		{"user key without From", bobKey, http.MethodPut, "/incidents/PINC001", nil,
			`{"incident":{"type":"incident_reference","status":"acknowledged"}}`, 200},
		{"Authorization with _+- in the key", acctKey, http.MethodGet, "/abilities", nil, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t) // the cleanup fails the test if any request was invalid
			resp, body := raw(t, s, tt.key, tt.method, tt.path, tt.header, tt.body)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
		})
	}
}

// fakeTB records what pdfaketest.New's cleanup reports.
type fakeTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Log(...any)                     {}
func (f *fakeTB) Logf(string, ...any)            {}
func (f *fakeTB) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, a ...any) { f.errors = append(f.errors, format) }
func (f *fakeTB) runCleanups() {
	for _, fn := range slices.Backward(f.cleanups) {
		fn()
	}
}

func TestNewFailsOnInvalidRequests(t *testing.T) {
	for _, allow := range []bool{false, true} {
		ftb := &fakeTB{TB: t}
		s := pdfaketest.New(ftb)
		s.AddKey(acctKey, pdfake.AccountKey)
		if allow {
			s.AllowInvalid()
		}
		raw(t, s, acctKey, http.MethodGet, "/incidents/../users", nil, "")
		ftb.runCleanups()
		if got := len(ftb.errors) > 0; got == allow {
			t.Errorf("AllowInvalid=%v: test failed = %v (%q)", allow, got, ftb.errors)
		}
	}
}
