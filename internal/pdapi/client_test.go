package pdapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/pdbot/pdbot/internal/pdapi"
)

const testIncident = "Q1ABCDEFGHIJKL"

// okBody answers a successful call of each client method the tests make.
func okBody(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/incidents/"):
		writeJSON(w, 200, map[string]any{"incident": map[string]any{"id": testIncident, "incident_number": 42, "status": "triggered"}})
	case r.Method == http.MethodPut && r.URL.Path == "/incidents/"+testIncident:
		writeJSON(w, 200, map[string]any{"incident": map[string]any{"id": testIncident, "status": "acknowledged"}})
	case r.Method == http.MethodGet && r.URL.Path == "/users":
		writeJSON(w, 200, map[string]any{"users": []any{}, "limit": 100, "offset": 0, "more": false})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/notes"):
		writeJSON(w, 201, map[string]any{"note": map[string]any{"id": "PNOTE01", "content": "hello"}})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/responder_requests"):
		writeJSON(w, 200, map[string]any{"responder_request": map[string]any{"message": "help"}})
	case r.Method == http.MethodGet && r.URL.Path == "/abilities":
		writeJSON(w, 200, map[string]any{"abilities": []string{"coordinated_responding"}})
	default:
		writeJSON(w, 404, pdError(2100, "Not Found"))
	}
}

// failFirst answers the first n requests with fail and the rest with okBody.
func failFirst(n int32, fail http.HandlerFunc) http.HandlerFunc {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			fail(w, r)
			return
		}
		okBody(w, r)
	}
}

func rateLimited(header, value string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if header != "" {
			w.Header().Set(header, value)
		}
		writeJSON(w, http.StatusTooManyRequests, pdError(2020, "Rate Limit Exceeded"))
	}
}

func serverError(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, status, pdError(2000, "Internal Error"))
	}
}

// call is one client method, as the requester bob@example.com.
type call struct {
	name   string
	method string
	do     func(ctx context.Context, pd *pdapi.Client) error
}

var (
	getCall = call{"GetIncident", http.MethodGet, func(ctx context.Context, pd *pdapi.Client) error {
		_, err := pd.GetIncident(ctx, testIncident)
		return err
	}}
	putCall = call{"UpdateIncident", http.MethodPut, func(ctx context.Context, pd *pdapi.Client) error {
		_, err := pd.UpdateIncident(ctx, testIncident, pdapi.IncidentUpdate{Status: "acknowledged"})
		return err
	}}
	noteCall = call{"AddNote", http.MethodPost, func(ctx context.Context, pd *pdapi.Client) error {
		_, err := pd.AddNote(ctx, testIncident, "hello")
		return err
	}}
	respondersCall = call{"RequestResponders", http.MethodPost, func(ctx context.Context, pd *pdapi.Client) error {
		var tg pagerduty.ResponderRequestTarget
		tg.ID, tg.Type = "PUSER01", "user_reference"
		_, err := pd.RequestResponders(ctx, testIncident, "PBOB001", "help", []pagerduty.ResponderRequestTarget{tg})
		return err
	}}
	// rawPostCall is a write through Do, as later actions make them.
	rawPostCall = call{"Do/POST", http.MethodPost, func(ctx context.Context, pd *pdapi.Client) error {
		body := map[string]any{"note": map[string]any{"content": "hello"}}
		return pd.Do(ctx, pdapi.Call{Method: http.MethodPost, Path: []string{"incidents", testIncident, "notes"}, Body: body}, nil)
	}}
	// rawGetCall is a read through Do.
	rawGetCall = call{"Do/GET", http.MethodGet, func(ctx context.Context, pd *pdapi.Client) error {
		var out struct{ Incident pagerduty.Incident }
		return pd.Do(ctx, pdapi.Call{Method: http.MethodGet, Path: []string{"incidents", testIncident}}, &out)
	}}
)

