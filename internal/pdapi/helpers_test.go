package pdapi_test

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

// canaryKey is the API key every fake-backed client uses; no error, message
// or golden file may ever contain it.
const canaryKey = "u+CanaryKeyDoNotLeak"

// seen is one request as the fake PagerDuty server received it.
type seen struct {
	Method, Path, RawQuery, From, Auth string
	Accept, ContentType, UserAgent     string
	Body                               string
}

// fakePD is an httptest server standing in for PagerDuty. It records every
// request and answers with the test's handler.
type fakePD struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []seen
}

func newFakePD(t *testing.T, h http.HandlerFunc) *fakePD {
	t.Helper()
	f := &fakePD{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, seen{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			From: r.Header.Get("From"), Auth: r.Header.Get("Authorization"),
			Accept: r.Header.Get("Accept"), ContentType: r.Header.Get("Content-Type"), UserAgent: r.Header.Get("User-Agent"),
			Body: string(b),
		})
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePD) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.got...)
}

// sleeps records the waits of the retry transport instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// client returns a client for f acting as from, whose retries do not sleep.
func (f *fakePD) client(t *testing.T, from string) (*pdapi.Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	return pdapi.New(f.srv.URL, canaryKey, pdapi.Options{Sleep: s.sleep}).As(from), s
}

// writeJSON answers like PagerDuty: a JSON content type on every answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pdError is PagerDuty's error body.
func pdError(code int, msg string, errs ...string) map[string]any {
	e := map[string]any{"code": code, "message": msg}
	if len(errs) > 0 {
		e["errors"] = errs
	}
	return map[string]any{"error": e}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
