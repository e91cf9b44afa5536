package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// BenchmarkIdleFootprint builds the release binary the way the Dockerfile
// does, runs `pdbot serve` against the fakes until it is ready (connected
// over Socket Mode), lets it idle, and reports its resident memory and the
// binary's size. The floor for comparison (BENCHMARKS.md) is a bare slack-go
// Socket Mode client built the same way.
func BenchmarkIdleFootprint(b *testing.B) {
	bin := buildRelease(b)
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	opts := demoworld.SlackOptions()
	opts.AppToken, opts.BotToken = canaryApp, canaryBot
	sf, err := slackfake.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sf.Close)
	pd, err := pdfake.New(pdfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pd.Close)
	demoworld.Seed(sf, pd)
	var rss []float64
	for b.Loop() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "serve")
		cmd.Env = []string{
			"SLACK_APP_TOKEN=" + canaryApp, "SLACK_BOT_TOKEN=" + canaryBot,
			"SLACK_API_URL=" + sf.URL(), "PAGERDUTY_API_URL=" + pd.URL(),
			"PDBOT_STORE=bolt:" + filepath.Join(b.TempDir(), "pdbot.db"),
			"PDBOT_MASTER_KEY=" + canaryMaster, "PDBOT_HTTP_ADDR=" + addr,
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		up := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !up; time.Sleep(20 * time.Millisecond) {
			up = ready(addr)
		}
		if !up {
			cancel()
			b.Fatal("pdbot serve never became ready")
		}
		time.Sleep(2 * time.Second) // idle: start-up garbage collected, pings under way
		rss = append(rss, vmRSS(b, cmd.Process.Pid))
		cancel()
		_ = cmd.Wait()
	}
	b.ReportMetric(rss[len(rss)-1], "idle-rss-MiB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "binary-MiB")
}

// vmRSS reads a process's resident set size in MiB from /proc.
func vmRSS(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc status")
	return 0
}
