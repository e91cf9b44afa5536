package pdfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdfake"
)

func TestRateLimit(t *testing.T) {
	s := newSeeded(t)
	s.SetRateLimit(3, time.Minute, true)
	for i, wantRemaining := range []string{"2", "1", "0"} {
		resp, body := raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Ratelimit-Remaining"); got != wantRemaining {
			t.Errorf("request %d: ratelimit-remaining = %q, want %q", i, got, wantRemaining)
		}
		if resp.Header.Get("Ratelimit-Limit") != "3" || resp.Header.Get("Ratelimit-Reset") == "" {
			t.Errorf("request %d: headers %v", i, resp.Header)
		}
	}
	_, err := client(s, acctKey).ListAbilitiesWithContext(ctx(t))
	if e := wantAPIError(t, err, http.StatusTooManyRequests, 2020); !e.RateLimited() {
		t.Error("RateLimited() = false")
	}
	resp, body := raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
	eb := wantErrorResponse(t, resp, body, http.StatusTooManyRequests, 2020)
	if eb.Error.Message != "Rate Limit Exceeded" || resp.Header.Get("Ratelimit-Reset") == "" {
		t.Errorf("429 = %s with headers %v", body, resp.Header)
	}
	// Limits are per key: another key is unaffected.
	if resp, _ := raw(t, s, bobKey, http.MethodGet, "/abilities", nil, ""); resp.StatusCode != 200 {
		t.Errorf("other key: status %d", resp.StatusCode)
	}

	s.SetRateLimit(1, time.Minute, false)
	resp, _ = raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
	resp2, _ := raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
	if resp.StatusCode != 200 || resp2.StatusCode != 429 {
		t.Errorf("limit 1 without headers: statuses %d, %d; want 200, 429", resp.StatusCode, resp2.StatusCode)
	}
	for _, r := range []*http.Response{resp, resp2} {
		if r.Header.Get("Ratelimit-Limit") != "" || r.Header.Get("Ratelimit-Reset") != "" {
			t.Errorf("headers sent with sendHeaders=false: %v", r.Header)
		}
	}

	s.SetRateLimit(0, time.Minute, true)
	resp, _ = raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
	if resp.StatusCode != 200 || resp.Header.Get("Ratelimit-Limit") == "" {
		t.Errorf("unlimited: %d, headers %v", resp.StatusCode, resp.Header)
	}
}

// TestRateLimitSlidingWindow: a key gets limit requests in any window, on
// the fake's clock; a 429 is not counted; and the headers say exactly that:
// what remains now, and the seconds (rounded up) until the oldest counted
// request leaves the window.
func TestRateLimitSlidingWindow(t *testing.T) {
	clock := newFakeClock()
	s := newSeededWith(t, pdfake.Options{Now: clock.Now})
	s.SetRateLimit(3, time.Minute, true)
	steps := []struct {
		at                      time.Duration // since the start
		status                  int
		limit, remaining, reset string
	}{
		{0, 200, "3", "2", "60"},
		{10 * time.Second, 200, "3", "1", "50"},
		{10 * time.Second, 200, "3", "0", "50"},
		{20 * time.Second, 429, "3", "0", "40"},
		{59*time.Second + 500*time.Millisecond, 429, "3", "0", "1"},
		// The request at 0 has left the window: one request more, not a
		// fresh window of three.
		{60 * time.Second, 200, "3", "0", "10"},
		{65 * time.Second, 429, "3", "0", "5"},
		// Both requests at 10 s leave together; the 429s never counted.
		{70 * time.Second, 200, "3", "1", "50"},
		{71 * time.Second, 200, "3", "0", "49"},
	}
	var elapsed time.Duration
	for i, st := range steps {
		clock.Add(st.at - elapsed)
		elapsed = st.at
		resp, body := raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
		got := []string{resp.Header.Get("Ratelimit-Limit"), resp.Header.Get("Ratelimit-Remaining"), resp.Header.Get("Ratelimit-Reset")}
		if resp.StatusCode != st.status || got[0] != st.limit || got[1] != st.remaining || got[2] != st.reset {
			t.Errorf("step %d at %v: %d limit/remaining/reset %v, want %d %s/%s/%s (%s)",
				i, st.at, resp.StatusCode, got, st.status, st.limit, st.remaining, st.reset, body)
		}
	}
}