func TestRetryOn429(t *testing.T) {
	for _, c := range []call{getCall, putCall, noteCall, respondersCall, rawPostCall, rawGetCall} {
		for _, h := range []struct{ header, value string }{
			{"ratelimit-reset", "0"},
			{"Retry-After", "0"},
		} {
			for _, fails := range []int32{1, pdapi.MaxRetries} {
				t.Run(c.name+"/"+h.header+"/"+string('0'+rune(fails)), func(t *testing.T) {
					f := newFakePD(t, failFirst(fails, rateLimited(h.header, h.value)))
					pd, sl := f.Client(t, "bob@example.com")
					if err := c.do(testCtx(t), pd); err != nil {
						t.Fatalf("%s after %d 429s: %v", c.name, fails, err)
					}
					reqs := f.Requests()
					if len(reqs) != int(fails)+1 {
						t.Fatalf("server saw %d requests, want %d", len(reqs), fails+1)
					}
					for i, r := range reqs {
						if r.Method != c.method {
							t.Errorf("request %d: method %s, want %s", i, r.Method, c.method)
						}
						// A retried write must resend the identical body, not an
						// empty one (go-pagerduty's own retries get this wrong).
						if diff := cmp.Diff(reqs[0], r); diff != "" {
							t.Errorf("request %d differs from the first (-first +this):\n%s", i, diff)
						}
					}
					if c.method != http.MethodGet && reqs[0].Body == "" {
						t.Errorf("%s sent an empty body", c.name)
					}
					if got := sl.All(); len(got) != int(fails) {
						t.Errorf("slept %v, want %d waits of 0", got, fails)
					}
					if at, ok := pd.RetryAt(); ok {
						t.Errorf("RetryAt = %v after a retry that succeeded, want unset", at)
					}
				})
			}
		}
	}
}

func TestRetryOn429GivesUp(t *testing.T) {
	f := newFakePD(t, rateLimited("ratelimit-reset", "0"))
	pd, _ := f.Client(t, "bob@example.com")
	err := putCall.do(testCtx(t), pd)
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || !ae.RateLimited() {
		t.Fatalf("UpdateIncident against endless 429s: %v, want a rate-limited APIError", err)
	}
	if got, want := len(f.Requests()), pdapi.MaxRetries+1; got != want {
		t.Errorf("server saw %d requests, want %d", got, want)
	}
}

// TestRetryOn429WithoutHeaders: with neither header, the transport backs off
// exponentially from one second (within the wait it honours).
func TestRetryOn429WithoutHeaders(t *testing.T) {
	f := newFakePD(t, failFirst(1, rateLimited("", "")))
	pd, sl := f.Client(t, "bob@example.com")
	if err := getCall.do(testCtx(t), pd); err != nil {
		t.Fatal(err)
	}
	got := sl.All()
	if len(got) != 1 || got[0] < time.Second || got[0] > time.Second+time.Second/10 {
		t.Errorf("slept %v, want one wait of 1 s plus up to 10%% jitter", got)
	}
}

