package pdfake

import (
	"net/http"
	"strconv"
	"time"
)

// PagerDuty's REST limit: 960 requests per minute per account key or user
// (notes §1.5).
const (
	DefaultRateLimit  = 960
	DefaultRateWindow = time.Minute
)

// unlimitedRate is the limit the headers advertise when limiting is off.
const unlimitedRate = 1_000_000

// rateHeaderNames are sent lower-case, as PagerDuty sends them; Go clients
// canonicalise header names when they read them.
var rateHeaderNames = []string{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}

// rateLimiter is a fixed-window counter per API key.
type rateLimiter struct {
	limit   int // 0: unlimited
	window  time.Duration
	headers bool
	buckets map[string]*bucket
}

type bucket struct {
	start time.Time
	count int
}

func newRateLimiter(limit int, window time.Duration, headers bool) rateLimiter {
	if window <= 0 {
		window = DefaultRateWindow
	}
	return rateLimiter{limit: max(limit, 0), window: window, headers: headers, buckets: map[string]*bucket{}}
}

// SetRateLimit allows limit requests per window per API key (0: unlimited,
// headers then advertise a large limit), starting a fresh window. With
// sendHeaders false no response carries ratelimit-* headers. The default is
// DefaultRateLimit per DefaultRateWindow, with headers.
func (s *Server) SetRateLimit(limit int, window time.Duration, sendHeaders bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = newRateLimiter(limit, window, sendHeaders)
}

// bucket returns token's current window. The caller holds s.mu.
func (l *rateLimiter) bucket(token string, now time.Time) *bucket {
	b := l.buckets[token]
	if b == nil || now.Sub(b.start) >= l.window {
		b = &bucket{start: now}
		l.buckets[token] = b
	}
	return b
}

// peek returns the advertised limit, what remains and the seconds to reset.
func (l *rateLimiter) peek(token string, now time.Time) (limit, remaining, reset int) {
	b := l.bucket(token, now)
	limit = l.limit
	if limit == 0 {
		limit = unlimitedRate
	}
	left := b.start.Add(l.window).Sub(now)
	reset = max(int((left+time.Second-1)/time.Second), 1)
	return limit, max(limit-b.count, 0), reset
}

// takeRate counts a request against token's window, sets the headers, and
// reports whether the request is within the limit.
func (s *Server) takeRate(w http.ResponseWriter, token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.limiter
	b := l.bucket(token, s.now())
	b.count++
	limit, remaining, reset := l.peek(token, s.now())
	if l.headers {
		setRateHeaders(w.Header(), limit, remaining, reset)
	}
	return l.limit == 0 || b.count <= l.limit
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
