package pdapi

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Retry limits.
const (
	// maxRateLimitWait caps how long a request waits for PagerDuty's
	// budget, for a 429's ratelimit-reset or its turn in the key's pacer:
	// past it, the user is told when to try again instead.
	maxRateLimitWait = 2 * time.Second
	// maxRetries bounds retries of one request.
	maxRetries = 2
	// maxDrain bounds what is read of a dropped answer (PagerDuty's error
	// bodies are well under it).
	maxDrain = 64 << 10
)

// rateState remembers when PagerDuty said the rate limit resets.
type rateState struct {
	mu    sync.Mutex
	until time.Time
}

func (r *rateState) set(t time.Time) {
	r.mu.Lock()
	r.until = t
	r.mu.Unlock()
}

// get returns the reset time while it lies in the future.
func (r *rateState) get() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.until, r.until.After(time.Now())
}

// retryTransport retries what is safe to retry: any request on 429 (PagerDuty
// did not process it) within maxRateLimitWait, and GETs on 5xx. Notes and
// responder requests are never replayed after a 5xx or a timeout: the first
// one may have landed. With a pacer, every attempt waits for its turn in its
// lane, and every answer tells the pacer what PagerDuty said.
type retryTransport struct {
	next  http.RoundTripper
	rate  *rateState
	sleep func(ctx context.Context, d time.Duration) error
	pacer *pacer // nil: not paced
	lane  string
	sent  func() // nil: not counted (Options.Sent)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, ok := req.Context().Deadline(); ok {
		return t.roundTrip(req)
	}
	// A backstop for a request made without a call's deadline (callCtx):
	// it gets one, which lasts until its answer's body is closed.
	ctx, cancel := context.WithTimeout(req.Context(), requestTimeout+time.Second)
	resp, err := t.roundTrip(req.WithContext(ctx))
	if err != nil || resp == nil || resp.Body == nil {
		cancel()
		return resp, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's context when its answer's body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func (t *retryTransport) roundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.send(req)
		if err != nil {
			return resp, err
		}
		var wait time.Duration
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			wait = rateLimitWait(resp.Header, attempt)
			if wait > maxRateLimitWait || attempt >= maxRetries {
				t.rate.set(time.Now().Add(wait))
				return resp, nil
			}
		case resp.StatusCode >= 500 && req.Method == http.MethodGet && attempt < maxRetries:
			wait = time.Duration(100<<attempt) * time.Millisecond
		default:
			return resp, nil
		}
		if req.Body != nil && req.GetBody == nil {
			return resp, nil
		}
		drain(resp)
		if err := t.sleep(req.Context(), jitter(wait)); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// send makes one attempt, in its turn when the client is paced.
func (t *retryTransport) send(req *http.Request) (*http.Response, error) {
	if t.pacer == nil {
		t.count()
		return t.next.RoundTrip(req)
	}
	tk, at, err := t.pacer.acquire(req.Context(), t.lane)
	if err != nil {
		// go-pagerduty flattens transport errors, so the reason travels
		// through the client's rate state (see RetryAt).
		if !at.IsZero() {
			t.rate.set(at)
		}
		return nil, err
	}
	t.count()
	resp, err := t.next.RoundTrip(req)
	t.pacer.done(tk, resp, true)
	return resp, err
}

// rateLimitWait reads ratelimit-reset (seconds, PagerDuty's header), then
// Retry-After, else backs off exponentially from one second.
func rateLimitWait(h http.Header, attempt int) time.Duration {
	for _, k := range []string{"Ratelimit-Reset", "Retry-After"} {
		if v := h.Get(k); v != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return time.Duration(1<<attempt) * time.Second
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// drain reads a little of an answer that is being dropped before closing
// it, so its keep-alive connection can carry the retry.
func drain(resp *http.Response) {
	if resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		_ = resp.Body.Close()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// count reports one request sent to Options.Sent.
func (t *retryTransport) count() {
	if t.sent != nil {
		t.sent()
	}
}
