package pdfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBodyBytes bounds what the fake reads of a request body; PagerDuty's own
// limits are far below it.
const maxBodyBytes = 8 << 20

// Options configures a Server.
type Options struct {
	// Validator, if set, checks every request; an invalid one is recorded
	// (Request.Invalid) and answered 400/2001. Tests set it with
	// pdfaketest.New, which validates against PagerDuty's OpenAPI document.
	Validator Validator
	// Logf, if set, receives one line per request and notes about requests
	// pdfake does not serve. API keys are never passed to it.
	Logf func(format string, args ...any)
	// Now, if set, replaces time.Now for every timestamp the fake writes.
	Now func() time.Time
}

// Server is an in-process fake of PagerDuty's REST API v2, served by an
// httptest.Server. All methods are safe for concurrent use.
type Server struct {
	ts        *httptest.Server
	validator Validator // nil when requests are not validated
	logf      func(format string, args ...any)
	now       func() time.Time
	done      chan struct{} // closed by Close: aborts injected latency
	conns     atomic.Int64  // TCP connections accepted
	stop      sync.Once

	mu         sync.Mutex
	keys       map[string]apiKey
	users      map[string]User
	policies   map[string]EscalationPolicy
	services   map[string]Service
	priorities map[string]Priority
	workflows  map[string]Workflow
	// priorityOrder is the priorities' IDs, most severe first.
	priorityOrder []string
	schedules     map[string]Schedule
	oncalls       []OnCall
	incidents     map[string]*incidentState
	logEntries    []*logEntry // in creation order
	logSeq        int
	start         time.Time // when the server started: services' created_at
	abilities     []string
	requests      []Request
	allowInvalid  bool
	latency       time.Duration
	limiter       rateLimiter
	faults        []*pendingFault
	afters        []*pendingAfter
	seq           int
	reqSeq        int

	unknownFromCode   int
	webURL            string // html_url base (SetWebURL)
	resolveResolvedOK bool
	maxNoteLen        int
}

type apiKey struct {
	kind   KeyKind
	userID string
}

// New starts a fake PagerDuty on a local httptest server. It does not fail
// today; the error is kept so that callers need not change when an option
// can be wrong.
func New(opts Options) (*Server, error) {
	s := &Server{
		validator:       opts.Validator,
		logf:            opts.Logf,
		now:             opts.Now,
		done:            make(chan struct{}),
		keys:            map[string]apiKey{},
		users:           map[string]User{},
		policies:        map[string]EscalationPolicy{},
		services:        map[string]Service{},
		priorities:      map[string]Priority{},
		schedules:       map[string]Schedule{},
		workflows:       map[string]Workflow{},
		incidents:       map[string]*incidentState{},
		abilities:       slices.Clone(DefaultAbilities),
		limiter:         newRateLimiter(DefaultRateLimit, DefaultRateWindow, true),
		unknownFromCode: DefaultUnknownFromCode,
		webURL:          defaultWebURL,
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.start = s.now()
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.ts.Start()
	return s, nil
}

// Connections reports how many TCP connections clients have opened to the
// fake so far: how well a client reuses its connections.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// AllowInvalid marks invalid requests as expected: tests that send them on
// purpose call it, and pdfaketest.New's cleanup then does not fail the test.
func (s *Server) AllowInvalid() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowInvalid = true
}

// InvalidAllowed reports whether AllowInvalid was called.
func (s *Server) InvalidAllowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allowInvalid
}

// Validating reports whether requests are validated (Options.Validator).
func (s *Server) Validating() bool { return s.validator != nil }

// URL returns the base URL of the API, without a trailing slash.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down, cutting short any injected latency.
func (s *Server) Close() {
	s.stop.Do(func() {
		close(s.done)
		s.ts.Close()
	})
}

// SetUnknownFromCode sets the error code answered (with HTTP 400) when an
// account key's From names no user. PagerDuty's code is unverified (notes
// §1.2); the default is DefaultUnknownFromCode.
func (s *Server) SetUnknownFromCode(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unknownFromCode = code
}

// DefaultUnknownFromCode is "Requester User Not Found" (dropbox/pygerduty#64).
const DefaultUnknownFromCode = 1008

