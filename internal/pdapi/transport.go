package pdapi

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// Connection limits of the transport to PagerDuty's one API host.
const (
	// DefaultMaxIdleConns is how many idle keep-alive connections to
	// PagerDuty's host are kept: enough for a busy minute's concurrency
	// (a key's pacer lets bursts of 240 through), so steady work reuses
	// connections instead of opening one per request (http.DefaultTransport
	// keeps 2 a host). A burst beyond it dials for the rest and lets them
	// go: each idle connection keeps two goroutines and their buffers
	// that every collection scans, and keeping 1,024 (the bot's in-flight
	// bound in 1 GiB) made acks under the next burst twice as slow at the
	// p99 (BENCHMARKS.md). Over HTTP/2 one connection carries them all.
	DefaultMaxIdleConns = 128
	dialTimeout         = 5 * time.Second
	dialKeepAlive       = 30 * time.Second
	tlsHandshakeTimeout = 5 * time.Second
	// responseHeaderTimeout is below requestTimeout, so a stalled PagerDuty
	// is reported as a timeout of the exchange, not of the whole call.
	responseHeaderTimeout = 10 * time.Second
	idleConnTimeout       = 90 * time.Second
)

// TransportOptions tune NewTransport.
type TransportOptions struct {
	// MaxIdleConns bounds the idle connections kept (all to one host, so it
	// is also the per-host bound). Zero means DefaultMaxIdleConns.
	MaxIdleConns int
	// TLSClientConfig replaces the TLS configuration (nil: the system's
	// roots, TLS 1.2 or later). Tests use it to trust a test server.
	TLSClientConfig *tls.Config
}

// NewTransport returns a transport of its own for PagerDuty's API host:
// keep-alive connections sized to pdbot's concurrency, HTTP/2 when the
// server offers it (one connection carries every request), bounded dial,
// TLS handshake and response-header waits, and the proxy from the
// environment (HTTPS_PROXY, NO_PROXY).
func NewTransport(o TransportOptions) *http.Transport {
	n := o.MaxIdleConns
	if n <= 0 {
		n = DefaultMaxIdleConns
	}
	tc := o.TLSClientConfig
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: dialKeepAlive}).DialContext,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          n,
		MaxIdleConnsPerHost:   n,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		IdleConnTimeout:       idleConnTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// sharedTransport is the transport of every Client built without
// Options.Transport: clients are made per request, and sharing one pool is
// what lets them reuse connections.
var sharedTransport = sync.OnceValue(func() http.RoundTripper { return NewTransport(TransportOptions{}) })
