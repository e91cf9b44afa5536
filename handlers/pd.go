package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"golang.org/x/time/rate"
)

// PagerDuty limits that shape the client (https://developer.pagerduty.com/docs/rest-api-rate-limits).
const (
	// PerKeyRate and PerKeyBurst pace one replica's requests with one key
	// under PagerDuty's limit of 960 requests a minute per key. A token
	// bucket lets at most burst + rate×60 s through in any minute, so
	// 240 + 12/s × 60 s = 960: the burst of a busy incident goes through at
	// once, and only a sustained flood waits (several replicas together can
	// still meet a 429, which the retry transport handles).
	PerKeyRate  = rate.Limit(12)
	PerKeyBurst = 240
	// pdPageLimit is the largest page PagerDuty serves (classic pagination).
	pdPageLimit = 100
	// pdRequestTimeout bounds one HTTP exchange; go-pagerduty's default
	// client has no timeout at all.
	pdRequestTimeout = 10 * time.Second
	// maxRateLimitWait caps how long we honour ratelimit-reset inside a
	// request: past it, the user is told when to try again instead.
	maxRateLimitWait = 2 * time.Second
	// maxRetries bounds retries of one request.
	maxRetries = 2
)

// PD is a PagerDuty client keyed for one channel and acting as one requester.
// It allow-lists every ID before it goes into a URL path (go-pagerduty joins
// them unescaped) and refuses writes without a requester.
type PD struct {
	c     *pagerduty.Client
	keyID string // a fingerprint of the key, for caches; never the key
	from  string // the requester's email, sent as From on every write
	rate  *rateState
}

// PDOptions tune NewPD.
type PDOptions struct {
	// Transport is the underlying round tripper (default http.DefaultTransport).
	Transport http.RoundTripper
	// Sleep replaces time.Sleep in tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// KeyIDSecret keys the fingerprint KeyID returns (HMAC-SHA256), so a
	// fingerprint that ends up stored cannot be used to test guessed keys.
	// Empty means a plain SHA-256.
	KeyIDSecret []byte
	// Limiter returns the client-side limiter shared by every client of one
	// key (by KeyID), so pdbot stays under PagerDuty's per-key limit instead
	// of running into 429s. Nil means no client-side limit.
	Limiter func(keyID string) *rate.Limiter
}

// NewPD returns a client for baseURL (no trailing slash) using key.
func NewPD(baseURL, key string, o PDOptions) *PD {
	rs := &rateState{}
	rt := o.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	sleep := o.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	keyID := fingerprint(o.KeyIDSecret, key)
	var limiter *rate.Limiter
	if o.Limiter != nil {
		limiter = o.Limiter(keyID)
	}
	c := pagerduty.NewClient(key, pagerduty.WithAPIEndpoint(strings.TrimRight(baseURL, "/")))
	c.HTTPClient = &http.Client{
		// A backstop: each call also gets its own deadline (callCtx), which
		// errors can report, unlike this timeout that go-pagerduty flattens.
		Timeout:   pdRequestTimeout + time.Second,
		Transport: &retryTransport{next: rt, rate: rs, sleep: sleep, limiter: limiter},
		// PagerDuty never redirects API calls; following one would replay a
		// write as a GET somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &PD{c: c, rate: rs, keyID: keyID}
}

func fingerprint(secret []byte, key string) string {
	if len(secret) == 0 {
		sum := sha256.Sum256([]byte(key))
		return hex.EncodeToString(sum[:8])
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// KeyID is a fingerprint of the client's key: equal keys, equal IDs. Caches
// use it so answers given for one key never serve another.
func (p *PD) KeyID() string { return p.keyID }

// As returns a copy of the client that acts as the requester with that email.
func (p *PD) As(email string) *PD {
	cp := *p
	cp.from = email
	return &cp
}

// From returns the requester's email.
func (p *PD) From() string { return p.from }

// RetryAt reports when PagerDuty said the rate limit resets, if it did.
func (p *PD) RetryAt() (time.Time, bool) { return p.rate.get() }

var errNoRequester = errors.New("no requester for a PagerDuty write")

// callCtx bounds one PagerDuty call.
func callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, pdRequestTimeout)
}

// withCtx keeps a deadline or cancellation visible to errors.Is: go-pagerduty
// wraps transport errors with %v, which loses them.
func withCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return errors.Join(err, cerr)
	}
	return err
}

