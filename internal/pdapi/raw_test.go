package pdapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

// Seeded account of the pdfake-backed tests.
const (
	fakeKey   = "acct_Key+1-x" // real keys hold _ + -
	aliceMail = "alice@example.com"
	bobMail   = "bob@example.com"
	incA      = "PINC001" // #101, triggered, assigned to PU1 by PEP1
	incB      = "Q1R2DLCB21K7NP"
)

// newSeeded returns a pdfake that validates every request against
// PagerDuty's OpenAPI document (when PDBOT_PD_OPENAPI is set), with two
// users, two policies, a service and two incidents.
func newSeeded(t *testing.T) *pdfake.Server {
	t.Helper()
	return seed(pdfaketest.New(t))
}

// seed gives s newSeeded's account.
func seed(s *pdfake.Server) *pdfake.Server {
	s.AddUser(pdfake.User{ID: "PU1", Name: "Alice Adams", Email: aliceMail})
	s.AddUser(pdfake.User{ID: "PU2", Name: "Bob Brown", Email: bobMail})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Primary", UserIDs: []string{"PU1"}})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP2", Name: "Database", UserIDs: []string{"PU2"}})
	s.AddService(pdfake.Service{ID: "PSV1", Name: "Checkout", EscalationPolicyID: "PEP1"})
	s.AddIncident(pdfake.Incident{ID: incA, Number: 101, Title: "Checkout is down", ServiceID: "PSV1", Assignees: []string{"PU1"}})
	s.AddIncident(pdfake.Incident{ID: incB, Number: 102, Title: "Old outage", Status: "resolved", ServiceID: "PSV1", Resolution: "restarted"})
	s.AddKey(fakeKey, pdfake.AccountKey)
	return s
}

func fakeClient(s *pdfake.Server, from string) *pdapi.Client {
	noSleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return pdapi.New(s.URL(), fakeKey, pdapi.Options{Sleep: noSleep}).As(from)
}

func assignTo(ids ...string) []pagerduty.Assignee {
	var out []pagerduty.Assignee
	for _, id := range ids {
		out = append(out, pagerduty.Assignee{Assignee: pagerduty.APIObject{ID: id, Type: "user_reference"}})
	}
	return out
}