func TestNoRetryPastMaxRateLimitWait(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"ratelimit-reset 30", map[string]string{"ratelimit-reset": "30"}, 30 * time.Second},
		{"ratelimit-reset just past the cap", map[string]string{"ratelimit-reset": "3"}, 3 * time.Second},
		{"Retry-After 30", map[string]string{"Retry-After": "30"}, 30 * time.Second},
		{"ratelimit-reset wins over Retry-After", map[string]string{"ratelimit-reset": "30", "Retry-After": "0"}, 30 * time.Second},
	}
	if pdapi.MaxRateLimitWait >= 3*time.Second {
		t.Fatalf("maxRateLimitWait is %v; update the cases", pdapi.MaxRateLimitWait)
	}
	for _, c := range []call{getCall, putCall, noteCall, rawGetCall} {
		for _, tt := range tests {
			t.Run(c.name+"/"+tt.name, func(t *testing.T) {
				f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tt.headers {
						w.Header().Set(k, v)
					}
					writeJSON(w, http.StatusTooManyRequests, pdError(2020, "Rate Limit Exceeded"))
				})
				pd, sl := f.Client(t, "bob@example.com")
				before := time.Now()
				err := c.do(testCtx(t), pd)
				after := time.Now()
				var ae pagerduty.APIError
				if !errors.As(err, &ae) || !ae.RateLimited() {
					t.Fatalf("%s: %v, want a rate-limited APIError", c.name, err)
				}
				if n := len(f.Requests()); n != 1 {
					t.Errorf("server saw %d requests, want 1 (no retry past %v)", n, pdapi.MaxRateLimitWait)
				}
				if got := sl.All(); len(got) != 0 {
					t.Errorf("slept %v, want no sleep", got)
				}
				at, ok := pd.RetryAt()
				if !ok {
					t.Fatal("RetryAt not set")
				}
				if at.Before(before.Add(tt.want)) || at.After(after.Add(tt.want)) {
					t.Errorf("RetryAt = %v, want %v after the call (%v..%v)", at, tt.want, before.Add(tt.want), after.Add(tt.want))
				}
			})
		}
	}
}

// TestRetryAtIsShared: As copies the client, but the rate limit belongs to
// the key, so every copy knows when to retry.
func TestRetryAtIsShared(t *testing.T) {
	f := newFakePD(t, rateLimited("ratelimit-reset", "30"))
	pd, _ := f.Client(t, "bob@example.com")
	carol := pd.As("carol@example.com")
	_ = getCall.do(testCtx(t), pd)
	if _, ok := carol.RetryAt(); !ok {
		t.Error("a copy made with As does not see the rate limit its sibling hit")
	}
}

func TestRetryOn5xx(t *testing.T) {
	tests := []struct {
		c        call
		status   int
		wantReqs int
		wantErr  bool
	}{
		// GETs are safe to repeat.
		{getCall, 500, 2, false},
		{getCall, 502, 2, false},
		{getCall, 503, 2, false},
		// A note or responder request may have landed before the 5xx:
		// replaying it could post it twice.
		{noteCall, 500, 1, true},
		{noteCall, 503, 1, true},
		{respondersCall, 502, 1, true},
		// PUTs are not retried on 5xx either.
		{putCall, 500, 1, true},
		// Neither are raw writes; raw reads are.
		{rawPostCall, 502, 1, true},
		{rawGetCall, 503, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.c.name+"/"+http.StatusText(tt.status), func(t *testing.T) {
			f := newFakePD(t, failFirst(1, serverError(tt.status)))
			pd, _ := f.Client(t, "bob@example.com")
			err := tt.c.do(testCtx(t), pd)
			if (err != nil) != tt.wantErr {
				t.Fatalf("%s after one %d: err = %v, want error %v", tt.c.name, tt.status, err, tt.wantErr)
			}
			if tt.wantErr {
				var ae pagerduty.APIError
				if !errors.As(err, &ae) || ae.StatusCode != tt.status {
					t.Errorf("err = %v, want an APIError with status %d", err, tt.status)
				}
			}
			if got := len(f.Requests()); got != tt.wantReqs {
				t.Errorf("server saw %d %s requests, want exactly %d", got, tt.c.method, tt.wantReqs)
			}
		})
	}
}

