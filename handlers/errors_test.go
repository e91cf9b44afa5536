package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
)

// apiError builds a pagerduty.APIError the way go-pagerduty does when
// PagerDuty answers with a JSON error body.
func apiError(status, code int, msg string, errs ...string) error {
	return pagerduty.APIError{
		StatusCode: status,
		APIError: pagerduty.NullAPIErrorObject{
			Valid:       true,
			ErrorObject: pagerduty.APIErrorObject{Code: code, Message: msg, Errors: errs},
		},
	}
}

// wrap wraps err the way PD's methods do.
func wrap(err error) error { return fmt.Errorf("update incident Q1ABCDEFGHIJKL: %w", err) }

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestExplain(t *testing.T) {
	const inc = "Q1ABCDEFGHIJKL"
	tests := []struct {
		name     string
		err      error
		incident string
		// want are substrings the message must hold: the advice, and
		// whatever names the thing that failed.
		want []string
	}{
		{"2016 missing From", wrap(apiError(400, 2016, "You must specify a user's email address in the \"From\" header")), inc,
			[]string{"/pd whoami", "/pd map"}},
		{"1028 malformed From", wrap(apiError(400, 1028, "Malformed \"From\" header")), inc,
			[]string{"/pd whoami", "/pd map"}},
		{"1008 requester not found", wrap(apiError(400, 1008, "Requester User Not Found")), inc,
			[]string{"/pd map"}},
		{"2001 about the requester", wrap(apiError(400, 2001, "Invalid Input Provided", "Requester user not found")), inc,
			[]string{"/pd map"}},
		{"2001 about From", wrap(apiError(400, 2001, "Invalid Input Provided", "From header is not a user")), inc,
			[]string{"/pd map"}},
		{"401", wrap(apiError(401, 2006, "Authentication Failed")), inc, []string{"/pd key"}},
		{"2006 without 401", wrap(apiError(400, 2006, "Authentication Failed")), inc, []string{"/pd key"}},
		{"401 without a body", wrap(pagerduty.APIError{StatusCode: 401}), inc, []string{"/pd key"}},
		{"403", wrap(apiError(403, 2010, "Access Denied")), inc, []string{"/pd key"}},
		{"2010 without 403", wrap(apiError(400, 2010, "Access Denied")), inc, []string{"/pd key"}},
		{"402", wrap(apiError(402, 2012, "Payment Required")), inc, []string{"escalation policy instead"}},
		{"404", wrap(apiError(404, 2100, "Not Found")), inc, []string{"incident " + inc, "/pd link"}},
		{"2100 in a 400 is a refusal, not a missing incident", wrap(apiError(400, 2100, "Not Found")), inc, []string{"PagerDuty refused: Not Found", "Nothing was changed"}},
		{"404 without an incident", wrap(apiError(404, 2100, "Not Found")), "", []string{"the incident", "/pd link"}},
		{"404 with a hostile incident", wrap(apiError(404, 2100, "Not Found")), "<!channel>", []string{"&lt;!channel&gt;", "/pd link"}},
		{"429 without a client", wrap(apiError(429, 2020, "Rate Limit Exceeded")), inc, []string{"try again in a minute"}},
		{"413", wrap(apiError(413, 0, "Request Entity Too Large")), inc, []string{"Shorten it and try again"}},
		{"500", wrap(apiError(500, 2000, "Internal Error")), inc, []string{"HTTP 500", "/pd get"}},
		{"503 without a body", wrap(pagerduty.APIError{StatusCode: 503}), inc, []string{"HTTP 503", "/pd get"}},
		{"400 with errors", wrap(apiError(400, 2001, "Invalid Input Provided",
			"Status must be a list of <triggered>, acknowledged, or resolved.", "Resolution & <@U1> too long")), inc,
			[]string{"Status must be a list of &lt;triggered&gt;, acknowledged, or resolved.; Resolution &amp; &lt;@U1&gt; too long"}},
		{"400 with a message only", wrap(apiError(400, 2002, "Arguments Caused Error <!here>")), inc,
			[]string{"Arguments Caused Error &lt;!here&gt;"}},
		{"wrapped deadline", fmt.Errorf("get incident %s: %w", inc, context.DeadlineExceeded), inc, []string{"/pd get"}},
		{"wrapped net timeout", fmt.Errorf("get incident %s: %w", inc, timeoutErr{}), inc, []string{"/pd get"}},
		{"no requester", wrap(pdapi.ErrNoRequester), inc, []string{"/pd whoami"}},
		{"assignees with a policy", wrap(pdapi.ErrAssigneesWithPolicy), inc, []string{"cannot take assignees and an escalation policy in one update: do one, then the other"}},
		{"user error", fmt.Errorf("ctx: %w", handlers.Userf("Write the note after the command: `/pd note [INC] TEXT`.")), inc,
			[]string{"Write the note after the command: `/pd note [INC] TEXT`."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, known := handlers.Explain(tt.err, nil, tt.incident)
			if !known {
				t.Fatalf("Explain(%v) known = false, want true (msg %q)", tt.err, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Explain(%v) = %q, want it to contain %q", tt.err, msg, w)
				}
			}
			checkUserSafe(t, msg)
			if strings.Contains(msg, canaryKey) {
				t.Errorf("message leaks the key: %q", msg)
			}
		})
	}
}

