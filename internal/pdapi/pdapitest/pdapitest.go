// Package pdapitest is a recording HTTP server standing in for PagerDuty, for
// the tests of packages that call it through pdapi (pdapi's own, handlers').
// It imports package testing, so only tests may import it; cmd/pdbot's
// TestNoTestCodeInBinary keeps it out of the product binary. Tests that want
// PagerDuty's behaviour and its OpenAPI document use pdfake and pdfaketest;
// this is for answers a test writes itself.
package pdapitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// CanaryKey is the API key every client of a Server uses; no error, message
// or golden file may ever contain it.
const CanaryKey = "u+CanaryKeyDoNotLeak"

// Request is one request as the Server received it.
type Request struct {
	Method, Path, RawQuery, From, Auth string
	Accept, ContentType, UserAgent     string
	Body                               string
}

// Server is an httptest server standing in for PagerDuty: it records every
// request and answers with the test's handler.
type Server struct {
	*httptest.Server
	mu  sync.Mutex
	got []Request
}

// NewServer starts a Server answering with h, closed when t ends.
func NewServer(t testing.TB, h http.HandlerFunc) *Server {
	t.Helper()
	f := &Server{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, Request{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			From: r.Header.Get("From"), Auth: r.Header.Get("Authorization"),
			Accept: r.Header.Get("Accept"), ContentType: r.Header.Get("Content-Type"), UserAgent: r.Header.Get("User-Agent"),
			Body: string(b),
		})
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// Requests returns the requests received so far, in order.
func (f *Server) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.got...)
}

// Client returns a client for f with CanaryKey acting as from, whose retries
// record their waits instead of sleeping; o adjusts its options.
func (f *Server) Client(t testing.TB, from string, o ...func(*pdapi.Options)) (*pdapi.Client, *Sleeps) {
	t.Helper()
	s := &Sleeps{}
	opts := pdapi.Options{Sleep: s.Sleep}
	for _, f := range o {
		f(&opts)
	}
	return pdapi.New(f.URL, CanaryKey, opts).As(from), s
}

// Sleeps records the waits of the retry transport instead of sleeping.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once (ctx's error, if it has ended).
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// All returns the waits recorded so far.
func (s *Sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// WriteJSON answers like PagerDuty: a JSON content type on every answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error is PagerDuty's error body.
func Error(code int, msg string, errs ...string) map[string]any {
	e := map[string]any{"code": code, "message": msg}
	if len(errs) > 0 {
		e["errors"] = errs
	}
	return map[string]any{"error": e}
}

// Ctx is t's context with a 5 s bound, so a test that goes wrong fails
// rather than hangs.
func Ctx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