// TestRateLimitNeverPastTheLimit: whatever the timing, no window of the
// limit's length ever holds more admitted requests than the limit.
func TestRateLimitNeverPastTheLimit(t *testing.T) {
	clock := newFakeClock()
	s := newSeededWith(t, pdfake.Options{Now: clock.Now, Logf: func(string, ...any) {}})
	const limit, window = 5, time.Minute
	s.SetRateLimit(limit, window, true)
	var admitted []time.Duration
	var elapsed time.Duration
	// Uneven steps: bursts, pauses, and steps that land exactly on a
	// window's edge.
	for i := range 200 {
		step := time.Duration(i%7) * 4 * time.Second
		if i%13 == 0 {
			step = window
		}
		clock.Add(step)
		elapsed += step
		resp, _ := raw(t, s, acctKey, http.MethodGet, "/abilities", nil, "")
		if resp.StatusCode == 200 {
			admitted = append(admitted, elapsed)
		}
	}
	for i := range admitted {
		n := 0
		for _, a := range admitted[i:] {
			if a-admitted[i] < window {
				n++
			}
		}
		if n > limit {
			t.Fatalf("%d requests admitted in the window from %v, limit %d", n, admitted[i], limit)
		}
	}
	if len(admitted) < 50 {
		t.Errorf("only %d of 200 admitted; the window is stricter than %d per %v", len(admitted), limit, window)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       pdfake.Fault
		status      int
		valid       bool // go-pagerduty could decode an error object
		code        int
		header      string // a header that must be present, "" for none
		noRateLimit bool   // ratelimit-* headers must be absent
		check       func(t *testing.T, e pagerduty.APIError)
	}{
		{name: "429", fault: pdfake.Fault{Kind: pdfake.Fault429, Reset: 2 * time.Second}, status: 429, valid: true, code: 2020, header: "Ratelimit-Reset",
			check: func(t *testing.T, e pagerduty.APIError) {
				if !e.RateLimited() || !e.Temporary() {
					t.Error("RateLimited/Temporary = false")
				}
			}},
		{name: "429 without headers", fault: pdfake.Fault{Kind: pdfake.Fault429NoHeaders}, status: 429, valid: true, code: 2020, noRateLimit: true,
			check: func(t *testing.T, e pagerduty.APIError) {
				if !e.RateLimited() {
					t.Error("RateLimited = false")
				}
			}},
		{name: "429 with Retry-After", fault: pdfake.Fault{Kind: pdfake.Fault429RetryAfter}, status: 429, valid: true, code: 2020, header: "Retry-After", noRateLimit: true},
		{name: "500 JSON", fault: pdfake.Fault{Kind: pdfake.Fault5xxJSON}, status: 500, valid: true, code: 2000, noRateLimit: true},
		{name: "503 JSON", fault: pdfake.Fault{Kind: pdfake.Fault5xxJSON, Status: 503}, status: 503, valid: true, code: 2000},
		{name: "502 HTML", fault: pdfake.Fault{Kind: pdfake.Fault5xxText}, status: 502, noRateLimit: true,
			check: func(t *testing.T, e pagerduty.APIError) {
				if !strings.Contains(e.Error(), "Content-Type: application/json") {
					t.Errorf("error = %v, want go-pagerduty's content-type complaint", e)
				}
			}},
		{name: "500 empty", fault: pdfake.Fault{Kind: pdfake.Fault5xxEmpty}, status: 500, noRateLimit: true},
		{name: "errors as string", fault: pdfake.Fault{Kind: pdfake.FaultErrorsString}, status: 400, valid: true, code: 2001,
			check: func(t *testing.T, e pagerduty.APIError) {
				if len(e.APIError.ErrorObject.Errors) != 1 {
					t.Errorf("errors = %q, want the string as one error", e.APIError.ErrorObject.Errors)
				}
			}},
		{name: "error as string", fault: pdfake.Fault{Kind: pdfake.FaultErrorString}, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			tt.fault.Method, tt.fault.PathPrefix = http.MethodGet, "/incidents/PINC001"
			s.FailNext(1, tt.fault)
			_, err := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC001")
			e := wantAPIError(t, err, tt.status, tt.code)
			if e.APIError.Valid != tt.valid {
				t.Errorf("APIError.Valid = %v, want %v (%v)", e.APIError.Valid, tt.valid, err)
			}
			if tt.check != nil {
				tt.check(t, e)
			}

			s.FailNext(1, tt.fault)
			resp, _ := raw(t, s, acctKey, http.MethodGet, "/incidents/PINC001", nil, "")
			if tt.header != "" && resp.Header.Get(tt.header) == "" {
				t.Errorf("no %s header: %v", tt.header, resp.Header)
			}
			if tt.noRateLimit && resp.Header.Get("Ratelimit-Limit") != "" {
				t.Errorf("ratelimit headers on this fault: %v", resp.Header)
			}
			// The fault is used up.
			if _, err := client(s, acctKey).GetIncidentWithContext(ctx(t), "PINC001"); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func TestFailNextMatching(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	s.FailNext(2, pdfake.Fault{Method: http.MethodPost, PathPrefix: "/incidents/PINC001/notes", Kind: pdfake.Fault5xxJSON})
	note := pagerduty.IncidentNote{Content: "x", User: pagerduty.APIObject{Summary: aliceMail}}
	// Another method and another path are not affected.
	if _, err := c.ListIncidentNotesWithContext(ctx(t), "PINC001"); err != nil {
		t.Errorf("GET notes: %v", err)
	}
	if _, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC002", note); err != nil {
		t.Errorf("note on PINC002: %v", err)
	}
	for i := range 2 {
		if _, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", note); err == nil {
			t.Errorf("attempt %d succeeded, want a 500", i)
		}
	}
	if in, _ := s.Incident("PINC001"); len(in.Notes) != 0 {
		t.Errorf("a failed note landed: %+v", in.Notes)
	}
	if _, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", note); err != nil {
		t.Errorf("third attempt: %v", err)
	}

	// Landed: the write takes effect although the client sees a 500.
	s.FailNext(1, pdfake.Fault{Kind: pdfake.Fault5xxEmpty, Landed: true})
	_, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", note)
	wantAPIError(t, err, http.StatusInternalServerError, 0)
	if in, _ := s.Incident("PINC001"); len(in.Notes) != 2 {
		t.Errorf("landed fault: %d notes, want 2", len(in.Notes))
	}
}

