package pdapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// Limits that shape the client.
const (
	// pageLimit is the largest page PagerDuty serves (classic pagination,
	// https://developer.pagerduty.com/docs/pagination).
	pageLimit = 100
	// requestTimeout bounds one PagerDuty call; go-pagerduty's default
	// client has no timeout at all.
	requestTimeout = 10 * time.Second
)

// ErrNoRequester is returned, before anything is sent, for a write by a
// client that acts as nobody (see As): PagerDuty needs the requester's
// email in From.
var ErrNoRequester = errors.New("no requester for a PagerDuty write")

// ErrUnconfirmed is returned for a write PagerDuty accepted (a 2xx) whose
// answer does not show the incident written: the change was sent and was
// probably applied, but nothing confirms it. Never retry on it blindly.
var ErrUnconfirmed = errors.New("PagerDuty accepted the write but its answer did not show the incident")

// ErrAssigneesWithPolicy is returned, before anything is sent, for an
// update that names both assignees and an escalation policy: PagerDuty
// refuses the two together.
var ErrAssigneesWithPolicy = errors.New("PagerDuty cannot take assignees and an escalation policy in one update")

// Client is a PagerDuty client keyed for one channel and acting as one
// requester. It allow-lists every ID before it goes into a URL path
// (go-pagerduty joins them unescaped) and refuses writes without a
// requester. It is cheap to make: clients share their transport and pacers.
type Client struct {
	pd    *pagerduty.Client
	http  *http.Client
	base  string
	key   *secret // behind a pointer, so printing a Client shows no key
	keyID string  // a fingerprint of the key, for caches; never the key
	from  string  // the requester's email, sent as From on every write
	rate  *rateState
	rt    *retryTransport
}

// Format prints a client as its key's fingerprint and requester, whatever
// the verb: the key itself must never reach a log line or a test failure.
func (c Client) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "pdapi.Client{key %s, as %q}", c.keyID, c.from)
}

// secret holds the API key for the raw requests' Authorization header.
type secret struct{ key string }

func (*secret) String() string   { return "<secret>" }
func (*secret) GoString() string { return "<secret>" }

// Options tune New.
type Options struct {
	// Transport is the underlying round tripper. Nil means a tuned
	// transport (NewTransport) shared by every client made without one.
	Transport http.RoundTripper
	// Sleep replaces time.Sleep in tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// KeyIDSecret keys the fingerprint KeyID returns (HMAC-SHA256), so a
	// fingerprint that ends up stored cannot be used to test guessed keys.
	// Empty means a plain SHA-256.
	KeyIDSecret []byte
	// Pacers paces the client with every other client of its key (see
	// Pacers and InLane). Nil means no client-side limit (for checking a
	// key once).
	Pacers *Pacers
	// Lane is the pacer lane the client's requests wait in (see InLane,
	// which makes a copy in another lane).
	Lane string
	// Sent, if set, is called once for every request the client sends
	// (every attempt, retries included): what the client spends of its
	// key's budget, for callers that keep a budget of their own (the live
	// poller keeps to a tenth of the key's).
	Sent func()
}

// New returns a client for baseURL (such as https://api.pagerduty.com)
// using key.
func New(baseURL, key string, o Options) *Client {
	rt := o.Transport
	if rt == nil {
		rt = sharedTransport()
	}
	sleep := o.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	c := &Client{
		base:  strings.TrimRight(baseURL, "/"),
		key:   &secret{key},
		keyID: fingerprint(o.KeyIDSecret, key),
		rate:  &rateState{},
	}
	t := &retryTransport{next: rt, rate: c.rate, sleep: sleep, sent: o.Sent, lane: o.Lane}
	if o.Pacers != nil {
		t.pacer = o.Pacers.pacer(c.keyID)
	}
	c.wire(t)
	return c
}

// wire gives the client its HTTP and go-pagerduty clients over t.
func (c *Client) wire(t *retryTransport) {
	c.rt = t
	c.http = &http.Client{
		// No Timeout: each call has its own deadline (callCtx), which errors
		// can report, and the transport gives one to a request without
		// (retryTransport.RoundTrip). An http.Client Timeout over a
		// RoundTripper of our own costs a goroutine and a timer a request.
		Transport: t,
		// PagerDuty never redirects API calls; following one would replay a
		// write as a GET somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.pd = pagerduty.NewClient(c.key.key, pagerduty.WithAPIEndpoint(c.base))
	c.pd.HTTPClient = c.http
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
func (c *Client) KeyID() string { return c.keyID }

// As returns a copy of the client that acts as the requester with that
// email. The copy shares the original's rate-limit state: it belongs to the
// key.
func (c *Client) As(email string) *Client {
	cp := *c
	cp.from = email
	return &cp
}

// InLane returns a copy of the client whose requests wait for their turn
// in the named lane of the key's pacer: when the key's budget is scarce,
// lanes take turns, so a busy lane cannot starve the others. pdbot names a
// lane per channel. Clients that name none share one lane; a client
// without Pacers is not paced at all. The copy shares the original's
// rate-limit state, like As.
func (c *Client) InLane(lane string) *Client {
	cp := *c
	t := *c.rt
	t.lane = lane
	cp.wire(&t)
	return &cp
}

// RetryAt reports when PagerDuty said the rate limit resets, or when the
// client-side pacer would have let a refused request through, if either
// happened and lies ahead.
func (c *Client) RetryAt() (time.Time, bool) { return c.rate.get() }

// callCtx bounds one PagerDuty call.
func callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, requestTimeout)
}

