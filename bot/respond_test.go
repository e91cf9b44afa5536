package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestRespondPostsWhatSlackGoWould posts replies to a response_url the
// way slack-go's PostMessage with MsgOptionResponseURL does (the same JSON
// and headers) and maps each kind of answer to the error slack-go gives,
// with Slack's own error code where it sent one.
func TestRespondPostsWhatSlackGoWould(t *testing.T) {
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	var next answer
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s with Content-Type %q, want a JSON POST", r.Method, r.Header.Get("Content-Type"))
		}
		if auth := r.Header.Get("Authorization"); auth != "" {
			t.Errorf("response_url post carries Authorization %q: it needs none", auth)
		}
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Errorf("body %q: %v", raw, err)
		}
		got = append(got, m)
		for k, v := range next.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(next.status)
		_, _ = io.WriteString(w, next.body)
	}))
	defer srv.Close()
	b := &Bot{slackHTTP: srv.Client()}
	ctx := context.Background()

	next = answer{status: http.StatusOK, body: "ok"}
	blocks := []slack.Block{slack.NewDividerBlock()}
	if err := b.respond(ctx, srv.URL+"/commands/T1/1/abc", responseMessage{Text: "hello", Blocks: blocks, ResponseType: slack.ResponseTypeInChannel, ReplaceOriginal: true}); err != nil {
		t.Fatalf("answered ok: %v", err)
	}
	// What slack-go posts for the same reply, the fields a response_url reads.
	api := slack.New("xoxb-unused", slack.OptionHTTPClient(srv.Client()))
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hello", false), slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionResponseURL(srv.URL+"/commands/T1/1/abc", slack.ResponseTypeInChannel), slack.MsgOptionReplaceOriginal(srv.URL+"/commands/T1/1/abc")); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for _, k := range []string{"text", "blocks", "response_type", "replace_original", "delete_original"} {
		want[k] = got[1][k]
	}
	if g, w := mustMarshal(t, got[0]), mustMarshal(t, want); g != w {
		t.Errorf("posted %s, slack-go posts %s", g, w)
	}
	got = got[:1]
	if err := b.respond(ctx, srv.URL+"/actions/T1/1/abc", responseMessage{DeleteOriginal: true}); err != nil {
		t.Fatalf("delete answered ok: %v", err)
	}
	if g, w := mustMarshal(t, got[1]), `{"delete_original":true,"replace_original":false}`; g != w {
		t.Errorf("delete posted %s, want %s", g, w)
	}

	for _, c := range []struct {
		name  string
		a     answer
		check func(error) bool
	}{
		{"expired", answer{http.StatusNotFound, map[string]string{"Content-Type": "application/json"}, `{"ok":false,"error":"expired_url"}`},
			func(err error) bool {
				var se slack.SlackErrorResponse
				return errors.As(err, &se) && se.Err == "expired_url"
			}},
		{"refused with 200", answer{http.StatusOK, map[string]string{"Content-Type": "application/json"}, `{"ok":false,"error":"invalid_blocks"}`},
			func(err error) bool {
				var se slack.SlackErrorResponse
				return errors.As(err, &se) && se.Err == "invalid_blocks"
			}},
		{"rate limited", answer{http.StatusTooManyRequests, map[string]string{"Retry-After": "3", "Content-Type": "application/json"}, `{"ok":false,"error":"rate_limited"}`},
			func(err error) bool {
				var rl *slack.RateLimitedError
				return errors.As(err, &rl) && rl.RetryAfter == 3*time.Second
			}},
		{"server error", answer{http.StatusBadGateway, map[string]string{"Content-Type": "text/html"}, "<html>bad gateway</html>"},
			func(err error) bool {
				var sc slack.StatusCodeError
				return errors.As(err, &sc) && sc.Code == http.StatusBadGateway
			}},
	} {
		next = c.a
		if err := b.respond(ctx, srv.URL+"/commands/T1/1/abc", responseMessage{Text: "x"}); !c.check(err) {
			t.Errorf("%s: error %v (%T)", c.name, err, err)
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