// SetResolveResolvedOK makes resolving an already resolved incident a 200
// no-op instead of the default 400/2001 "Incident Already Resolved" (the real
// behaviour is undocumented, notes §3).
func (s *Server) SetResolveResolvedOK(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resolveResolvedOK = ok
}

// SetMaxNoteLength makes notes longer than n bytes a 400/2001; 0 (the
// default) sets no limit. PagerDuty documents none (notes §1.8).
func (s *Server) SetMaxNoteLength(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxNoteLen = n
}

// SetLatency delays every later response by d (0 turns it off). A request
// whose client gives up still lands, as it may on the real API.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// call is one request in flight.
type call struct {
	r      *http.Request
	body   []byte
	params map[string]string
	key    apiKey
	actor  string // ID of the acting user on writes; "" on reads
}

// response is a handler's answer; body nil means no body.
type response struct {
	status int
	body   any
}

// apiError is PagerDuty's error shape (notes §1.3).
type apiError struct {
	status  int
	code    int
	message string
	errors  []string
}

func (e *apiError) write(w http.ResponseWriter) {
	type obj struct {
		Message string   `json:"message"`
		Code    int      `json:"code"`
		Errors  []string `json:"errors,omitempty"`
	}
	writeJSON(w, e.status, map[string]obj{"error": {Message: e.message, Code: e.code, Errors: e.errors}})
}

func errNotFound(detail ...string) *apiError {
	return &apiError{status: http.StatusNotFound, code: 2100, message: "Not Found", errors: detail}
}

func errInvalid(detail ...string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: 2001, message: "Invalid Input Provided", errors: detail}
}

// writeJSON writes v with PagerDuty's JSON content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("pdfake: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// fromRequired lists the operations whose From header is required for
// account keys (notes §1.2).
var fromRequired = map[string]bool{
	"PUT /incidents":             true,
	"POST /incidents":            true,
	"PUT /incidents/{id}":        true,
	"POST /incidents/{id}/notes": true,
	// The document lists From for snooze; it is an incident write.
	"POST /incidents/{id}/snooze": true,
	"PUT /incidents/{id}/merge":   true,
	// The document lists From for status updates but not for workflow
	// instances; pdfake records a workflow's starter when From is sent.
	"POST /incidents/{id}/status_updates": true,
}

// ServeHTTP answers one request. The order of checks is: route (unsafe paths
// and unknown routes are 404 at once), latency, validation against the
// document (recorded, answered later), injected faults, authentication, rate
// limit, read-only keys, From, invalid input, and finally the operation.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	s.mu.Lock()
	s.reqSeq++
	requestID := fmt.Sprintf("pdfake-%08d", s.reqSeq)
	s.mu.Unlock()
	w.Header()["x-request-id"] = []string{requestID}

	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	token := parseToken(r.Header.Get("Authorization"))
	rec := Request{
		Method:    r.Method,
		Path:      rawPath(r),
		RawQuery:  r.URL.RawQuery,
		Header:    r.Header.Clone(),
		Body:      body,
		Key:       token,
		RequestID: requestID,
	}
	defer func() {
		rec.Status = w.status
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		// Logf never sees the key, the headers or the body.
		if rec.Invalid != "" {
			s.logf("pdfake: %s %s -> %d (%s) INVALID: %s", rec.Method, rec.Path, rec.Status, requestID, rec.Invalid)
		} else {
			s.logf("pdfake: %s %s -> %d (%s)", rec.Method, rec.Path, rec.Status, requestID)
		}
	}()

	rt := match(r.Method, rec.Path)
	if rt.unsafe != "" {
		rec.Invalid = "unsafe path: " + rt.unsafe
		s.rateHeaders(w, token)
		errNotFound().write(w)
		return
	}
	if rt.handler == nil {
		s.rateHeaders(w, token)
		if s.validator != nil {
			if !s.validator.HasOperation(r.Method, rt.template) {
				rec.Invalid = fmt.Sprintf("PagerDuty's API has no %s %s", r.Method, rec.Path)
				errNotFound().write(w)
				return
			}
		}
		s.logf("pdfake: %s %s is not served by pdfake", r.Method, rt.template)
		errNotFound("pdfake does not serve " + r.Method + " " + rt.template).write(w)
		return
	}
	op := r.Method + " " + rt.template
	if name := unknownQueryParam(r.Method, rt.template, r.URL.Query()); name != "" {
		rec.Invalid = fmt.Sprintf("query parameter %q is not defined for %s (an unescaped '?' in a path ID?)", name, op)
		s.rateHeaders(w, token)
		errNotFound().write(w)
		return
	}

	s.sleep()

	s.mu.Lock()
	key, known := s.keys[token]
	var keyUserEmail string
	if known && key.kind == UserKey {
		keyUserEmail = s.users[key.userID].Email
	}
	fault := s.takeFault(r.Method, rec.Path)
	s.mu.Unlock()

	var reasons []string
	if s.validator != nil {
		reasons = s.validator.Validate(r.Context(), ValidationInput{
			Request: r, Body: body, Template: rt.template, PathParams: rt.params, KeyUserEmail: keyUserEmail,
		})
	}
	if rt.template == "/incidents/{id}/responder_requests" && s.validator == nil {
		// Without a validator, still refuse unwrapped targets (the OpenAPI
		// document, as pdfaketest patches it, says the same).
		reasons = append(reasons, unwrappedTargets(body)...)
	}
	rec.Invalid = strings.Join(reasons, "; ")

	if fault != nil && !fault.Landed && fault.Kind != Fault2xxWithoutIncident {
		s.writeFault(w, token, *fault)
		return
	}
	resp, apiErr := s.serve(w, r, body, rt, op, token, key, known, reasons)
	s.runAfter(r.Method, rec.Path)
	if fault != nil && (fault.Kind != Fault2xxWithoutIncident || apiErr == nil) {
		s.writeFault(w, token, *fault)
		return
	}
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	writeJSON(w, resp.status, resp.body)
}

