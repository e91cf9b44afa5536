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

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// BenchmarkIdleFootprint builds the release binary the way the Dockerfile
// does, runs `pdbot serve` against the fakes until it is ready (connected
// over Socket Mode), lets it idle, and reports its resident memory and the
// binary's size. The floor for comparison is a bare slack-go Socket Mode
// client (testdata/socketfloor) built the same way and run the same way.
//
// Resident memory is reported whole (VmRSS, the goal's figure) and split
// into anonymous pages (heap, stacks, runtime structures: what pdbot
// allocates) and file-backed ones (the binary's text, read-only data and
// pclntab that have been touched, in 64 KiB fault-around chunks), each the
// mean over the b.N runs.
func BenchmarkIdleFootprint(b *testing.B) {
	sf, pd := benchFakes(b)
	b.Run("pdbot", func(b *testing.B) {
		idleFootprint(b, buildRelease(b), []string{"serve"}, sf, pd)
	})
	b.Run("floor", func(b *testing.B) {
		idleFootprint(b, buildReleaseOf(b, "./testdata/socketfloor", "socketfloor"), nil, sf, pd)
	})
}

// idleFootprint runs bin with args b.N times against sf and pd, each time
// until it is ready and then 2 s idle, and reports its mean resident memory.
func idleFootprint(b *testing.B, bin string, args []string, sf *slackfake.Fake, pd *pdfake.Server) {
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	var sum residency
	for b.Loop() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, args...)
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
			b.Fatalf("%s never became ready", filepath.Base(bin))
		}
		time.Sleep(2 * time.Second) // idle: start-up garbage collected, pings under way
		r := readResidency(b, cmd.Process.Pid)
		sum.total += r.total
		sum.anon += r.anon
		sum.file += r.file
		cancel()
		_ = cmd.Wait()
	}
	n := float64(b.N)
	b.ReportMetric(sum.total/n, "idle-rss-MiB")
	b.ReportMetric(sum.anon/n, "anon-MiB")
	b.ReportMetric(sum.file/n, "file-MiB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "binary-MiB")
}

// residency is a process's resident memory in MiB: in all (VmRSS), and its
// anonymous (RssAnon) and file-backed (RssFile) parts; peak is the most it
// has had in all (VmHWM).
type residency struct{ total, anon, file, peak float64 }

// readResidency reads a process's residency from /proc/PID/status.
func readResidency(b *testing.B, pid int) residency {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	var r residency
	found := 0
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		fields := map[string]*float64{"VmRSS:": &r.total, "RssAnon:": &r.anon, "RssFile:": &r.file, "VmHWM:": &r.peak}
		if dst, ok := fields[f[0]]; ok {
			kb, _ := strconv.ParseFloat(f[1], 64)
			*dst = kb / 1024
			found++
		}
	}
	if found != 4 {
		b.Fatal("no VmRSS, RssAnon, RssFile and VmHWM in /proc status")
	}
	return r
}