// withCtx keeps a deadline or cancellation visible to errors.Is: go-pagerduty
// wraps transport errors with %v, which loses them.
func withCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return errors.Join(err, cerr)
	}
	return err
}

func (c *Client) requireFrom() error {
	if strings.TrimSpace(c.from) == "" {
		return ErrNoRequester
	}
	return nil
}

// GetIncident fetches an incident by ID.
func (c *Client) GetIncident(ctx context.Context, id string) (*pagerduty.Incident, error) {
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("get incident: malformed id")
	}
	return c.getIncident(ctx, id, id)
}

// GetIncidentByNumber fetches an incident by its number (#123): the one
// PagerDuty call that accepts a number, so a number is turned into an ID
// with it before any write.
func (c *Client) GetIncidentByNumber(ctx context.Context, number uint) (*pagerduty.Incident, error) {
	if number == 0 {
		return nil, fmt.Errorf("get incident: malformed number")
	}
	n := fmt.Sprint(number)
	return c.getIncident(ctx, n, "#"+n)
}

func (c *Client) getIncident(ctx context.Context, pathID, name string) (*pagerduty.Incident, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	inc, err := c.pd.GetIncidentWithContext(ctx, url.PathEscape(pathID))
	if err != nil {
		return nil, fmt.Errorf("get incident %s: %w", name, withCtx(ctx, err))
	}
	return inc, nil
}

// IncidentUpdate is what one update of an incident changes; empty fields
// are left alone.
type IncidentUpdate struct {
	Status           string                  `json:"status,omitempty"`
	Resolution       string                  `json:"resolution,omitempty"`
	Assignments      []pagerduty.Assignee    `json:"assignments,omitempty"`
	EscalationPolicy *pagerduty.APIReference `json:"escalation_policy,omitempty"`
	// Priority is a priority_reference (GET /priorities).
	Priority *pagerduty.APIReference `json:"priority,omitempty"`
	// EscalationLevel is a 1-based level of the incident's policy; 0 sends
	// none.
	EscalationLevel uint `json:"escalation_level,omitempty"`
}

// UpdateIncident sends one incident update as the requester
// (PUT /incidents/{id}, which go-pagerduty has no method for) and returns
// the incident as PagerDuty answers it.
func (c *Client) UpdateIncident(ctx context.Context, id string, u IncidentUpdate) (*pagerduty.Incident, error) {
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("update incident: malformed id")
	}
	if err := c.requireFrom(); err != nil {
		return nil, err
	}
	if len(u.Assignments) > 0 && u.EscalationPolicy != nil {
		return nil, ErrAssigneesWithPolicy
	}
	var body struct {
		Incident struct {
			Type string `json:"type"`
			IncidentUpdate
		} `json:"incident"`
	}
	body.Incident.Type = "incident_reference"
	body.Incident.IncidentUpdate = u
	var out struct {
		Incident *pagerduty.Incident `json:"incident"`
	}
	if err := c.Do(ctx, Call{Method: http.MethodPut, Path: []string{"incidents", id}, Body: body}, &out); err != nil {
		return nil, fmt.Errorf("update incident %s: %w", id, err)
	}
	if out.Incident == nil || out.Incident.ID != id {
		return nil, fmt.Errorf("update incident %s: %w", id, ErrUnconfirmed)
	}
	return out.Incident, nil
}

// AddNote adds a note as the requester. go-pagerduty takes the From header
// from the note's user summary, so that is where the email goes.
func (c *Client) AddNote(ctx context.Context, id, content string) (*pagerduty.IncidentNote, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidIncidentID(id) {
		return nil, fmt.Errorf("add note: malformed id")
	}
	if err := c.requireFrom(); err != nil {
		return nil, err
	}
	n := pagerduty.IncidentNote{Content: content}
	n.User.Summary = c.from
	note, err := c.pd.CreateIncidentNoteWithContext(ctx, id, n)
	if err != nil {
		return nil, fmt.Errorf("add note to %s: %w", id, withCtx(ctx, err))
	}
	return note, nil
}

