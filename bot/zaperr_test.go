package bot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestZapErrKeepsOnlySchemeAndHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`error calling the API endpoint: Get "https://api.pagerduty.com/users?limit=100&query=bob%40example.com": context deadline exceeded`,
			`error calling the API endpoint: Get "https://api.pagerduty.com/…": context deadline exceeded`},
		{`failed to post webhook: Post "https://hooks.slack.com/actions/T0DEMO0001/1234/CANARYresponseTOKEN": EOF`,
			`failed to post webhook: Post "https://hooks.slack.com/…": EOF`},
		{`Post "https://u:CANARYpass@hooks.slack.com/x": EOF`, `Post "https://hooks.slack.com/…": EOF`},
		{`no url here`, `no url here`},
	} {
		if got := zapErr(errors.New(tc.in)).String; got != tc.want {
			t.Errorf("zapErr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFailedResponseURLLogsNoToken: the error slack-go returns when a
// response_url cannot be reached names the URL, whose path is the token;
// what pdbot logs of it does not.
func TestFailedResponseURLLogsNoToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more: the post fails in transit
	const token = "CANARYresponseURLtoken0001"
	err := slack.PostWebhookContext(context.Background(), srv.URL+"/actions/T0DEMO0001/1234/"+token, &slack.WebhookMessage{Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), token) {
		t.Skipf("slack-go's error no longer names the URL (%v); nothing to scrub", err)
	}
	if got := zapErr(err).String; strings.Contains(got, token) || strings.Contains(got, "/actions/") {
		t.Errorf("logged %q, which holds the response_url's path", got)
	}
}
