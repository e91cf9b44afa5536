package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// buildRelease builds the release binary the way the Dockerfile does
// (static, trimmed, stripped) into a temporary directory of tb's and
// returns its path.
func buildRelease(tb testing.TB) string {
	tb.Helper()
	return buildReleaseOf(tb, ".", "pdbot")
}

// buildReleaseOf builds the main package pkg (relative to cmd/pdbot) the way
// the Dockerfile builds pdbot, as name in a temporary directory of tb's, and
// returns the binary's path.
func buildReleaseOf(tb testing.TB, pkg, name string) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), name)
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// ready reports whether the ops server at addr answers /readyz with 200.
func ready(addr string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
