package pdapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ctxBody is an answer's body that fails once its request's context ends,
// as a real transport's does.
type ctxBody struct {
	ctx context.Context
	r   io.Reader
}

func (b *ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	return b.r.Read(p)
}

func (b *ctxBody) Close() error { return nil }

type seenRT struct{ ctx context.Context }

func (s *seenRT) RoundTrip(req *http.Request) (*http.Response, error) {
	s.ctx = req.Context()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: &ctxBody{ctx: req.Context(), r: strings.NewReader("{}")}, Request: req}, nil
}

// A request made without a deadline gets the backstop's, which lasts until
// its answer has been read and closed; one with a deadline keeps its own.
func TestRequestsAlwaysHaveADeadline(t *testing.T) {
	next := &seenRT{}
	rt := &retryTransport{next: next, rate: &rateState{}, sleep: sleepCtx}

	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://api.pagerduty.com/users/me", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	dl, ok := next.ctx.Deadline()
	if !ok {
		t.Fatal("a request without a deadline was sent without one: a stalled PagerDuty would hold it forever")
	}
	if d := time.Until(dl); d <= requestTimeout-time.Second || d > requestTimeout+time.Second {
		t.Errorf("backstop deadline in %v, want about %v", d, requestTimeout+time.Second)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("the answer's body could not be read before it was closed: %v", err)
	}
	resp.Body.Close()
	if next.ctx.Err() == nil {
		t.Error("closing the answer's body did not end the backstop's context (a timer left behind)")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "https://api.pagerduty.com/users/me", nil)
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if next.ctx != ctx {
		t.Error("a request with a deadline of its own was given another context")
	}
}

// The HTTP client has no Timeout of its own: over a RoundTripper that is
// not net/http's, a Timeout costs a goroutine and a timer every request,
// and the transport gives every request a deadline already.
func TestClientHasNoPerRequestTimer(t *testing.T) {
	c := New("https://api.pagerduty.com", "u+key", Options{})
	if c.http.Timeout != 0 {
		t.Errorf("http.Client.Timeout = %v, want 0", c.http.Timeout)
	}
}
