// Command socketfloor is the floor for BenchmarkIdleFootprint: a bare
// slack-go Socket Mode client that connects, acks every envelope and does
// nothing else. It reads SLACK_APP_TOKEN, SLACK_BOT_TOKEN and SLACK_API_URL,
// and answers GET /readyz on PDBOT_HTTP_ADDR once connected, like pdbot serve.
package main

import (
	"context"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func main() {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"),
		slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")),
		slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	sm := socketmode.New(api)
	var connected atomic.Bool
	go func() {
		for evt := range sm.Events {
			if evt.Type == socketmode.EventTypeConnected {
				connected.Store(true)
			}
			if evt.Request != nil && evt.Request.EnvelopeID != "" {
				_ = sm.Ack(*evt.Request)
			}
		}
	}()
	http.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !connected.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	go func() { _ = http.ListenAndServe(os.Getenv("PDBOT_HTTP_ADDR"), nil) }()
	_ = sm.RunContext(context.Background())
}