func TestRetryOn5xxGivesUp(t *testing.T) {
	f := newFakePD(t, serverError(500))
	pd, sl := f.Client(t, "bob@example.com")
	err := getCall.do(testCtx(t), pd)
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 {
		t.Fatalf("GetIncident against endless 500s: %v", err)
	}
	if got, want := len(f.Requests()), pdapi.MaxRetries+1; got != want {
		t.Errorf("server saw %d requests, want %d", got, want)
	}
	for i, d := range sl.All() {
		if base := time.Duration(100<<i) * time.Millisecond; d < base || d > base+base/10 {
			t.Errorf("wait %d = %v, want %v plus up to 10%% jitter", i, d, base)
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	for _, c := range []call{getCall, putCall, noteCall, rawGetCall, rawPostCall} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/users" {
					writeJSON(w, 200, map[string]any{"users": []any{}})
					return
				}
				http.Redirect(w, r, "/users", http.StatusMovedPermanently)
			})
			pd, _ := f.Client(t, "bob@example.com")
			err := c.do(testCtx(t), pd)
			var ae pagerduty.APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusMovedPermanently {
				t.Fatalf("%s against a 301: %v, want an APIError with status 301", c.name, err)
			}
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Errorf("server saw %d requests, want 1: %+v", len(reqs), reqs)
			}
			for _, r := range reqs {
				if r.Path == "/users" {
					t.Errorf("the redirect was followed: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

func TestWritesNeedARequester(t *testing.T) {
	for _, from := range []string{"", "   "} {
		for _, c := range []call{putCall, noteCall, respondersCall, rawPostCall} {
			t.Run(c.name+"/"+strings.ReplaceAll(from, " ", "_"), func(t *testing.T) {
				f := newFakePD(t, okBody)
				pd, _ := f.Client(t, from)
				err := c.do(testCtx(t), pd)
				// handlers.Explain turns it into advice (its own test).
				if !errors.Is(err, pdapi.ErrNoRequester) {
					t.Fatalf("%s as %q: %v, want ErrNoRequester", c.name, from, err)
				}
				if n := len(f.Requests()); n != 0 {
					t.Errorf("server saw %d requests, want none", n)
				}
			})
		}
	}
}

// TestMalformedIDsNeverReachPagerDuty: go-pagerduty joins IDs into paths
// unescaped, so the client must refuse anything that is not an ID before any request.
func TestMalformedIDsNeverReachPagerDuty(t *testing.T) {
	bad := []string{"../users", "Q1?x=1", "P1#frag", "P1ABCDE/notes", "..%2Fusers", "a b", "", "q1abcdefghijkl", "PUSER01\n"}
	target := func(id string) []pagerduty.ResponderRequestTarget {
		var tg pagerduty.ResponderRequestTarget
		tg.ID, tg.Type = id, "user_reference"
		return []pagerduty.ResponderRequestTarget{tg}
	}
	for _, id := range bad {
		calls := map[string]func(ctx context.Context, pd *pdapi.Client) error{
			"GetIncident": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.GetIncident(ctx, id)
				return err
			},
			"UpdateIncident": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.UpdateIncident(ctx, id, pdapi.IncidentUpdate{Status: "acknowledged"})
				return err
			},
			"AddNote": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.AddNote(ctx, id, "hello")
				return err
			},
			"RequestResponders/incident": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.RequestResponders(ctx, id, "PBOB001", "help", target("PUSER01"))
				return err
			},
			"RequestResponders/requester": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.RequestResponders(ctx, testIncident, id, "help", target("PUSER01"))
				return err
			},
			"RequestResponders/target": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.RequestResponders(ctx, testIncident, "PBOB001", "help", target(id))
				return err
			},
			"GetUser": func(ctx context.Context, pd *pdapi.Client) error {
				_, err := pd.GetUser(ctx, id)
				return err
			},
			"Do/incident": func(ctx context.Context, pd *pdapi.Client) error {
				return pd.Do(ctx, pdapi.Call{Method: http.MethodGet, Path: []string{"incidents", id}}, nil)
			},
			"Do/sub-resource": func(ctx context.Context, pd *pdapi.Client) error {
				return pd.Do(ctx, pdapi.Call{Method: http.MethodPost, Path: []string{"incidents", id, "notes"}, Body: map[string]any{}}, nil)
			},
		}
		for name, do := range calls {
			t.Run(name+"/"+id, func(t *testing.T) {
				f := newFakePD(t, okBody)
				pd, _ := f.Client(t, "bob@example.com")
				if err := do(testCtx(t), pd); err == nil {
					t.Errorf("%s(%q) succeeded, want an error", name, id)
				}
				if reqs := f.Requests(); len(reqs) != 0 {
					t.Errorf("%s(%q) sent %d requests, want none: %+v", name, id, len(reqs), reqs)
				}
			})
		}
	}
}