func TestLatency(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	// A minute of latency: this call returns only if the deadline cuts it
	// short (no clock is read, so a loaded machine cannot fail it).
	s.SetLatency(time.Minute)
	cx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.GetIncidentWithContext(cx, "PINC001")
	// go-pagerduty wraps transport errors with %v, so errors.Is cannot see
	// the deadline; the context can.
	if err == nil || !errors.Is(cx.Err(), context.DeadlineExceeded) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("error = %v (context: %v), want the deadline to cut the call short", err, cx.Err())
	}
	s.SetLatency(0)
	if _, err := c.GetIncidentWithContext(ctx(t), "PINC001"); err != nil {
		t.Errorf("without latency: %v", err)
	}
}

// TestCloseCutsLatencyShort checks Close does not wait out injected latency.
func TestCloseCutsLatencyShort(t *testing.T) {
	s, err := pdfake.New(pdfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.AddKey(acctKey, pdfake.AccountKey)
	s.SetLatency(time.Minute)
	var wg sync.WaitGroup
	wg.Go(func() {
		cx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, _ = client(s, acctKey).ListAbilitiesWithContext(cx)
	})
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	s.Close()
	wg.Wait()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestRecorderAndLogs(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	s, err := pdfake.New(pdfake.Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, strings.TrimSpace(strings.ReplaceAll(format, "%", "")))
		for _, a := range args {
			if s, ok := a.(string); ok {
				logs = append(logs, s)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AddKey(acctKey, pdfake.AccountKey)
	s.AddUser(pdfake.User{ID: "PU1", Name: "Alice", Email: aliceMail})
	s.AddIncident(pdfake.Incident{ID: "PINC001", Title: "t"})
	c := client(s, acctKey)
	if _, err := c.GetIncidentWithContext(ctx(t), "PINC001"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", pagerduty.IncidentNote{Content: "hello", User: pagerduty.APIObject{Summary: aliceMail}}); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(reqs))
	}
	w := s.Writes()
	if len(w) != 1 || w[0].Method != http.MethodPost || w[0].Path != "/incidents/PINC001/notes" || w[0].Status != 200 ||
		w[0].Key != acctKey || w[0].Header.Get("Authorization") != "Token token="+acctKey || w[0].Header.Get("From") != aliceMail ||
		!strings.Contains(string(w[0].Body), `"hello"`) || w[0].RequestID == "" {
		t.Errorf("recorded write = %+v", w)
	}
	// Copies: changing them does not change the recorder.
	w[0].Header.Set("Authorization", "x")
	if s.Writes()[0].Header.Get("Authorization") == "x" {
		t.Error("Writes returned the recorder's own header map")
	}
	mu.Lock()
	for _, l := range logs {
		if strings.Contains(l, acctKey) {
			t.Errorf("a log line holds the API key: %q", l)
		}
	}
	mu.Unlock()
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

// TestConnectionsCountsTCPConnections: a client that keeps its connection
// alive is counted once however many requests it sends; one that closes
// every connection is counted per request.
func TestConnectionsCountsTCPConnections(t *testing.T) {
	s := newSeeded(t)
	for range 5 {
		if _, err := client(s, acctKey).ListAbilitiesWithContext(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	kept := s.Connections()
	if kept != 1 {
		t.Errorf("5 requests over a kept-alive connection: %d connections, want 1", kept)
	}
	c := client(s, acctKey)
	c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		if _, err := c.ListAbilitiesWithContext(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Connections() - kept; got != 3 {
		t.Errorf("3 requests without keep-alive: %d connections, want 3", got)
	}
}
