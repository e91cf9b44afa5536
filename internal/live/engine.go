package live

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// Limits of the poller.
const (
	// keyBudget is PagerDuty's limit per account key, 960 requests a
	// minute (https://support.pagerduty.com/docs/rest-api-rate-limits),
	// and pollerShare the part of it the poller may spend, so people's
	// commands always find most of the key's budget free.
	keyBudget   = 960
	pollerShare = keyBudget / 10
	// budgetWindow is what keyBudget counts over.
	budgetWindow = time.Minute
	// maxLeaseTTL bounds a poll lease: a dead holder's key is taken over
	// within 30 s (DESIGN.md, "Exactly once, across replicas").
	maxLeaseTTL = 30 * time.Second
	// claimTTL keeps an effect's claim longer than any cursor can lag.
	claimTTL = 48 * time.Hour
	// followResolved is how long a resolved incident's card is followed
	// (DESIGN.md, "Live cards").
	followResolved = 24 * time.Hour
	// overlap is how far behind its newest entry a cursor restarts, so an
	// entry PagerDuty lists late (a second it already showed) is still
	// seen; the entries of that window are remembered by ID.
	overlap = 5 * time.Second
	// firstLookBack bounds how far before now the first poll of a key
	// reaches back for the work that made it pollable: no history replay.
	firstLookBack = time.Minute
)

// Slack's posting limits (https://docs.slack.dev/apis/web-api/rate-limits):
// chat.postMessage about one a second per channel with short bursts,
// chat.update Tier 3 (50+ a minute).
const (
	postRate    = rate.Limit(1)
	postBurst   = 3
	updateRate  = rate.Limit(50.0 / 60)
	updateBurst = 10
	// maxSlackRetries and maxRetryAfter bound how often and how long one
	// Slack call waits on a 429 within a poll.
	maxSlackRetries = 5
	maxRetryAfter   = 30 * time.Second
)

// Store is what the engine keeps: the live records, claims and keys.
type Store interface {
	store.LiveStore
	APIKey(ctx context.Context, team, channel string) (store.Secret, error)
	Claim(ctx context.Context, id string, ttl time.Duration) (bool, error)
}

// Slack is the part of slack-go's client the engine calls.
type Slack interface {
	PostMessageContext(ctx context.Context, channel string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channel, ts string, options ...slack.MsgOption) (string, string, string, error)
}

// Config is what an Engine needs; bot builds it.
type Config struct {
	Store Store
	Slack Slack
	// Client returns a PagerDuty client for key, paced with the bot's other
	// clients of that key, that calls sent for every request it sends.
	Client func(key store.Secret, sent func()) *pdapi.Client
	Logger *zap.Logger
	// Interval is PDBOT_POLL_INTERVAL; it must be positive.
	Interval time.Duration
	// Replica names this process among the replicas sharing the store
	// (the lease holder).
	Replica string
	// Now replaces time.Now.
	Now func() time.Time
	// Tick, if set, replaces the interval's ticker (tests): one poll round
	// per value received.
	Tick <-chan time.Time
	// Polled, if set, is called after every poll round.
	Polled func()
}

// Engine is the poller. Run it once.
type Engine struct {
	cfg Config
	log *zap.Logger
	now func() time.Time

	mu      sync.Mutex
	budgets map[string]*budget       // by key ID
	posts   map[string]*rate.Limiter // by channel
	updates *rate.Limiter
	held    map[string]bool // leases this replica holds, by name
	polling map[string]bool // keys whose poll is under way, by key ID
	soon    chan struct{}   // PollSoon's signal (buffered, one)

	polls sync.WaitGroup // polls under way, and Polled calls to come
}

// New returns an engine; it starts nothing.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Store == nil || cfg.Slack == nil || cfg.Client == nil:
		return nil, errors.New("live: store, slack and client are required")
	case cfg.Interval <= 0:
		return nil, errors.New("live: the poll interval must be positive")
	case cfg.Replica == "":
		return nil, errors.New("live: no replica name")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{
		cfg: cfg, log: cfg.Logger.With(zap.String("replica", cfg.Replica)), now: cfg.Now,
		budgets: map[string]*budget{},
		posts:   map[string]*rate.Limiter{},
		updates: rate.NewLimiter(updateRate, updateBurst),
		held:    map[string]bool{},
		polling: map[string]bool{},
		soon:    make(chan struct{}, 1),
	}, nil
}