// TestUpdateIncidentAgainstPDFake drives PUT /incidents/{id} through the
// client against pdfake's state machine (the bulk PUT's), with every
// request checked against PagerDuty's document.
func TestUpdateIncidentAgainstPDFake(t *testing.T) {
	type state struct {
		Status, Policy, Resolution string
		Assignees                  []string
	}
	tests := []struct {
		name    string
		id      string
		from    string
		upd     pdapi.IncidentUpdate
		want    state // for errors: the unchanged state
		wantErr func(error) bool
	}{
		{name: "ack assigns to the requester", id: incA, from: bobMail, upd: pdapi.IncidentUpdate{Status: "acknowledged"},
			want: state{Status: "acknowledged", Policy: "PEP1", Assignees: []string{"PU1", "PU2"}}},
		{name: "resolve with a resolution", id: incA, from: aliceMail, upd: pdapi.IncidentUpdate{Status: "resolved", Resolution: "rolled back"},
			want: state{Status: "resolved", Policy: "PEP1", Resolution: "rolled back"}},
		{name: "reassign", id: incA, from: aliceMail, upd: pdapi.IncidentUpdate{Assignments: assignTo("PU2")},
			want: state{Status: "triggered", Policy: "PEP1", Assignees: []string{"PU2"}}},
		{name: "escalate to another policy", id: incA, from: aliceMail,
			upd:  pdapi.IncidentUpdate{EscalationPolicy: &pagerduty.APIReference{ID: "PEP2", Type: "escalation_policy_reference"}},
			want: state{Status: "triggered", Policy: "PEP2", Assignees: []string{"PU2"}}},
		{name: "reassign a resolved incident is refused by PagerDuty", id: incB, from: aliceMail, upd: pdapi.IncidentUpdate{Assignments: assignTo("PU2")},
			want: state{Status: "resolved", Policy: "PEP1", Resolution: "restarted"},
			wantErr: func(err error) bool {
				var ae pagerduty.APIError
				return errors.As(err, &ae) && ae.StatusCode == 400 && ae.APIError.Valid && ae.APIError.ErrorObject.Code == 2001
			}},
		{name: "unknown assignee", id: incA, from: aliceMail, upd: pdapi.IncidentUpdate{Assignments: assignTo("PNOUSER")},
			want: state{Status: "triggered", Policy: "PEP1", Assignees: []string{"PU1"}},
			wantErr: func(err error) bool {
				var ae pagerduty.APIError
				return errors.As(err, &ae) && ae.StatusCode == 400 && strings.Contains(strings.Join(ae.APIError.ErrorObject.Errors, " "), "PNOUSER")
			}},
		{name: "requester unknown to PagerDuty", id: incA, from: "nobody@example.com", upd: pdapi.IncidentUpdate{Status: "acknowledged"},
			want: state{Status: "triggered", Policy: "PEP1", Assignees: []string{"PU1"}},
			wantErr: func(err error) bool {
				var ae pagerduty.APIError
				return errors.As(err, &ae) && ae.StatusCode == 400 && ae.APIError.ErrorObject.Code == pdfake.DefaultUnknownFromCode
			}},
		{name: "assignees and policy together never leave", id: incA, from: aliceMail,
			upd:     pdapi.IncidentUpdate{Assignments: assignTo("PU2"), EscalationPolicy: &pagerduty.APIReference{ID: "PEP2", Type: "escalation_policy_reference"}},
			want:    state{Status: "triggered", Policy: "PEP1", Assignees: []string{"PU1"}},
			wantErr: func(err error) bool { return errors.Is(err, pdapi.ErrAssigneesWithPolicy) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			inc, err := fakeClient(s, tt.from).UpdateIncident(testCtx(t), tt.id, tt.upd)
			switch {
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Fatalf("err = %v (%T), not the refusal wanted", err, err)
			case tt.wantErr == nil && err != nil:
				t.Fatal(err)
			case tt.wantErr == nil && (inc.ID != tt.id || inc.Status != tt.want.Status):
				t.Errorf("returned %s %s, want %s %s", inc.ID, inc.Status, tt.id, tt.want.Status)
			}
			got, _ := s.Incident(tt.id)
			if diff := cmp.Diff(tt.want, state{got.Status, got.EscalationPolicyID, got.Resolution, got.Assignees}); diff != "" {
				t.Errorf("incident in PagerDuty (-want +got):\n%s", diff)
			}
			reqs := s.Requests()
			if errors.Is(err, pdapi.ErrAssigneesWithPolicy) {
				if len(reqs) != 0 {
					t.Errorf("a refused update was sent: %+v", reqs)
				}
				return
			}
			if len(reqs) != 1 || reqs[0].Method != "PUT" || reqs[0].Path != "/incidents/"+tt.id {
				t.Fatalf("requests = %v, want one PUT /incidents/%s", reqs, tt.id)
			}
			if f := reqs[0].Header.Get("From"); f != tt.from {
				t.Errorf("From = %q, want %q", f, tt.from)
			}
			if reqs[0].Invalid != "" {
				t.Errorf("PagerDuty's document refuses the request: %s", reqs[0].Invalid)
			}
		})
	}
}

// TestDoErrorsMatchGoPagerDuty: for each way PagerDuty (or a proxy in
// front of it) refuses, Do's error is the pagerduty.APIError go-pagerduty
// makes of the same answer, so handlers.Explain reads both alike.
func TestDoErrorsMatchGoPagerDuty(t *testing.T) {
	faults := []struct {
		name  string
		fault pdfake.Fault
	}{
		{"429 past the wait", pdfake.Fault{Kind: pdfake.Fault429, Reset: 30 * time.Second}},
		{"5xx JSON", pdfake.Fault{Kind: pdfake.Fault5xxJSON}},
		{"5xx HTML", pdfake.Fault{Kind: pdfake.Fault5xxText}},
		{"5xx empty", pdfake.Fault{Kind: pdfake.Fault5xxEmpty}},
		{"errors as a string", pdfake.Fault{Kind: pdfake.FaultErrorsString}},
		{"error as a string", pdfake.Fault{Kind: pdfake.FaultErrorString}},
		{"403", pdfake.Fault{Kind: pdfake.Fault5xxJSON, Status: 403}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			s := newSeeded(t)
			pd := fakeClient(s, aliceMail)
			s.FailNext(1, f.fault)
			_, gpErr := pd.AddNote(testCtx(t), incA, "hello") // go-pagerduty's POST
			s.FailNext(1, f.fault)
			rawErr := pd.Do(testCtx(t), pdapi.Call{Method: http.MethodPost, Path: []string{"incidents", incA, "notes"},
				Body: map[string]any{"note": map[string]any{"content": "hello"}}}, nil)
			var want, got pagerduty.APIError
			if !errors.As(gpErr, &want) {
				t.Fatalf("go-pagerduty: %v (%T), want an APIError", gpErr, gpErr)
			}
			if !errors.As(rawErr, &got) {
				t.Fatalf("Do: %v (%T), want an APIError", rawErr, rawErr)
			}
			if got.StatusCode == 0 || got.StatusCode < 400 {
				t.Errorf("StatusCode = %d", got.StatusCode)
			}
			if diff := cmp.Diff(want.StatusCode, got.StatusCode); diff != "" {
				t.Errorf("StatusCode (-go-pagerduty +Do):\n%s", diff)
			}
			if diff := cmp.Diff(want.APIError, got.APIError); diff != "" {
				t.Errorf("error object (-go-pagerduty +Do):\n%s", diff)
			}
			if want.RateLimited() != got.RateLimited() || want.NotFound() != got.NotFound() || want.Temporary() != got.Temporary() {
				t.Errorf("RateLimited/NotFound/Temporary differ: go-pagerduty %v %v %v, Do %v %v %v",
					want.RateLimited(), want.NotFound(), want.Temporary(), got.RateLimited(), got.NotFound(), got.Temporary())
			}
			if n := len(s.Requests()); n != 2 {
				t.Errorf("PagerDuty saw %d requests, want 2 (a refused write is not retried)", n)
			}
		})
	}
}

