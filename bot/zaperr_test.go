package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

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