// TestExplainUserErrorPassthrough: a UserError is shown exactly as written.
func TestExplainUserErrorPassthrough(t *testing.T) {
	ue := &handlers.UserError{Msg: "exactly this"}
	msg, known := handlers.Explain(fmt.Errorf("a: %w", fmt.Errorf("b: %w", ue)), nil, "")
	if !known || msg != "exactly this" {
		t.Errorf("Explain(wrapped UserError) = %q, %v; want %q, true", msg, known, "exactly this")
	}
}

func TestExplainUnknown(t *testing.T) {
	for _, err := range []error{
		errors.New("boom"),
		fmt.Errorf("save link: %w", errors.New("disk full")),
		wrap(apiError(409, 0, "Conflict")),
		wrap(apiError(400, 2001, "")),             // a 400 with nothing to show
		wrap(pagerduty.APIError{StatusCode: 301}), // a redirect PD never sends
	} {
		if msg, known := handlers.Explain(err, nil, "Q1ABCDEFGHIJKL"); known {
			t.Errorf("Explain(%v) = %q, true; want known = false", err, msg)
		}
	}
}

// TestExplainRateLimitNamesTheTime uses a real client against a server that
// answers 429 with ratelimit-reset: 30, so the transport, not the test,
// records when to retry.
func TestExplainRateLimitNamesTheTime(t *testing.T) {
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ratelimit-reset", "30")
		writeJSON(w, http.StatusTooManyRequests, pdError(2020, "Rate Limit Exceeded"))
	})
	pd, _ := f.Client(t, "bob@example.com")
	_, err := pd.GetIncident(testCtx(t), "Q1ABCDEFGHIJKL")
	if err == nil {
		t.Fatal("GetIncident succeeded against a 429")
	}
	at, ok := pd.RetryAt()
	if !ok {
		t.Fatal("RetryAt not set after a 429 with ratelimit-reset: 30")
	}
	msg, known := handlers.Explain(err, pd, "Q1ABCDEFGHIJKL")
	if !known {
		t.Fatalf("Explain(%v) known = false", err)
	}
	want := "try again at " + at.UTC().Format("15:04:05") + " UTC"
	if !strings.Contains(msg, want) {
		t.Errorf("Explain = %q, want it to contain %q", msg, want)
	}
	checkUserSafe(t, msg)
}

// TestExplainNoRequester: a real client refuses a write as nobody, and the
// advice names /pd whoami.
func TestExplainNoRequester(t *testing.T) {
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{}) })
	for _, from := range []string{"", "   "} {
		pd, _ := f.Client(t, from)
		writes := map[string]func() error{
			"UpdateIncident": func() error {
				_, err := pd.UpdateIncident(testCtx(t), "Q1ABCDEFGHIJKL", pdapi.IncidentUpdate{Status: "acknowledged"})
				return err
			},
			"AddNote": func() error { _, err := pd.AddNote(testCtx(t), "Q1ABCDEFGHIJKL", "hello"); return err },
			"RequestResponders": func() error {
				_, err := pd.RequestResponders(testCtx(t), "Q1ABCDEFGHIJKL", "PBOB001", "help", nil)
				return err
			},
		}
		for name, do := range writes {
			msg, known := handlers.Explain(do(), pd, "Q1ABCDEFGHIJKL")
			if !known || !strings.Contains(msg, "/pd whoami") {
				t.Errorf("%s as %q: Explain = %q, %v; want advice naming /pd whoami", name, from, msg, known)
			}
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

// TestExplainPacing: a request the key's pacer held back past its deadline
// is explained as "nothing was sent", with the time to try again.
func TestExplainPacing(t *testing.T) {
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"abilities": []string{}})
	})
	pacers := pdapi.NewPacers(0, 1) // one request, then none
	pd, _ := f.Client(t, "", func(o *pdapi.Options) { o.Pacers = pacers })
	if err := pd.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := pd.Ping(ctx)
	if err == nil {
		t.Fatal("a request past the pacer went through")
	}
	if msg, known := handlers.Explain(err, pd, ""); !known || !strings.Contains(msg, "Nothing was sent") {
		t.Errorf("Explain = %q, %v", msg, known)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("PagerDuty got %d requests, want 1", n)
	}
}