// serve runs the checks that need a key, then the operation. It sets the rate
// limit headers on w; the caller writes the answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, rt route, op, token string, key apiKey, known bool, reasons []string) (response, *apiError) {
	if !known {
		s.rateHeaders(w, token)
		return response{}, &apiError{status: http.StatusUnauthorized, code: 2006, message: "Authentication Failed"}
	}
	if !s.takeRate(w, token) {
		return response{}, &apiError{status: http.StatusTooManyRequests, code: 2020, message: "Rate Limit Exceeded"}
	}
	if key.kind == ReadOnlyKey && r.Method != http.MethodGet {
		return response{}, &apiError{status: http.StatusForbidden, code: 2010, message: "Access Denied",
			errors: []string{"This API key is read-only"}}
	}
	c := &call{r: r, body: body, params: rt.params, key: key}
	if fromRequired[op] {
		actor, err := s.actor(r, key)
		if err != nil {
			return response{}, err
		}
		c.actor = actor
	}
	if len(reasons) > 0 {
		return response{}, errInvalid(reasons...)
	}
	return rt.handler(s, c)
}

// actor returns the ID of the user a write acts as: the From user for account
// keys, the key's user for user keys (notes §1.2, §4.5).
func (s *Server) actor(r *http.Request, key apiKey) (string, *apiError) {
	vals, present := r.Header["From"]
	from := ""
	if present {
		from = strings.TrimSpace(vals[0])
	}
	if present && from == "" {
		return "", &apiError{status: http.StatusBadRequest, code: 1028, message: `Malformed "From" header`}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if key.kind == UserKey {
		return key.userID, nil
	}
	if !present {
		return "", &apiError{status: http.StatusBadRequest, code: 2016,
			message: `You must specify a user's email address in the "From" header to perform this action`}
	}
	u, ok := s.userByEmail(from)
	if !ok {
		return "", &apiError{status: http.StatusBadRequest, code: s.unknownFromCode, message: "Requester User Not Found"}
	}
	return u.ID, nil
}

// parseToken returns the key from "Token token=KEY" or "Bearer KEY", or "".
func parseToken(h string) string {
	for _, prefix := range []string{"Token token=", "Bearer "} {
		if t, ok := strings.CutPrefix(h, prefix); ok {
			return t
		}
	}
	return ""
}

// sleep waits out the injected latency, or until Close.
func (s *Server) sleep() {
	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}
