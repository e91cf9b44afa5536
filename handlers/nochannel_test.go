package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
)

// TestAdviceWithoutAChannel: every piece of advice Explain knows, given for
// a request from no channel (a global shortcut's form), names the
// workspace's default key instead of "this channel"; for a channel it is
// Explain's own.
func TestAdviceWithoutAChannel(t *testing.T) {
	const inc = "Q1ABCDEFGHIJKL"
	errs := []error{
		apiError(400, 2016, "From"), apiError(400, 1008, "Requester User Not Found"),
		apiError(401, 2006, "Authentication Failed"), pagerduty.APIError{StatusCode: 401},
		apiError(403, 2010, "Access Denied"), apiError(402, 2012, "Payment Required"),
		apiError(404, 2100, "Not Found"), apiError(429, 2020, "Rate Limit Exceeded"),
		apiError(413, 0, "Too Large"), apiError(500, 2000, "Internal Error"),
		apiError(400, 2001, "Invalid Input Provided", "bad status"), apiError(400, 2002, "Arguments Caused Error"),
		fmt.Errorf("get incident: %w", context.DeadlineExceeded), timeoutErr{},
		&slack.RateLimitedError{}, slack.SlackErrorResponse{Err: "missing_scope"},
		slack.SlackErrorResponse{Err: "invalid_auth"}, slack.StatusCodeError{Code: 502},
	}
	for _, err := range errs {
		want, wantKnown := handlers.Explain(err, nil, inc)
		if got, known := handlers.ExplainIn("C0INC4201", err, nil, inc); got != want || known != wantKnown {
			t.Errorf("%v in a channel: %q, want Explain's %q", err, got, want)
		}
		got, known := handlers.ExplainIn("", err, nil, inc)
		if known != wantKnown {
			t.Errorf("%v: known %v, want %v", err, known, wantKnown)
		}
		for _, bad := range []string{"this channel", "This channel", "`/pd link`", "`/pd key`"} {
			if strings.Contains(got, bad) {
				t.Errorf("%v without a channel: %q says %q", err, got, bad)
			}
		}
	}
}