// TestExplainHoldsNoKey: whatever PagerDuty answers, the advice made of a
// real client's error holds no API key.
func TestExplainHoldsNoKey(t *testing.T) {
	for _, status := range []int{401, 403, 404, 429, 500} {
		f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, pdError(2006, "Authentication Failed"))
		})
		pd, _ := f.Client(t, "bob@example.com")
		calls := map[string]func() error{
			"GetIncident": func() error { _, err := pd.GetIncident(testCtx(t), "Q1ABCDEFGHIJKL"); return err },
			"UpdateIncident": func() error {
				_, err := pd.UpdateIncident(testCtx(t), "Q1ABCDEFGHIJKL", pdapi.IncidentUpdate{Status: "acknowledged"})
				return err
			},
			"AddNote": func() error { _, err := pd.AddNote(testCtx(t), "Q1ABCDEFGHIJKL", "hello"); return err },
		}
		for name, do := range calls {
			err := do()
			if err == nil {
				t.Fatalf("%s against %d succeeded", name, status)
			}
			msg, _ := handlers.Explain(err, pd, "Q1ABCDEFGHIJKL")
			if strings.Contains(err.Error(), canaryKey) || strings.Contains(msg, canaryKey) {
				t.Errorf("%s against %d leaks the key: %v / %q", name, status, err, msg)
			}
		}
	}
}

// TestExplainRealTimeout: a PagerDuty call that runs out of time must be
// explained ("check with /pd get before retrying"), not shown as "Something
// went wrong".
func TestExplainRealTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFakePD(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	pd, _ := f.Client(t, "bob@example.com")
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := pd.AddNote(ctx, "Q1ABCDEFGHIJKL", "hello")
	if err == nil {
		t.Fatal("AddNote succeeded against a server that never answers")
	}
	msg, known := handlers.Explain(err, pd, "Q1ABCDEFGHIJKL")
	if !known || !strings.Contains(msg, "/pd get") {
		t.Errorf("Explain(%v) = %q, %v; want the timeout advice", err, msg, known)
	}
}

// TestExplainNotFoundWording: without an incident the 404 advice must still
// read as a sentence.
func TestExplainNotFoundWording(t *testing.T) {
	msg, _ := handlers.Explain(apiError(404, 2100, "Not Found"), nil, "")
	if strings.Contains(msg, "no the incident") {
		t.Errorf("Explain = %q", msg)
	}
}

// TestExplain2001NotAboutTheRequester: a 2001 whose details merely contain
// the word "from" is not about the requester's email.
func TestExplain2001NotAboutTheRequester(t *testing.T) {
	detail := "Incident cannot transition from resolved to acknowledged."
	msg, known := handlers.Explain(apiError(400, 2001, "Invalid Input Provided", detail), nil, "Q1ABCDEFGHIJKL")
	if !known || !strings.Contains(msg, detail) {
		t.Errorf("Explain = %q, %v; want PagerDuty's own detail, not advice about the requester's email", msg, known)
	}
}

// TestExplainSlackErrors: Slack's refusals on the way to PagerDuty become
// advice, not "Something went wrong".
func TestExplainSlackErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("users.info: %w", &slack.RateLimitedError{RetryAfter: 30 * time.Second}), "Try again in 30s"},
		{fmt.Errorf("users.info: %w", slack.SlackErrorResponse{Err: "missing_scope", Needed: "users:read.email"}), "users:read.email"},
		{fmt.Errorf("post: %w", slack.SlackErrorResponse{Err: "not_in_channel"}), "/invite @pdbot"},
		{fmt.Errorf("users.info: %w", slack.SlackErrorResponse{Err: "token_revoked"}), "SLACK_BOT_TOKEN"},
		{fmt.Errorf("users.info: %w", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}), "Slack had a problem"},
	}
	for _, tt := range tests {
		msg, known := handlers.Explain(tt.err, nil, "")
		if !known || !strings.Contains(msg, tt.want) {
			t.Errorf("Explain(%v) = %q, %v; want %q", tt.err, msg, known, tt.want)
		}
		checkUserSafe(t, msg)
	}
	if _, known := handlers.Explain(slack.SlackErrorResponse{Err: "something_new"}, nil, ""); known {
		t.Error("an unknown Slack error was explained")
	}
}
