package handlers_test

import (
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
)

// TestExplainStatusBeforeCode: the advice is chosen by the HTTP status
// first and PagerDuty's code second, so a code that happens to ride on
// another status (2100 on a 429, a 400 or a 5xx) does not turn the answer
// into "no such incident", nor a 2016 on a 401 into advice about the email.
func TestExplainStatusBeforeCode(t *testing.T) {
	const inc = "Q1ABCDEFGHIJKL"
	tests := []struct {
		name      string
		err       error
		want, not []string
	}{
		{name: "429 carrying 2100", err: wrap(apiError(429, 2100, "Not Found")),
			want: []string{"rate-limiting", "try again"}, not: []string{"has no"}},
		{name: "400 carrying 2100", err: wrap(apiError(400, 2100, "Not Found")),
			want: []string{"PagerDuty refused", "Nothing was changed"}, not: []string{"has no", "/pd link"}},
		{name: "400 carrying 2100 with details", err: wrap(apiError(400, 2100, "Not Found", "Responder request target not found")),
			want: []string{"Responder request target not found"}, not: []string{"has no"}},
		{name: "500 carrying 2100", err: wrap(apiError(500, 2100, "Not Found")),
			want: []string{"HTTP 500", "/pd get"}, not: []string{"has no"}},
		{name: "401 carrying 2016", err: wrap(apiError(401, 2016, "From header")),
			want: []string{"rejected this channel's API key"}, not: []string{"/pd whoami"}},
		{name: "403 carrying 2100", err: wrap(apiError(403, 2100, "Not Found")),
			want: []string{"not allowed to do that"}, not: []string{"has no"}},
		{name: "404 whatever its code", err: wrap(apiError(404, 2001, "Invalid Input Provided")),
			want: []string{"has no incident " + inc}},
		{name: "404 with 2100", err: wrap(apiError(404, 2100, "Not Found")),
			want: []string{"has no incident " + inc, "/pd link"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, known := handlers.Explain(tt.err, nil, inc)
			if !known {
				t.Fatalf("Explain(%v) known = false, want true", tt.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Explain(%v) = %q, want it to contain %q", tt.err, msg, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(msg, n) {
					t.Errorf("Explain(%v) = %q, which should not contain %q", tt.err, msg, n)
				}
			}
			checkUserSafe(t, msg)
		})
	}
}

// TestExplainUnconfirmedWrite: a write PagerDuty accepted without echoing
// the incident is reported as sent and probably applied, with a way to
// check, and never as something to send again.
func TestExplainUnconfirmedWrite(t *testing.T) {
	msg, known := handlers.Explain(wrap(pdapi.ErrUnconfirmed), nil, "Q1ABCDEFGHIJKL")
	if !known {
		t.Fatal("known = false for an unconfirmed write")
	}
	for _, w := range []string{"probably applied", "/pd get"} {
		if !strings.Contains(msg, w) {
			t.Errorf("Explain = %q, want %q", msg, w)
		}
	}
	for _, n := range []string{"Something went wrong", "try again", "Try again"} {
		if strings.Contains(msg, n) {
			t.Errorf("Explain = %q invites a blind retry (%q)", msg, n)
		}
	}
	// A plain APIError is still not an unconfirmed write.
	if msg, _ := handlers.Explain(pagerduty.APIError{StatusCode: 500}, nil, ""); strings.Contains(msg, "probably applied") {
		t.Errorf("a 500 reads as an unconfirmed write: %q", msg)
	}
}