// PollSoon asks for a round now rather than at the next tick: a PagerDuty
// webhook said something changed. Rounds still keep to each key's share of
// its budget, and a burst of signals makes one round.
func (e *Engine) PollSoon() {
	select {
	case e.soon <- struct{}{}:
	default:
	}
}

// leaseTTL is about three intervals, so one missed poll does not hand the
// key over, and at most maxLeaseTTL.
func (e *Engine) leaseTTL() time.Duration {
	return min(3*e.cfg.Interval, maxLeaseTTL)
}

// Run polls every interval until ctx ends, then releases the leases it
// holds. A poll that is under way when ctx ends finishes the effect in
// progress and stores its cursor first; Run waits for it.
func (e *Engine) Run(ctx context.Context) {
	tick := e.cfg.Tick
	if tick == nil {
		t := time.NewTicker(e.cfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	defer e.releaseAll()
	defer e.polls.Wait()
	// The replica's name is what the store's leases name as their holder:
	// an operator (or a test) maps a lease to its process by this line.
	e.log.Info("live: polling", zap.Duration("interval", e.cfg.Interval))
	// The first round goes at once, so a restart resumes without waiting.
	if e.cfg.Tick == nil {
		e.round(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			e.round(ctx)
		case <-e.soon:
			e.round(ctx)
		}
	}
}

// round polls every key that has work, each in a goroutine of its own,
// and returns without waiting for them. A key whose poll of an earlier
// round is still under way (held up by Slack's pace, say) is left to it:
// it is never polled twice at once, and never holds up the other keys —
// among them the keys of a replica that died, whose leases this replica
// may take over as soon as they run out. Polled is called once the polls
// this round started are over.
func (e *Engine) round(ctx context.Context) {
	keys, err := e.workList(ctx)
	if err != nil && ctx.Err() == nil {
		e.log.Warn("live: work list not read", logsafe.Err(err))
	}
	var wg sync.WaitGroup
	for _, k := range keys {
		if !e.beginPoll(k.id) {
			continue
		}
		wg.Go(func() {
			defer e.endPoll(k.id)
			e.pollKey(ctx, k)
		})
	}
	e.polls.Go(func() {
		wg.Wait()
		if e.cfg.Polled != nil {
			e.cfg.Polled()
		}
	})
}

// beginPoll marks keyID's poll as under way; false means it already is.
func (e *Engine) beginPoll(keyID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.polling[keyID] {
		return false
	}
	e.polling[keyID] = true
	return true
}

func (e *Engine) endPoll(keyID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.polling, keyID)
}

// releaseAll frees this replica's leases so another takes over at once.
func (e *Engine) releaseAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.mu.Lock()
	names := make([]string, 0, len(e.held))
	for n := range e.held {
		names = append(names, n)
	}
	clear(e.held)
	e.mu.Unlock()
	for _, n := range names {
		if err := e.cfg.Store.ReleaseLease(ctx, n, e.cfg.Replica); err != nil {
			e.log.Warn("live: lease not released", zap.String("lease", n), logsafe.Err(err))
		}
	}
}

// budget counts a key's poller requests over the last budgetWindow.
type budget struct {
	mu   sync.Mutex
	sent []time.Time
}

func (b *budget) add(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, now)
}

// used is how many requests went out in the window ending at now.
func (b *budget) used(now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := 0
	for i < len(b.sent) && now.Sub(b.sent[i]) >= budgetWindow {
		i++
	}
	b.sent = b.sent[i:]
	return len(b.sent)
}

func (e *Engine) budgetOf(keyID string) *budget {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.budgets[keyID]
	if b == nil {
		b = &budget{}
		e.budgets[keyID] = b
	}
	return b
}

// postLimiter paces chat.postMessage in one channel.
func (e *Engine) postLimiter(channel string) *rate.Limiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.posts[channel]
	if l == nil {
		l = rate.NewLimiter(postRate, postBurst)
		e.posts[channel] = l
	}
	return l
}
