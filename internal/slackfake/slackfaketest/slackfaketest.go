// Package slackfaketest starts slackfake workspaces for tests. It imports
// package testing, so only tests may import it: the product binary (which
// runs slackfake for `pdbot demo`) must not link it.
package slackfaketest

import (
	"sync"
	"testing"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// New starts a slackfake.Fake with default options, logging to t.Logf, and
// closes it when the test ends.
func New(t testing.TB) *slackfake.Fake {
	t.Helper()
	// Stop logging through t once the test is over: t.Logf after the test
	// returned panics.
	var (
		mu     sync.Mutex
		closed bool
	)
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !closed {
			t.Logf(format, args...)
		}
	}
	f, err := slackfake.New(slackfake.Options{Logf: logf})
	if err != nil {
		t.Fatalf("slackfake.New: %v", err)
	}
	t.Cleanup(func() {
		f.Close()
		mu.Lock()
		closed = true
		mu.Unlock()
	})
	return f
}