// TestGetIncidentByNumberZero: number 0 (a zero handlers.Ref) must not
// become GET /incidents/0.
func TestGetIncidentByNumberZero(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "bob@example.com")
	if _, err := pd.GetIncidentByNumber(testCtx(t), 0); err == nil {
		t.Error("GetIncidentByNumber(0) succeeded")
	}
	if reqs := f.Requests(); len(reqs) != 0 {
		t.Errorf("GetIncidentByNumber(0) sent %+v, want no request", reqs)
	}
}

func TestGetIncidentByNumber(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "")
	inc, err := pd.GetIncidentByNumber(testCtx(t), 42)
	if err != nil {
		t.Fatal(err)
	}
	if inc.ID != testIncident {
		t.Errorf("incident ID = %q, want %q", inc.ID, testIncident)
	}
	want := []seen{{Method: "GET", Path: "/incidents/42", Auth: "Token token=" + canaryKey,
		Accept: "application/vnd.pagerduty+json;version=2", ContentType: "application/json", UserAgent: "go-pagerduty/" + pagerduty.Version}}
	if diff := cmp.Diff(want, f.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestAddNoteSendsFrom(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "bob@example.com")
	if _, err := pd.AddNote(testCtx(t), testIncident, "rolled back <deploy> & waited"); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/incidents/"+testIncident+"/notes" || r.From != "bob@example.com" {
		t.Errorf("request = %s %s From %q, want POST /incidents/%s/notes From bob@example.com", r.Method, r.Path, r.From, testIncident)
	}
	var body struct {
		Note struct {
			Content string `json:"content"`
		} `json:"note"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("note body %q: %v", r.Body, err)
	}
	if body.Note.Content != "rolled back <deploy> & waited" {
		t.Errorf("note content = %q, want the text as written (PagerDuty is not mrkdwn)", body.Note.Content)
	}
}

// TestUpdateIncidentSendsOnePUT: an update is PUT /incidents/{id} with the
// incident wrapped in "incident", not the bulk PUT /incidents.
func TestUpdateIncidentSendsOnePUT(t *testing.T) {
	tests := []struct {
		name string
		upd  pdapi.IncidentUpdate
		want map[string]any
	}{
		{"status", pdapi.IncidentUpdate{Status: "acknowledged"},
			map[string]any{"type": "incident_reference", "status": "acknowledged"}},
		{"resolution", pdapi.IncidentUpdate{Status: "resolved", Resolution: "rolled back"},
			map[string]any{"type": "incident_reference", "status": "resolved", "resolution": "rolled back"}},
		{"assignees", pdapi.IncidentUpdate{Assignments: []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: "PUSER01", Type: "user_reference"}}}},
			map[string]any{"type": "incident_reference", "assignments": []any{map[string]any{"assignee": map[string]any{"id": "PUSER01", "type": "user_reference"}}}}},
		{"policy", pdapi.IncidentUpdate{EscalationPolicy: &pagerduty.APIReference{ID: "PPOL001", Type: "escalation_policy_reference"}},
			map[string]any{"type": "incident_reference", "escalation_policy": map[string]any{"id": "PPOL001", "type": "escalation_policy_reference"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePD(t, okBody)
			pd, _ := f.Client(t, "bob@example.com")
			inc, err := pd.UpdateIncident(testCtx(t), testIncident, tt.upd)
			if err != nil {
				t.Fatal(err)
			}
			if inc.ID != testIncident || inc.Status != "acknowledged" {
				t.Errorf("returned incident %q %q, want %q as PagerDuty answered it", inc.ID, inc.Status, testIncident)
			}
			reqs := f.Requests()
			if len(reqs) != 1 || reqs[0].Method != "PUT" || reqs[0].Path != "/incidents/"+testIncident || reqs[0].From != "bob@example.com" {
				t.Fatalf("requests = %+v, want one PUT /incidents/%s From bob@example.com", reqs, testIncident)
			}
			r := reqs[0]
			if r.Auth != "Token token="+canaryKey || r.Accept != "application/vnd.pagerduty+json;version=2" || r.ContentType != "application/json" {
				t.Errorf("headers: Authorization %q, Accept %q, Content-Type %q", r.Auth, r.Accept, r.ContentType)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]any{"incident": tt.want}, body); diff != "" {
				t.Errorf("PUT body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateIncidentRefusesAssigneesWithPolicy(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "bob@example.com")
	_, err := pd.UpdateIncident(testCtx(t), testIncident, pdapi.IncidentUpdate{
		Assignments:      []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: "PUSER01", Type: "user_reference"}}},
		EscalationPolicy: &pagerduty.APIReference{ID: "PPOL001", Type: "escalation_policy_reference"},
	})
	if !errors.Is(err, pdapi.ErrAssigneesWithPolicy) {
		t.Fatalf("err = %v, want ErrAssigneesWithPolicy", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestUpdateIncidentMissingFromAnswer(t *testing.T) {
	for name, answer := range map[string]any{
		"another incident": map[string]any{"incident": map[string]any{"id": "Q9OTHEROTHER99"}},
		"no incident":      map[string]any{},
		"the bulk shape":   map[string]any{"incidents": []any{map[string]any{"id": testIncident}}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, answer) })
			pd, _ := f.Client(t, "bob@example.com")
			if inc, err := pd.UpdateIncident(testCtx(t), testIncident, pdapi.IncidentUpdate{Status: "resolved"}); err == nil {
				t.Errorf("UpdateIncident returned %+v for an answer without the incident, want an error", inc)
			}
		})
	}
}

func TestRequestRespondersSendsFrom(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "bob@example.com")
	if err := respondersCall.do(testCtx(t), pd); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].From != "bob@example.com" || reqs[0].Path != "/incidents/"+testIncident+"/responder_requests" {
		t.Fatalf("requests = %+v", reqs)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"requester_id": "PBOB001",
		"message":      "help",
		"responder_request_targets": []any{
			map[string]any{"responder_request_target": map[string]any{"id": "PUSER01", "type": "user_reference"}},
		},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestFindUserByEmail(t *testing.T) {
	users := []map[string]any{
		{"id": "PBOBBY1", "name": "Bobby", "email": "bobby@x.com"},
		{"id": "PBOB001", "name": "Bob", "email": "Bob@X.com"},
		{"id": "PJIMBOB", "name": "Jim Bob", "email": "jim.bob@x.com"},
	}
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		// PagerDuty's query is a substring match on name and email.
		q := strings.ToLower(r.URL.Query().Get("query"))
		var out []map[string]any
		for _, u := range users {
			if strings.Contains(strings.ToLower(u["email"].(string)), q) {
				out = append(out, u)
			}
		}
		writeJSON(w, 200, map[string]any{"users": out, "more": false})
	})
	pd, _ := f.Client(t, "")
	tests := []struct {
		email, wantID string
	}{
		{"bob@x.com", "PBOB001"},
		{"BOB@x.COM", "PBOB001"},
		{"bobby@x.com", "PBOBBY1"},
		{"ob@x.com", ""},
		{"x.com", ""},
		{"carol@x.com", ""},
	}
	for _, tt := range tests {
		u, err := pd.FindUserByEmail(testCtx(t), tt.email)
		if err != nil {
			t.Fatalf("FindUserByEmail(%q): %v", tt.email, err)
		}
		got := ""
		if u != nil {
			got = u.ID
		}
		if got != tt.wantID {
			t.Errorf("FindUserByEmail(%q) = %q, want %q", tt.email, got, tt.wantID)
		}
	}
}

func TestKeyID(t *testing.T) {
	id := func(key string) string {
		return pdapi.New("https://api.pagerduty.com", key, pdapi.Options{}).KeyID()
	}
	a, a2, b := id(canaryKey), id(canaryKey), id(canaryKey+"x")
	if a != a2 {
		t.Errorf("KeyID differs for equal keys: %q, %q", a, a2)
	}
	if a == b {
		t.Errorf("KeyID equal for different keys: %q", a)
	}
	if a == "" {
		t.Error("KeyID is empty")
	}
	for _, k := range []string{canaryKey, "CanaryKey", "DoNotLeak"} {
		if strings.Contains(a, k) || strings.Contains(b, k) {
			t.Errorf("KeyID %q / %q holds the key", a, b)
		}
	}
	pd := pdapi.New("https://api.pagerduty.com", canaryKey, pdapi.Options{})
	if pd.As("bob@example.com").KeyID() != pd.KeyID() {
		t.Error("As changed the KeyID")
	}
}

// TestAsCopies: As gives a copy that acts as the requester; the original
// still acts as nobody (and so refuses writes).
func TestAsCopies(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "")
	bob := pd.As("bob@example.com")
	if err := noteCall.do(testCtx(t), bob); err != nil {
		t.Fatal(err)
	}
	if err := noteCall.do(testCtx(t), pd); !errors.Is(err, pdapi.ErrNoRequester) {
		t.Errorf("the original after As: %v, want ErrNoRequester", err)
	}
	if reqs := f.Requests(); len(reqs) != 1 || reqs[0].From != "bob@example.com" {
		t.Errorf("requests = %+v, want one From bob@example.com", reqs)
	}
}

// TestErrorsHoldNoKey: whatever PagerDuty answers, the error holds no API
// key (handlers' tests check the advice made of it).
func TestErrorsHoldNoKey(t *testing.T) {
	for _, status := range []int{301, 400, 401, 403, 404, 429, 500} {
		f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, pdError(2006, "Authentication Failed"))
		})
		pd, _ := f.Client(t, "bob@example.com")
		for _, c := range []call{getCall, putCall, noteCall, respondersCall, rawGetCall, rawPostCall} {
			err := c.do(testCtx(t), pd)
			if err == nil {
				t.Fatalf("%s against %d succeeded", c.name, status)
			}
			if got := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(got, canaryKey) {
				t.Errorf("%s against %d leaks the key: %s", c.name, status, got)
			}
		}
	}
}

// TestPrintedClientHoldsNoKey: a client that ends up in a log line or a
// test failure shows no key.
func TestPrintedClientHoldsNoKey(t *testing.T) {
	pd := pdapi.New("https://api.pagerduty.com", canaryKey, pdapi.Options{}).As("bob@example.com")
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		for _, v := range []any{pd, *pd} {
			if got := fmt.Sprintf(format, v); strings.Contains(got, canaryKey) {
				t.Errorf("Sprintf(%q) = %s: holds the key", format, got)
			}
		}
	}
}

func TestPing(t *testing.T) {
	f := newFakePD(t, okBody)
	pd, _ := f.Client(t, "")
	if err := pd.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if reqs := f.Requests(); len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/abilities" {
		t.Errorf("requests = %+v, want one GET /abilities", reqs)
	}
}

// TestClientSideLimiter: requests wait for the key's pacer, so a burst
// beyond it queues (here until the deadline) instead of hitting PagerDuty's
// 429s, and RetryAt says when it would have gone.
func TestClientSideLimiter(t *testing.T) {
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"abilities":[]}`))
	})
	pacers := pdapi.NewPacers(0, 1) // one request, then none
	pd := pdapi.New(f.URL, canaryKey, pdapi.Options{Pacers: pacers})
	if err := pd.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := pd.Ping(ctx)
	if err == nil {
		t.Fatal("a request past the limiter went through")
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("PagerDuty got %d requests, want 1", n)
	}
	if _, ok := pd.RetryAt(); !ok {
		t.Error("RetryAt not set after the pacer held a request back")
	}
	var ae pagerduty.APIError
	if errors.As(err, &ae) {
		t.Errorf("err = %v, an APIError: PagerDuty never answered", err)
	}
}

