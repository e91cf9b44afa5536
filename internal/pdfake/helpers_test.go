package pdfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

// Keys of the seeded account. Real keys contain '_', '+' and '-', which the
// document's Authorization pattern would refuse (notes §1.1).
const (
	acctKey   = "acct_Key+1-x"
	roKey     = "ro_Key+2-x"
	bobKey    = "user_Key+3-bob"
	aliceMail = "alice@example.com"
	bobMail   = "bob@example.com"
)

// newSeeded returns a validating fake with a small account: three users, two
// policies, one service and three incidents (#101 triggered, #102
// acknowledged, #103 resolved).
func newSeeded(t *testing.T) *pdfake.Server {
	t.Helper()
	return newSeededWith(t, pdfake.Options{})
}

// newSeededWith is newSeeded with options, such as a fake clock.
func newSeededWith(t *testing.T, opts pdfake.Options) *pdfake.Server {
	t.Helper()
	s := pdfaketest.NewWith(t, opts)
	seed(s)
	return s
}

// seed gives s the account newSeeded describes.
func seed(s *pdfake.Server) {
	s.AddUser(pdfake.User{ID: "PU1", Name: "Alice Adams", Email: aliceMail, Role: "admin", TimeZone: "Europe/Paris"})
	s.AddUser(pdfake.User{ID: "PU2", Name: "Bob Brown", Email: bobMail})
	s.AddUser(pdfake.User{ID: "PU3", Name: "Bobby Tables", Email: "bobby@example.com"})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Primary On-call", UserIDs: []string{"PU1"}})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP2", Name: "Database Escalation", UserIDs: []string{"PU3"}})
	s.AddService(pdfake.Service{ID: "PSV1", Name: "Checkout", EscalationPolicyID: "PEP1"})
	s.AddIncident(pdfake.Incident{ID: "PINC001", Number: 101, Title: "Checkout is down", ServiceID: "PSV1", Assignees: []string{"PU1"}})
	s.AddIncident(pdfake.Incident{ID: "PINC002", Number: 102, Title: "Slow queries", Status: "acknowledged", ServiceID: "PSV1",
		Assignees: []string{"PU1"}, Acknowledgers: []string{"PU1"}})
	s.AddIncident(pdfake.Incident{ID: "Q1R2DLCB21K7NP", Number: 103, Title: "Old outage", Status: "resolved", ServiceID: "PSV1",
		Resolution: "restarted"})
	s.AddWorkflow(pdfake.Workflow{ID: "PWF0001", Name: "Major incident kickoff", Description: "Opens a bridge"})
	s.AddWorkflow(pdfake.Workflow{ID: "PWF0002", Name: "Major incident comms", Description: "Tells stakeholders"})
	s.AddWorkflow(pdfake.Workflow{ID: "PWF0003", Name: "Retired", Disabled: true})
	s.AddKey(acctKey, pdfake.AccountKey)
	s.AddKey(roKey, pdfake.ReadOnlyKey)
	s.AddUserKey(bobKey, "PU2")
}

// fakeClock is a clock that moves only when the test moves it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func client(s *pdfake.Server, key string) *pagerduty.Client {
	return pagerduty.NewClient(key, pagerduty.WithAPIEndpoint(s.URL()))
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// apiErr returns err as go-pagerduty's APIError, failing the test otherwise.
func apiErr(t *testing.T, err error) pagerduty.APIError {
	t.Helper()
	var e pagerduty.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a pagerduty.APIError", err, err)
	}
	return e
}

// wantAPIError checks err is an APIError with the status and, when code is not
// 0, a valid error object with that code.
func wantAPIError(t *testing.T, err error, status, code int) pagerduty.APIError {
	t.Helper()
	e := apiErr(t, err)
	if e.StatusCode != status {
		t.Errorf("status = %d, want %d (%v)", e.StatusCode, status, err)
	}
	if code != 0 && (!e.APIError.Valid || e.APIError.ErrorObject.Code != code) {
		t.Errorf("error object = %+v, want code %d", e.APIError, code)
	}
	return e
}

// raw sends a request the way go-pagerduty does (Accept, Content-Type,
// Authorization for key), then applies header: a "" value deletes the header.
func raw(t *testing.T, s *pdfake.Server, key, method, path string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Token token="+key)
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// errorBody is PagerDuty's error shape.
type errorBody struct {
	Error struct {
		Code    int      `json:"code"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	} `json:"error"`
}

// wantErrorResponse checks a raw response is a PagerDuty JSON error.
func wantErrorResponse(t *testing.T, resp *http.Response, body []byte, status, code int) errorBody {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no x-request-id header")
	}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if eb.Error.Code != code || eb.Error.Message == "" {
		t.Errorf("error = %+v, want code %d and a message", eb.Error, code)
	}
	return eb
}

// requireValidation skips tests that assert what only the document can tell.
func requireValidation(t *testing.T, s *pdfake.Server) {
	t.Helper()
	if !s.Validating() {
		t.Skip("PDBOT_PD_OPENAPI unset: this test asserts OpenAPI validation, skipped")
	}
}

// wantInvalid checks the recorded requests to path prefix are all invalid,
// and that there is at least one, then lets the test end without failing.
func wantInvalid(t *testing.T, s *pdfake.Server, want string) {
	t.Helper()
	s.AllowInvalid()
	inv := s.InvalidRequests()
	if len(inv) == 0 {
		t.Fatalf("no invalid request recorded, want one about %q", want)
	}
	for _, r := range inv {
		if !strings.Contains(r.Invalid, want) {
			t.Errorf("invalid request %s %s: %q, want it to mention %q", r.Method, r.Path, r.Invalid, want)
		}
	}
}