// TestDoNotFound: an unknown incident is go-pagerduty's 404 with code 2100,
// so NotFound() holds.
func TestDoNotFound(t *testing.T) {
	s := newSeeded(t)
	err := fakeClient(s, "").Do(testCtx(t), pdapi.Call{Method: http.MethodGet, Path: []string{"incidents", "PNOPE00"}}, nil)
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || !ae.NotFound() || ae.StatusCode != 404 || ae.APIError.ErrorObject.Code != 2100 {
		t.Fatalf("err = %v, want a 404 APIError with code 2100", err)
	}
}

// TestDoSendsGoPagerDutysHeaders: a raw write carries exactly the headers
// go-pagerduty sends on its own writes.
func TestDoSendsGoPagerDutysHeaders(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "bob@example.com")
	if err := noteCall.do(testCtx(t), pd); err != nil {
		t.Fatal(err)
	}
	if err := rawPostCall.do(testCtx(t), pd); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	headers := func(r seen) []string { return []string{r.Auth, r.Accept, r.ContentType, r.UserAgent, r.From} }
	if diff := cmp.Diff(headers(reqs[0]), headers(reqs[1])); diff != "" {
		t.Errorf("headers (-go-pagerduty +Do):\n%s", diff)
	}
	want := []string{"Token token=" + canaryKey, "application/vnd.pagerduty+json;version=2", "application/json", "go-pagerduty/" + pagerduty.Version, "bob@example.com"}
	if diff := cmp.Diff(want, headers(reqs[1])); diff != "" {
		t.Errorf("Do's headers (-want +got):\n%s", diff)
	}
}

// TestDoQueryBodyAndAnswer: the query goes out encoded, the body as JSON,
// and the answer is decoded into out; a GET carries no From.
func TestDoQueryBodyAndAnswer(t *testing.T) {
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"user": map[string]any{"id": "PU1", "email": "a&b@example.com"}})
	})
	pd, _ := f.Client(t, "bob@example.com")
	var out struct{ User pagerduty.User }
	q := url.Values{"include[]": {"teams", "contact_methods"}, "query": {"a&b c"}}
	if err := pd.Do(testCtx(t), pdapi.Call{Method: http.MethodGet, Path: []string{"users", "PU00001"}, Query: q}, &out); err != nil {
		t.Fatal(err)
	}
	if out.User.ID != "PU1" || out.User.Email != "a&b@example.com" {
		t.Errorf("decoded %+v", out.User)
	}
	body := map[string]any{"note": map[string]any{"content": "<b> & \"quotes\""}}
	if err := pd.Do(testCtx(t), pdapi.Call{Method: http.MethodPut, Path: []string{"incidents", testIncident}, Body: body}, nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %+v", reqs)
	}
	if got, _ := url.ParseQuery(reqs[0].RawQuery); !cmp.Equal(got, q) || reqs[0].Path != "/users/PU00001" || reqs[0].From != "" || reqs[0].Body != "" {
		t.Errorf("GET = %s?%s From %q body %q, want /users/PU00001?%s, no From, no body", reqs[0].Path, reqs[0].RawQuery, reqs[0].From, reqs[0].Body, q.Encode())
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(reqs[1].Body), &sent); err != nil || !cmp.Equal(sent, body) {
		t.Errorf("PUT body = %s (%v), want %v", reqs[1].Body, err, body)
	}
	if reqs[1].From != "bob@example.com" {
		t.Errorf("PUT From = %q", reqs[1].From)
	}
}