func (p *PD) requireFrom() error {
	if strings.TrimSpace(p.from) == "" {
		return errNoRequester
	}
	return nil
}

// GetIncident fetches an incident by ID or number.
func (p *PD) GetIncident(ctx context.Context, ref Ref) (*pagerduty.Incident, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if ref.IsZero() || (ref.ID != "" && !ValidIncidentID(ref.ID)) {
		return nil, fmt.Errorf("get incident: malformed reference")
	}
	inc, err := p.c.GetIncidentWithContext(ctx, url.PathEscape(ref.PathID()))
	if err != nil {
		return nil, fmt.Errorf("get incident %s: %w", ref, withCtx(ctx, err))
	}
	return inc, nil
}

// UpdateIncident sends one incident update (PUT /incidents with a single item:
// go-pagerduty has no single-incident update method).
func (p *PD) UpdateIncident(ctx context.Context, id string, o pagerduty.ManageIncidentsOptions) (*pagerduty.Incident, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("update incident: malformed id")
	}
	if err := p.requireFrom(); err != nil {
		return nil, err
	}
	if len(o.Assignments) > 0 && o.EscalationPolicy != nil {
		return nil, &UserError{Msg: "PagerDuty cannot take assignees and an escalation policy in one update: do one, then the other."}
	}
	o.ID = id
	o.Type = "incident"
	resp, err := p.c.ManageIncidentsWithContext(ctx, p.from, []pagerduty.ManageIncidentsOptions{o})
	if err != nil {
		return nil, fmt.Errorf("update incident %s: %w", id, withCtx(ctx, err))
	}
	for i := range resp.Incidents {
		if resp.Incidents[i].ID == id {
			return &resp.Incidents[i], nil
		}
	}
	return nil, fmt.Errorf("update incident %s: PagerDuty's answer did not include it", id)
}

// AddNote adds a note as the requester. go-pagerduty takes the From header
// from the note's user summary, so that is where the email goes.
func (p *PD) AddNote(ctx context.Context, id, content string) (*pagerduty.IncidentNote, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("add note: malformed id")
	}
	if err := p.requireFrom(); err != nil {
		return nil, err
	}
	n := pagerduty.IncidentNote{Content: content}
	n.User.Summary = p.from
	note, err := p.c.CreateIncidentNoteWithContext(ctx, id, n)
	if err != nil {
		return nil, fmt.Errorf("add note to %s: %w", id, withCtx(ctx, err))
	}
	return note, nil
}

// RequestResponders asks more responders to join, as the requester.
func (p *PD) RequestResponders(ctx context.Context, id, requesterID, message string, targets []pagerduty.ResponderRequestTarget) (*pagerduty.ResponderRequestResponse, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidIncidentID(id) || !ValidObjectID(requesterID) {
		return nil, fmt.Errorf("request responders: malformed id")
	}
	if err := p.requireFrom(); err != nil {
		return nil, err
	}
	o := pagerduty.ResponderRequestOptions{From: p.from, Message: message, RequesterID: requesterID}
	for _, t := range targets {
		if !ValidObjectID(t.ID) {
			return nil, fmt.Errorf("request responders: malformed target id")
		}
		o.Targets = append(o.Targets, pagerduty.ResponderRequestTargetWrapper{Target: t})
	}
	resp, err := p.c.ResponderRequestWithContext(ctx, id, o)
	if err != nil {
		return nil, fmt.Errorf("request responders for %s: %w", id, withCtx(ctx, err))
	}
	return resp, nil
}