// TestPacersAreSharedByKey: clients of one key share one pacer, whatever
// their requester; another key has its own; a client without Pacers is not
// paced and adds no entry.
func TestPacersAreSharedByKey(t *testing.T) {
	f := newFakePD(t, okBody)
	pacers := pdapi.NewPacers(0, 1)
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	first := pdapi.New(f.URL, canaryKey, pdapi.Options{Pacers: pacers})
	if err := first.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	sameKey := pdapi.New(f.URL, canaryKey, pdapi.Options{Pacers: pacers}).As("bob@example.com")
	if err := sameKey.Ping(short()); err == nil {
		t.Error("a second client of the same key was not paced with the first")
	}
	otherKey := pdapi.New(f.URL, canaryKey+"2", pdapi.Options{Pacers: pacers})
	if err := otherKey.Ping(short()); err != nil {
		t.Errorf("another key waited for the first key's pacer: %v", err)
	}
	unpaced := pdapi.New(f.URL, canaryKey+"3", pdapi.Options{})
	for range 3 {
		if err := unpaced.Ping(short()); err != nil {
			t.Errorf("a client without pacers was held back: %v", err)
		}
	}
	if n := pacers.Keys(); n != 2 {
		t.Errorf("pacers hold %d keys, want 2", n)
	}
	if n := len(f.Requests()); n != 5 {
		t.Errorf("PagerDuty got %d requests, want 5", n)
	}
}

