package pdapi_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// connCounter is a PagerDuty stand-in that counts the connections it
// accepts and the protocol of every request. It holds its first wave
// answers until wave requests are in, so the first wave needs wave
// connections at once, as a burst does against a slower PagerDuty.
type connCounter struct {
	srv    *httptest.Server
	conns  atomic.Int32
	reqs   atomic.Int32
	http2  atomic.Int32
	closed atomic.Int32
}

func newConnCounter(t *testing.T, tlsHTTP2 bool, wave int32) *connCounter {
	t.Helper()
	c := &connCounter{}
	arrived := make(chan struct{})
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := c.reqs.Add(1)
		if r.ProtoMajor == 2 {
			c.http2.Add(1)
		}
		if n == wave {
			close(arrived)
		}
		if n <= wave {
			select {
			case <-arrived:
			case <-r.Context().Done():
				return
			}
		}
		writeJSON(w, 200, map[string]any{"abilities": []string{"teams"}})
	}))
	c.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			c.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			c.closed.Add(1)
		}
	}
	if tlsHTTP2 {
		c.srv.EnableHTTP2 = true
		c.srv.StartTLS()
	} else {
		c.srv.Start()
	}
	t.Cleanup(c.srv.Close)
	return c
}

// hammer sends n requests through pd, at most workers at a time, and fails
// the test on any error.
func hammer(t *testing.T, pd *pdapi.Client, n, workers int) {
	t.Helper()
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range workers {
		wg.Go(func() {
			for range work {
				if err := pd.Ping(testCtx(t)); err != nil && failed.Add(1) == 1 {
					t.Errorf("Ping: %v", err)
				}
			}
		})
	}
	wg.Wait()
}

const (
	hammerRequests    = 200
	hammerConcurrency = 50
)

// TestTransportKeepsConnectionsForTheConcurrency: 200 requests, 50 at a
// time, need no more than 50 connections: every connection a worker
// finishes with stays open for the next request. http.DefaultTransport
// keeps 2 idle connections per host, closes the other 48 of the first wave
// and opens about 100 here.
func TestTransportKeepsConnectionsForTheConcurrency(t *testing.T) {
	c := newConnCounter(t, false, hammerConcurrency)
	tr := pdapi.NewTransport(pdapi.TransportOptions{})
	t.Cleanup(tr.CloseIdleConnections)
	pd := pdapi.New(c.srv.URL, canaryKey, pdapi.Options{Transport: tr})
	hammer(t, pd, hammerRequests, hammerConcurrency)
	if got := c.reqs.Load(); got != hammerRequests {
		t.Fatalf("server saw %d requests, want %d", got, hammerRequests)
	}
	if got := c.conns.Load(); got > hammerConcurrency {
		t.Errorf("%d requests, %d at a time, opened %d connections; want at most %d", hammerRequests, hammerConcurrency, got, hammerConcurrency)
	}
	if got := c.closed.Load(); got != 0 {
		t.Errorf("%d connections were closed while requests kept coming, want none", got)
	}
}

// TestTransportSpeaksHTTP2: against an HTTP/2 server every request shares
// one connection. The first request learns that the server speaks HTTP/2
// (until its TLS handshake ends, concurrent requests would each dial).
func TestTransportSpeaksHTTP2(t *testing.T) {
	c := newConnCounter(t, true, 0)
	roots := x509.NewCertPool()
	roots.AddCert(c.srv.Certificate())
	tr := pdapi.NewTransport(pdapi.TransportOptions{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}})
	t.Cleanup(tr.CloseIdleConnections)
	pd := pdapi.New(c.srv.URL, canaryKey, pdapi.Options{Transport: tr})
	hammer(t, pd, 1, 1)
	hammer(t, pd, hammerRequests, hammerConcurrency)
	if got, want := c.reqs.Load(), int32(hammerRequests+1); got != want {
		t.Fatalf("server saw %d requests, want %d", got, want)
	}
	if got := c.http2.Load(); got != c.reqs.Load() {
		t.Errorf("%d of %d requests were HTTP/2", got, c.reqs.Load())
	}
	if got := c.conns.Load(); got != 1 {
		t.Errorf("opened %d connections, want exactly 1", got)
	}
}

// TestNewTransport pins the settings the tests above cannot observe
// without timing: the timeouts, the proxy and the sizes.
func TestNewTransport(t *testing.T) {
	tr := pdapi.NewTransport(pdapi.TransportOptions{})
	if tr == http.DefaultTransport {
		t.Fatal("NewTransport returned http.DefaultTransport")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"MaxIdleConns", tr.MaxIdleConns, pdapi.DefaultMaxIdleConns},
		{"MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost, pdapi.DefaultMaxIdleConns},
		{"ForceAttemptHTTP2", tr.ForceAttemptHTTP2, true},
		{"TLSHandshakeTimeout", tr.TLSHandshakeTimeout, 5 * time.Second},
		{"ResponseHeaderTimeout", tr.ResponseHeaderTimeout, 10 * time.Second},
		{"IdleConnTimeout", tr.IdleConnTimeout, 90 * time.Second},
		{"Proxy set", tr.Proxy != nil, true},
		{"DialContext set", tr.DialContext != nil, true},
		{"TLS 1.2 or later", tr.TLSClientConfig != nil && tr.TLSClientConfig.MinVersion >= tls.VersionTLS12, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if tr := pdapi.NewTransport(pdapi.TransportOptions{MaxIdleConns: 7}); tr.MaxIdleConns != 7 || tr.MaxIdleConnsPerHost != 7 {
		t.Errorf("MaxIdleConns 7 gave %d / %d per host", tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
	}
	if _, ok := pdapi.SharedTransport().(*http.Transport); !ok || pdapi.SharedTransport() == http.DefaultTransport {
		t.Errorf("clients without a transport use %T, want a tuned *http.Transport of their own", pdapi.SharedTransport())
	}
	if pdapi.SharedTransport() != pdapi.SharedTransport() {
		t.Error("clients without a transport do not share one")
	}
}