// RequestResponders asks more responders to join, as the requester.
func (c *Client) RequestResponders(ctx context.Context, id, requesterID, message string, targets []pagerduty.ResponderRequestTarget) (*pagerduty.ResponderRequestResponse, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidIncidentID(id) || !ValidObjectID(requesterID) {
		return nil, fmt.Errorf("request responders: malformed id")
	}
	if err := c.requireFrom(); err != nil {
		return nil, err
	}
	o := pagerduty.ResponderRequestOptions{From: c.from, Message: message, RequesterID: requesterID}
	for _, t := range targets {
		if !ValidObjectID(t.ID) {
			return nil, fmt.Errorf("request responders: malformed target id")
		}
		o.Targets = append(o.Targets, pagerduty.ResponderRequestTargetWrapper{Target: t})
	}
	resp, err := c.pd.ResponderRequestWithContext(ctx, id, o)
	if err != nil {
		return nil, fmt.Errorf("request responders for %s: %w", id, withCtx(ctx, err))
	}
	return resp, nil
}

// ErrAmbiguousEmail is returned by FindUserByEmail when several PagerDuty
// users have the email: pdbot never guesses which of them is meant.
var ErrAmbiguousEmail = errors.New("several PagerDuty users have that email")

// SameEmail reports whether two emails are the same address for pdbot:
// equal once ASCII letters are lower-cased, and nothing more. Unicode case
// folding would make the Kelvin sign (U+212A) match "k", so an address
// someone can register elsewhere could pass for another person's.
func SameEmail(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if asciiLower(a[i]) != asciiLower(b[i]) {
			return false
		}
	}
	return true
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// FindUserByEmail returns the PagerDuty user whose email is exactly email
// (SameEmail), or nil. PagerDuty's query is a substring match, so bob@x
// also finds bobby@x; every page of the answer is read and only an exact
// match counts. Two users with the email are ErrAmbiguousEmail.
func (c *Client) FindUserByEmail(ctx context.Context, email string) (*pagerduty.User, error) {
	var found []pagerduty.User
	err := List(ctx, c, []string{"users"}, url.Values{"query": {email}}, "users", func(u pagerduty.User) bool {
		if SameEmail(u.Email, email) {
			found = append(found, u)
		}
		return len(found) < 2
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("find user: %w", err)
	case len(found) > 1:
		return nil, fmt.Errorf("find user: %w", ErrAmbiguousEmail)
	case len(found) == 1:
		return &found[0], nil
	}
	return nil, nil
}

// SearchUsers returns up to limit users matching query, and whether
// PagerDuty has more.
func (c *Client) SearchUsers(ctx context.Context, query string, limit uint) ([]pagerduty.User, bool, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	resp, err := c.pd.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{Query: query, Limit: min(limit, pageLimit)})
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", withCtx(ctx, err))
	}
	return resp.Users, resp.More, nil
}

// GetUser fetches a user by ID.
func (c *Client) GetUser(ctx context.Context, id string) (*pagerduty.User, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	if !ValidObjectID(id) {
		return nil, fmt.Errorf("get user: malformed id")
	}
	u, err := c.pd.GetUserWithContext(ctx, url.PathEscape(id), pagerduty.GetUserOptions{})
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, withCtx(ctx, err))
	}
	return u, nil
}

// SearchPolicies returns up to limit escalation policies matching query,
// and whether PagerDuty has more.
func (c *Client) SearchPolicies(ctx context.Context, query string, limit uint) ([]pagerduty.EscalationPolicy, bool, error) {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	resp, err := c.pd.ListEscalationPoliciesWithContext(ctx, pagerduty.ListEscalationPoliciesOptions{Query: query, Limit: min(limit, pageLimit)})
	if err != nil {
		return nil, false, fmt.Errorf("search escalation policies: %w", withCtx(ctx, err))
	}
	return resp.EscalationPolicies, resp.More, nil
}

// Ping checks that the key works (GET /abilities is cheap and needs only
// a valid key).
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	_, err := c.pd.ListAbilitiesWithContext(ctx)
	return withCtx(ctx, err)
}

// ErrUserToken is returned by CheckAccountKey for a user-level token.
var ErrUserToken = errors.New("a user-level PagerDuty token, not an account-level key")

// CheckAccountKey tells an account-level ("general access") key from a
// user-level token: GET /users/me answers a user token with its owner and
// an account key with a 400 (whose body is not PagerDuty's usual error
// object, so only the status counts; notes §2.8). PagerDuty ignores From
// for a user token and acts as its owner, so a user token used as a
// channel's key would make everyone act as that one person.
func (c *Client) CheckAccountKey(ctx context.Context) error {
	err := c.Do(ctx, Call{Method: http.MethodGet, Path: []string{"users", "me"}}, nil)
	var ae pagerduty.APIError
	switch {
	case err == nil:
		return ErrUserToken
	case errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest:
		return nil
	}
	return fmt.Errorf("check key kind: %w", err)
}