// TestKeyIDWithSecret: a keyed fingerprint depends on the secret, so a
// stored fingerprint cannot be checked against guessed keys without it.
func TestKeyIDWithSecret(t *testing.T) {
	plain := pdapi.New("http://127.0.0.1:1", canaryKey, pdapi.Options{})
	a := pdapi.New("http://127.0.0.1:1", canaryKey, pdapi.Options{KeyIDSecret: []byte("secret one")})
	a2 := pdapi.New("http://127.0.0.1:1", canaryKey, pdapi.Options{KeyIDSecret: []byte("secret one")})
	b := pdapi.New("http://127.0.0.1:1", canaryKey, pdapi.Options{KeyIDSecret: []byte("secret two")})
	if a.KeyID() != a2.KeyID() || a.KeyID() == b.KeyID() || a.KeyID() == plain.KeyID() {
		t.Errorf("fingerprints: plain %s, one %s/%s, two %s", plain.KeyID(), a.KeyID(), a2.KeyID(), b.KeyID())
	}
}

// TestPacingStaysUnderPagerDutysLimit: a token bucket lets through at most
// burst + rate×60 s in any minute; that must not exceed PagerDuty's 960 per
// key, and a busy incident's burst must not wait.
func TestPacingStaysUnderPagerDutysLimit(t *testing.T) {
	perMinute := float64(pdapi.PerKeyBurst) + float64(pdapi.PerKeyRate)*60
	if perMinute > 960 {
		t.Errorf("up to %.0f requests a minute, PagerDuty allows 960", perMinute)
	}
	l := rate.NewLimiter(pdapi.PerKeyRate, pdapi.PerKeyBurst)
	now := time.Now()
	for i := 0; i < 100; i++ {
		if !l.AllowN(now, 1) {
			t.Fatalf("request %d of a burst of 100 would wait", i+1)
		}
	}
}