// TestDoRefusesMalformedSegments: nothing that could leave its path
// segment reaches PagerDuty, and the refusal does not quote it.
func TestDoRefusesMalformedSegments(t *testing.T) {
	bad := [][]string{
		nil,
		{},
		{""},
		{"incidents", ""},
		{"incidents", ".."},
		{"incidents", "."},
		{"incidents", "../users"},
		{"incidents", "..%2Fusers"},
		{"incidents", "Q1?x=1"},
		{"incidents", "P1#frag"},
		{"incidents", "P1ABCDE/notes"},
		{"incidents", "a b"},
		{"incidents", "PUSER01\n"},
		{"incidents", "Pabcdef"}, // mixed case: neither a name nor an ID
		{"Incidents"},
		{"incidents", strings.Repeat("A", 21)},
		{"incidents", canaryKey},
		{"incidents", "ÄÖÜ"},
	}
	for _, path := range bad {
		t.Run(fmt.Sprintf("%q", path), func(t *testing.T) {
			f := newFakePD(t, okBody)
			pd, _ := f.Client(t, "bob@example.com")
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				err := pd.Do(testCtx(t), pdapi.Call{Method: m, Path: path}, nil)
				if err == nil {
					t.Errorf("%s %q succeeded", m, path)
					continue
				}
				if strings.Contains(err.Error(), canaryKey) {
					t.Errorf("the refusal quotes the segment: %v", err)
				}
			}
			if reqs := f.Requests(); len(reqs) != 0 {
				t.Errorf("sent %+v", reqs)
			}
		})
	}
}

// TestDoAcceptsPagerDutyPaths: resource names, IDs and numbers pass.
func TestDoAcceptsPagerDutyPaths(t *testing.T) {
	good := [][]string{
		{"incidents"},
		{"incidents", testIncident, "responder_requests"},
		{"incidents", "42"},
		{"abilities", "coordinated_responding"},
		{"incident_workflows", "PWF0001", "instances"},
		{"log_entries"},
	}
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{}) })
	pd, _ := f.Client(t, "")
	var want []string
	for _, p := range good {
		if err := pd.Do(testCtx(t), pdapi.Call{Method: http.MethodGet, Path: p}, nil); err != nil {
			t.Errorf("GET %q: %v", p, err)
		}
		want = append(want, "/"+strings.Join(p, "/"))
	}
	var got []string
	for _, r := range f.Requests() {
		got = append(got, r.Path)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

// pagedUsers serves n users under "users" with classic pagination, at most
// clamp a page whatever limit asks (as PagerDuty clamps to 100).
func pagedUsers(n, clamp int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit = min(limit, clamp)
		var users []any
		for i := offset; i < min(offset+limit, n); i++ {
			users = append(users, map[string]any{"id": fmt.Sprintf("PU%05d", i)})
		}
		writeJSON(w, 200, map[string]any{"users": users, "limit": limit, "offset": offset, "more": offset+limit < n})
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name        string
		n, clamp    int
		stopAfter   int // each returns false after this many; 0 = never
		wantItems   int
		wantOffsets []string
	}{
		{"one page", 7, 100, 0, 7, []string{"0"}},
		{"empty", 0, 100, 0, 0, []string{"0"}},
		{"full pages", 250, 100, 0, 250, []string{"0", "100", "200"}},
		{"exactly one full page", 100, 100, 0, 100, []string{"0"}},
		{"clamped pages advance by what came back", 23, 10, 0, 23, []string{"0", "10", "20"}},
		{"stop early", 250, 100, 150, 150, []string{"0", "100"}},
		{"stop on the first item", 250, 100, 1, 1, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePD(t, pagedUsers(tt.n, tt.clamp))
			pd, _ := f.Client(t, "")
			query := url.Values{"query": {"bob"}}
			var ids []string
			err := pdapi.List(testCtx(t), pd, []string{"users"}, query, "users", func(u pagerduty.User) bool {
				ids = append(ids, u.ID)
				return tt.stopAfter == 0 || len(ids) < tt.stopAfter
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tt.wantItems {
				t.Errorf("got %d items, want %d", len(ids), tt.wantItems)
			}
			for i, id := range ids {
				if want := fmt.Sprintf("PU%05d", i); id != want {
					t.Fatalf("item %d = %s, want %s (in order, none twice)", i, id, want)
				}
			}
			var offsets []string
			for _, r := range f.Requests() {
				q, _ := url.ParseQuery(r.RawQuery)
				offsets = append(offsets, q.Get("offset"))
				if q.Get("limit") != strconv.Itoa(pdapi.PageLimit) || q.Get("query") != "bob" || r.Path != "/users" {
					t.Errorf("request %s?%s, want full pages of /users with the caller's query", r.Path, r.RawQuery)
				}
			}
			if diff := cmp.Diff(tt.wantOffsets, offsets); diff != "" {
				t.Errorf("offsets (-want +got):\n%s", diff)
			}
			if !cmp.Equal(query, url.Values{"query": {"bob"}}) {
				t.Errorf("List changed the caller's query: %v", query)
			}
		})
	}
}

// TestListDoesNotSpin: a page that says more but holds nothing ends the
// list instead of asking again forever.
func TestListDoesNotSpin(t *testing.T) {
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"users": []any{}, "limit": 0, "offset": 0, "more": true})
	})
	pd, _ := f.Client(t, "")
	err := pdapi.List(testCtx(t), pd, []string{"users"}, nil, "users", func(pagerduty.User) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// TestListCeiling: PagerDuty pages by offset up to 10,000 items; a list
// longer than that ends with ErrListTooLong, never with a request past it.
func TestListCeiling(t *testing.T) {
	var maxEnd atomic.Int64
	endless := pagedUsers(1<<30, 100)
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		if end := int64(limit + offset); end > maxEnd.Load() {
			maxEnd.Store(end)
		}
		endless(w, r)
	})
	pd, _ := f.Client(t, "")
	n := 0
	err := pdapi.List(testCtx(t), pd, []string{"users"}, nil, "users", func(pagerduty.User) bool { n++; return true })
	if !errors.Is(err, pdapi.ErrListTooLong) {
		t.Fatalf("err = %v, want ErrListTooLong", err)
	}
	if n != pdapi.MaxOffset || maxEnd.Load() > pdapi.MaxOffset {
		t.Errorf("read %d items, furthest offset+limit %d; want %d and at most %d", n, maxEnd.Load(), pdapi.MaxOffset, pdapi.MaxOffset)
	}
}

