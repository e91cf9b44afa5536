// Command socketfloor is the floor for BenchmarkIdleFootprint and
// BenchmarkAckBurstProcess: a bare slack-go Socket Mode client that
// connects, acks every envelope and does nothing else. It reads
// SLACK_APP_TOKEN, SLACK_BOT_TOKEN and SLACK_API_URL, and answers GET
// /readyz on PDBOT_HTTP_ADDR once connected, like pdbot serve. With
// SOCKETFLOOR_RCVBUF (bytes) its socket asks for that receive buffer, as
// pdbot's does.
package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func main() {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"),
		slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")),
		slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	var opts []socketmode.Option
	if n, err := strconv.Atoi(os.Getenv("SOCKETFLOOR_RCVBUF")); err == nil && n > 0 {
		// pdbot's socketDialer (bot/bot.go), written again: the floor links
		// slack-go alone, never pdbot's packages.
		var d net.Dialer
		opts = append(opts, socketmode.OptionDialer(&websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: 45 * time.Second,
			WriteBufferSize:  32 << 10,
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := d.DialContext(ctx, network, addr)
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetReadBuffer(n)
				}
				return c, err
			},
		}))
	}
	sm := socketmode.New(api, opts...)
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
