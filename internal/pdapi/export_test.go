package pdapi

import "net/http"

// This file exposes a few unexported pieces to the external tests in
// package pdapi_test. It holds no logic of its own.

// Limits the tests check against.
const (
	MaxRateLimitWait = maxRateLimitWait
	MaxRetries       = maxRetries
	PageLimit        = pageLimit
	MaxOffset        = maxOffset
)

// Keys reports how many keys the table paces.
func (p *Pacers) Keys() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byKey)
}

// SharedTransport is the transport of clients made without one.
func SharedTransport() http.RoundTripper { return sharedTransport() }

// ValidSegment is validSegment.
func ValidSegment(s string) bool { return validSegment(s) }