// TestListErrors: a failed page, or an answer without the list, is an
// error of the list.
func TestListErrors(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"refused":     func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 403, pdError(2010, "Access Denied")) },
		"no such key": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"teams": []any{}}) },
		"not a list":  func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"users": "x"}) },
		"more not bool": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"users": []any{}, "more": "yes"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakePD(t, h)
			pd, _ := f.Client(t, "")
			err := pdapi.List(testCtx(t), pd, []string{"users"}, nil, "users", func(pagerduty.User) bool { return true })
			if err == nil {
				t.Fatal("List succeeded")
			}
			if name == "refused" {
				var ae pagerduty.APIError
				if !errors.As(err, &ae) || ae.StatusCode != 403 {
					t.Errorf("err = %v, want the APIError of the page", err)
				}
			}
		})
	}
}

// TestListRefusesMalformedPaths: List's path is allow-listed like Do's,
// and its refusal does not quote it.
func TestListRefusesMalformedPaths(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "")
	for _, path := range [][]string{nil, {"users", "../x"}, {canaryKey}} {
		err := pdapi.List(testCtx(t), pd, path, nil, "users", func(pagerduty.User) bool { return true })
		if err == nil || strings.Contains(err.Error(), canaryKey) || strings.Contains(err.Error(), "..") {
			t.Errorf("List(%q) = %v, want a refusal that does not quote the path", path, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("sent %d requests", n)
	}
}

// TestListAgainstPDFake pages through pdfake's users (which clamps pages
// and checks every request against PagerDuty's document).
func TestListAgainstPDFake(t *testing.T) {
	s := pdfaketest.New(t)
	s.AddKey(fakeKey, pdfake.AccountKey)
	const n = 230
	for i := range n {
		s.AddUser(pdfake.User{ID: fmt.Sprintf("PX%05d", i), Name: fmt.Sprintf("User %05d", i), Email: fmt.Sprintf("u%d@example.com", i)})
	}
	seen := map[string]bool{}
	err := pdapi.List(testCtx(t), fakeClient(s, ""), []string{"users"}, url.Values{"query": {"User"}}, "users", func(u pagerduty.User) bool {
		if seen[u.ID] {
			t.Errorf("%s listed twice", u.ID)
		}
		seen[u.ID] = true
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("listed %d users, want %d", len(seen), n)
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Errorf("%d requests, want 3 pages", len(reqs))
	}
	for _, r := range reqs {
		if r.Invalid != "" {
			t.Errorf("%s?%s: %s", r.Path, r.RawQuery, r.Invalid)
		}
	}
}
