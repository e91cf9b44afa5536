package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// lockedBuffer is a bytes.Buffer safe for the logger and the test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServe wires `pdbot serve` exactly as main does, against the fakes:
// it becomes ready once connected over Socket Mode, answers a command,
// exports metrics, and stops cleanly on cancellation (SIGTERM).
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	opts := demoworld.SlackOptions()
	opts.AppToken, opts.BotToken = canaryApp, canaryBot
	sf, err := slackfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	pd := pdfaketest.New(t)
	demoworld.Seed(sf, pd)

	addr := freeAddr(t)
	env := map[string]string{
		"SLACK_APP_TOKEN":   canaryApp,
		"SLACK_BOT_TOKEN":   canaryBot,
		"SLACK_API_URL":     sf.URL(),
		"PAGERDUTY_API_URL": pd.URL(),
		"PDBOT_STORE":       "bolt:" + filepath.Join(t.TempDir(), "pdbot.db"),
		"PDBOT_MASTER_KEY":  canaryMaster + "," + canaryOld,
		"PDBOT_HTTP_ADDR":   addr,
		"PDBOT_LOG_LEVEL":   "debug",
		"PDBOT_ADMINS":      demoworld.BobID,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env, strings.NewReader(""), &stdout, &stderr) }()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, _ := get("/readyz")
		if code == http.StatusOK {
			break
		}
		select {
		case c := <-done:
			t.Fatalf("serve exited early with %d:\n%s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never became ready (last %d):\n%s", code, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}

	d, err := sf.Slash(demoworld.AliceID, demoworld.IncChannelID, "/pd help")
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, waitCancel := context.WithTimeout(ctx, 10*time.Second)
	defer waitCancel()
	if _, err := d.WaitAck(waitCtx); err != nil {
		t.Fatalf("no ack for /pd help: %v", err)
	}
	if err := sf.WaitFor(waitCtx, func() bool { return len(sf.Ephemerals(demoworld.AliceID, demoworld.IncChannelID)) > 0 }); err != nil {
		t.Errorf("no answer to /pd help: %v", err)
	}

	_, metrics := get("/metrics")
	for _, want := range []string{"pdbot_envelopes_total", "go_goroutines", "process_"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited with %d after cancellation:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of cancellation")
	}
	if code, _ := get("/healthz"); code != 0 {
		t.Error("the ops server still answers after serve returned")
	}
	logs := stderr.String()
	if !strings.Contains(logs, "pdbot serving") {
		t.Errorf("no start-up log line:\n%s", logs)
	}
	assertNoCanary(t, "serve logs", logs)
	assertNoCanary(t, "serve stdout", stdout.String())
}