// FindUserByEmail returns the PagerDuty user whose email is exactly email
// (case-insensitive). PagerDuty's query is a substring match, so bob@x also
// finds bobby@x; only an exact match counts.
func (p *PD) FindUserByEmail(ctx context.Context, email string) (*pagerduty.User, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	resp, err := p.c.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{Query: email, Limit: pdPageLimit})
	if err != nil {
		return nil, fmt.Errorf("find user: %w", withCtx(ctx, err))
	}
	for i := range resp.Users {
		if strings.EqualFold(resp.Users[i].Email, email) {
			return &resp.Users[i], nil
		}
	}
	return nil, nil
}

// SearchUsers returns up to limit users matching query, and whether
// PagerDuty has more.
func (p *PD) SearchUsers(ctx context.Context, query string, limit uint) ([]pagerduty.User, bool, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	resp, err := p.c.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{Query: query, Limit: min(limit, pdPageLimit)})
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", withCtx(ctx, err))
	}
	return resp.Users, resp.More, nil
}

// GetUser fetches a user by ID.
func (p *PD) GetUser(ctx context.Context, id string) (*pagerduty.User, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidObjectID(id) {
		return nil, fmt.Errorf("get user: malformed id")
	}
	u, err := p.c.GetUserWithContext(ctx, url.PathEscape(id), pagerduty.GetUserOptions{})
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, withCtx(ctx, err))
	}
	return u, nil
}

// SearchPolicies returns up to limit escalation policies matching query,
// and whether PagerDuty has more.
func (p *PD) SearchPolicies(ctx context.Context, query string, limit uint) ([]pagerduty.EscalationPolicy, bool, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	resp, err := p.c.ListEscalationPoliciesWithContext(ctx, pagerduty.ListEscalationPoliciesOptions{Query: query, Limit: min(limit, pdPageLimit)})
	if err != nil {
		return nil, false, fmt.Errorf("search escalation policies: %w", withCtx(ctx, err))
	}
	return resp.EscalationPolicies, resp.More, nil
}

// GetPolicy fetches an escalation policy by ID.
func (p *PD) GetPolicy(ctx context.Context, id string) (*pagerduty.EscalationPolicy, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidObjectID(id) {
		return nil, fmt.Errorf("get escalation policy: malformed id")
	}
	ep, err := p.c.GetEscalationPolicyWithContext(ctx, url.PathEscape(id), &pagerduty.GetEscalationPolicyOptions{})
	if err != nil {
		return nil, fmt.Errorf("get escalation policy %s: %w", id, withCtx(ctx, err))
	}
	return ep, nil
}

// HasAbility reports whether the account has an ability (e.g.
// coordinated_responding, needed for responder requests).
func (p *PD) HasAbility(ctx context.Context, ability string) (bool, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	resp, err := p.c.ListAbilitiesWithContext(ctx)
	if err != nil {
		return false, fmt.Errorf("list abilities: %w", withCtx(ctx, err))
	}
	for _, a := range resp.Abilities {
		if a == ability {
			return true, nil
		}
	}
	return false, nil
}

// Ping checks that the key works (GET /abilities is cheap and needs only
// a valid key).
func (p *PD) Ping(ctx context.Context) error {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	_, err := p.c.ListAbilitiesWithContext(ctx)
	return withCtx(ctx, err)
}

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
// one may have landed.
type retryTransport struct {
	next    http.RoundTripper
	rate    *rateState
	sleep   func(ctx context.Context, d time.Duration) error
	limiter *rate.Limiter
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if t.limiter != nil {
			if err := t.limiter.Wait(req.Context()); err != nil {
				// go-pagerduty flattens transport errors, so the reason
				// travels through the client's rate state (see Explain).
				res := t.limiter.Reserve()
				t.rate.set(time.Now().Add(min(res.Delay(), time.Minute)))
				res.Cancel()
				return nil, fmt.Errorf("pagerduty client-side rate limit: %w", err)
			}
		}
		resp, err := t.next.RoundTrip(req)
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

func drain(resp *http.Response) {
	if resp.Body != nil {
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
