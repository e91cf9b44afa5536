package pdfake

import (
	"net/http"
	"strconv"
	"time"
)

// PagerDuty's REST limit: 960 requests per minute per account key or user
// (notes §1.5), enforced as 960 in any 60 s.
const (
	DefaultRateLimit  = 960
	DefaultRateWindow = time.Minute
)

// unlimitedRate is the limit the headers advertise when limiting is off.
const unlimitedRate = 1_000_000

// rateHeaderNames are sent lower-case, as PagerDuty sends them; Go clients
// canonicalise header names when they read them.
var rateHeaderNames = []string{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}

// rateLimiter is a sliding window per API key: a request is admitted while
// fewer than limit requests of that key were admitted in the window before
// it. Refused requests (429) are not counted: PagerDuty did not process
// them.
//
// Its headers say exactly that rule: ratelimit-limit is the limit,
// ratelimit-remaining how many more the window admits now, and
// ratelimit-reset the whole seconds (rounded up) until the oldest counted
// request leaves the window, that is, how long to wait before retrying
// when nothing remains (PagerDuty's meaning, notes §1.5); 0 when the window
// holds nothing.
type rateLimiter struct {
	limit   int // 0: unlimited
	window  time.Duration
	headers bool
	sent    map[string][]time.Time // per key: admitted requests in the window, oldest first
}

func newRateLimiter(limit int, window time.Duration, headers bool) rateLimiter {
	if window <= 0 {
		window = DefaultRateWindow
	}
	return rateLimiter{limit: max(limit, 0), window: window, headers: headers, sent: map[string][]time.Time{}}
}

// SetRateLimit allows limit requests per API key in any window (0:
// unlimited, headers then advertise a large limit), starting with an empty
// window. With sendHeaders false no response carries ratelimit-* headers.
// The default is DefaultRateLimit per DefaultRateWindow, with headers. The
// window runs on Options.Now, so a test with a fake clock drives it.
func (s *Server) SetRateLimit(limit int, window time.Duration, sendHeaders bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = newRateLimiter(limit, window, sendHeaders)
}

// inWindow returns token's admitted requests still in the window at now,
// forgetting older ones. The caller holds s.mu.
func (l *rateLimiter) inWindow(token string, now time.Time) []time.Time {
	sent := l.sent[token]
	i := 0
	for i < len(sent) && !sent[i].After(now.Add(-l.window)) {
		i++
	}
	if i == len(sent) {
		delete(l.sent, token)
		return nil
	}
	sent = sent[i:]
	l.sent[token] = sent
	return sent
}

// peek returns the advertised limit, what remains and the seconds to reset.
// The caller holds s.mu.
func (l *rateLimiter) peek(token string, now time.Time) (limit, remaining, reset int) {
	if l.limit == 0 {
		return unlimitedRate, unlimitedRate, 0
	}
	sent := l.inWindow(token, now)
	if len(sent) > 0 {
		left := sent[0].Add(l.window).Sub(now)
		reset = int((left + time.Second - 1) / time.Second)
	}
	return l.limit, max(l.limit-len(sent), 0), reset
}

// takeRate counts a request against token's window if the window admits
// it, sets the headers, and reports whether it was admitted.
func (s *Server) takeRate(w http.ResponseWriter, token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.limiter
	now := s.now()
	ok := l.limit == 0 || len(l.inWindow(token, now)) < l.limit
	if ok && l.limit != 0 {
		l.sent[token] = append(l.sent[token], now)
	}
	if l.headers {
		limit, remaining, reset := l.peek(token, now)
		setRateHeaders(w.Header(), limit, remaining, reset)
	}
	return ok
}

// rateHeaders sets the headers for a request that is not counted.
func (s *Server) rateHeaders(w http.ResponseWriter, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.limiter.headers {
		return
	}
	limit, remaining, reset := s.limiter.peek(token, s.now())
	setRateHeaders(w.Header(), limit, remaining, reset)
}

func setRateHeaders(h http.Header, limit, remaining, reset int) {
	h["ratelimit-limit"] = []string{strconv.Itoa(limit)}
	h["ratelimit-remaining"] = []string{strconv.Itoa(remaining)}
	h["ratelimit-reset"] = []string{strconv.Itoa(reset)}
}
