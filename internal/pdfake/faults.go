package pdfake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a kind of injected failure.
type FaultKind int

const (
	// Fault429 is a 429 with the rate limit body and ratelimit-* headers
	// (remaining 0, reset Fault.Reset).
	Fault429 FaultKind = iota
	// Fault429NoHeaders is a 429 with the rate limit body and no ratelimit-*
	// headers.
	Fault429NoHeaders
	// Fault429RetryAfter is a 429 with only a Retry-After header (seconds),
	// which PagerDuty does not document but proxies may add.
	Fault429RetryAfter
	// Fault5xxJSON is a 5xx (default 500) with {"error":{"code":2000,…}}.
	Fault5xxJSON
	// Fault5xxText is a 5xx (default 502) with an HTML body, as a load
	// balancer sends it.
	Fault5xxText
	// Fault5xxEmpty is a 5xx (default 500) with no body and no Content-Type.
	Fault5xxEmpty
	// FaultErrorsString is an error (default 400/2001) whose "errors" is a
	// string instead of an array (go-pagerduty#339).
	FaultErrorsString
	// FaultErrorString is an error (default 400) whose "error" is a plain
	// string, as GET /users/me answers account keys (notes §2.8).
	FaultErrorString
	// Fault2xxWithoutIncident carries the request out and answers 200 (or
	// Status) with an empty object: an answer that does not echo what was
	// written, although the change landed.
	Fault2xxWithoutIncident
)

// Fault describes injected failures (FailNext).
type Fault struct {
	// Method and PathPrefix select the requests that fail; "" matches any.
	// PathPrefix is compared with the path as sent, e.g. "/incidents/P1/notes".
	Method     string
	PathPrefix string
	Kind       FaultKind
	// Status overrides the kind's default HTTP status.
	Status int
	// Reset is what ratelimit-reset or Retry-After says (whole seconds,
	// rounded up; 0 means 1 s).
	Reset time.Duration
	// Landed makes the request take effect before the failure is answered,
	// like a write whose response was lost: a retry would apply it twice.
	Landed bool
}

type pendingFault struct {
	Fault
	left int
}

// FailNext makes the next n requests matching f fail as f says. Calls queue:
// the earliest matching fault with failures left applies.
func (s *Server) FailNext(n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: n})
}

// takeFault consumes and returns the fault for a request, or nil. The caller
// holds s.mu.
func (s *Server) takeFault(method, path string) *Fault {
	for i, pf := range s.faults {
		if (pf.Method == "" || strings.EqualFold(pf.Method, method)) && strings.HasPrefix(path, pf.PathPrefix) {
			pf.left--
			if pf.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			f := pf.Fault
			return &f
		}
	}
	return nil
}

func (s *Server) writeFault(w http.ResponseWriter, token string, f Fault) {
	status := func(def int) int {
		if f.Status != 0 {
			return f.Status
		}
		return def
	}
	reset := int((f.Reset + time.Second - 1) / time.Second)
	if reset <= 0 {
		reset = 1
	}
	h := w.Header()
	for _, name := range rateHeaderNames {
		delete(h, name)
	}
	switch f.Kind {
	case Fault429, Fault429NoHeaders, Fault429RetryAfter:
		switch f.Kind {
		case Fault429:
			s.mu.Lock()
			limit, _, _ := s.limiter.peek(token, s.now())
			s.mu.Unlock()
			setRateHeaders(h, limit, 0, reset)
		case Fault429RetryAfter:
			h.Set("Retry-After", strconv.Itoa(reset))
		}
		(&apiError{status: status(http.StatusTooManyRequests), code: 2020, message: "Rate Limit Exceeded"}).write(w)
	case Fault5xxJSON:
		(&apiError{status: status(http.StatusInternalServerError), code: 2000, message: "Internal Error"}).write(w)
	case Fault5xxText:
		h.Set("Content-Type", "text/html")
		w.WriteHeader(status(http.StatusBadGateway))
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n"))
	case Fault5xxEmpty:
		w.WriteHeader(status(http.StatusInternalServerError))
	case FaultErrorsString:
		writeJSON(w, status(http.StatusBadRequest), map[string]any{"error": map[string]any{
			"message": "Invalid Input Provided", "code": 2001, "errors": "Something about the input was wrong.",
		}})
	case FaultErrorString:
		writeJSON(w, status(http.StatusBadRequest), map[string]any{"error": "Something about the input was wrong."})
	case Fault2xxWithoutIncident:
		writeJSON(w, status(http.StatusOK), map[string]any{})
	default:
		(&apiError{status: status(http.StatusInternalServerError), code: 2000, message: "Internal Error",
			errors: []string{"pdfake: unknown fault kind " + strconv.Itoa(int(f.Kind))}}).write(w)
	}
}
