package pdapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PagerDuty's limit per account key: 960 requests a minute, told on every
// answer by ratelimit-limit, ratelimit-remaining and ratelimit-reset
// (notes §1.5; https://support.pagerduty.com/docs/rest-api-rate-limits).
const (
	// PerKeyRate and PerKeyBurst pace a key before any of PagerDuty's
	// ratelimit-* headers has been seen (a cold start, or answers that stop
	// carrying them). A token bucket lets at most burst + rate×60 s through
	// in any minute, so 240 + 12/s × 60 s = 960: the burst of a busy
	// incident goes through at once, and a flood cannot pass PagerDuty's
	// limit even knowing nothing of it. Once the headers are known the rate
	// becomes PagerDuty's own (ratelimit-limit a minute, 16/s) and what
	// PagerDuty says remains caps it.
	PerKeyRate  = rate.Limit(12)
	PerKeyBurst = 240
	// rateWindow is what ratelimit-limit counts over: PagerDuty documents
	// its limits per minute.
	rateWindow = time.Minute
	// blindProbe is how often a key whose budget PagerDuty said was spent,
	// and whose reset has passed with no fresh word since, may try one
	// request again: the answer (or its 429) tells the pacer where it
	// stands.
	blindProbe = time.Second
)

// Rate-limit headers, as Go canonicalises PagerDuty's lower-case names.
const (
	hdrLimit     = "Ratelimit-Limit"
	hdrRemaining = "Ratelimit-Remaining"
	hdrReset     = "Ratelimit-Reset"
)

// ErrPaced is wrapped by the error of a request that the key's pacer did
// not send, because it would have waited past maxRateLimitWait (or its
// deadline) for PagerDuty's budget. Client.RetryAt says when to try again.
// go-pagerduty flattens transport errors into text, so only Do's errors
// keep it for errors.Is.
var ErrPaced = errors.New("pagerduty client-side rate limit")

// Pacers holds one pacer per API key (by KeyID), shared by every Client
// built with it, so one replica stays within PagerDuty's per-key limit
// instead of running into 429s, and the channels that share a key take
// turns. A process holds one; its zero value is not usable: use NewPacers.
//
// A key's pacer follows PagerDuty's numbers: it sends while what the last
// answer said remains (ratelimit-remaining), less the requests sent since
// whose answers have not come back, and when that is spent it waits for
// ratelimit-reset. Within that budget it spreads requests with a token
// bucket at PagerDuty's sustained rate (ratelimit-limit a minute) that lets
// a burst through at once. Requests that must wait queue in lanes (see
// Client.InLane), served in turn, so one busy channel cannot starve the
// others; no request waits longer than maxRateLimitWait: past it the
// caller is told when to try again (Client.RetryAt).
type Pacers struct {
	coldRate rate.Limit
	burst    int
	mu       sync.Mutex
	byKey    map[string]*pacer
}

// NewPacers returns an empty table whose keys may send burst requests at
// once and limit a second after that until PagerDuty's headers are known;
// pdbot uses PerKeyRate and PerKeyBurst.
func NewPacers(limit rate.Limit, burst int) *Pacers {
	return &Pacers{coldRate: limit, burst: burst, byKey: map[string]*pacer{}}
}

// pacer returns the pacer of one key, making it on first use.
func (p *Pacers) pacer(keyID string) *pacer {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc, ok := p.byKey[keyID]
	if !ok {
		pc = &pacer{coldRate: p.coldRate, bucket: rate.NewLimiter(p.coldRate, p.burst), lanes: map[string]*lane{}}
		p.byKey[keyID] = pc
	}
	return pc
}

// pacer paces one key: a fair queue of lanes in front of two gates, the
// bucket that spreads requests and the budget PagerDuty last told of.
type pacer struct {
	mu       sync.Mutex
	coldRate rate.Limit
	bucket   *rate.Limiter

	// What PagerDuty said in the answer to the latest-sent request that
	// carried the headers; known is false before any (a cold start).
	known     bool
	limit     int
	remaining int // decremented for answers that may have counted unseen
	resetAt   time.Time
	credits   int    // requests resetAt has let through since the header
	headerSeq uint64 // the request whose answer said it

	// spent is set while the budget is spent, with the bucket's tokens
	// when it was found so.
	spent       bool
	spentTokens float64

	seq      uint64 // the last request granted
	inFlight int    // granted requests whose answers have not come back

	lanes map[string]*lane // lanes with waiters
	order []*lane          // the same lanes, next to serve first
	timer *time.Timer      // wakes the queue when a gate may open
}

// lane is one caller's queue of waiting requests.
type lane struct {
	name string
	q    []*waiter
}

// waiter is a request waiting for its turn. ready receives its ticket
// when it is granted.
type waiter struct {
	lane    *lane
	ready   chan ticket
	granted bool
}

// ticket is a granted request; done must be called with its answer.
type ticket struct{ seq uint64 }

// acquire waits for the request's turn in its lane. It refuses at once,
// with when to try again, if the wait would pass maxRateLimitWait or ctx's
// deadline, and gives up (the same way) when the wait runs longer than
// foreseen.
func (p *pacer) acquire(ctx context.Context, laneName string) (ticket, time.Time, error) {
	p.mu.Lock()
	now := time.Now()
	p.credit(now)
	if len(p.order) == 0 && p.open(now, 1) {
		t := p.grant(now)
		p.mu.Unlock()
		return t, time.Time{}, nil
	}
	limit := maxRateLimitWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, dl.Sub(now))
	}
	l := p.lanes[laneName]
	if l == nil {
		l = &lane{name: laneName}
	}
	if wait := p.foresee(now, p.position(l)); wait > limit {
		p.mu.Unlock()
		return ticket{}, retryAt(now, wait), fmt.Errorf("%w: the key's budget allows this request in %v", ErrPaced, wait.Round(time.Millisecond))
	}
	w := &waiter{lane: l, ready: make(chan ticket, 1)}
	if len(l.q) == 0 {
		p.lanes[laneName] = l
		p.order = append(p.order, l)
	}
	l.q = append(l.q, w)
	p.dispatch(now)
	p.mu.Unlock()

	giveUp := time.NewTimer(limit)
	defer giveUp.Stop()
	select {
	case t := <-w.ready:
		return t, time.Time{}, nil
	case <-giveUp.C:
		at, err := p.leave(w, time.Now())
		if err == nil {
			return <-w.ready, time.Time{}, nil
		}
		return ticket{}, at, err
	case <-ctx.Done():
		if _, err := p.leave(w, time.Now()); err == nil {
			p.done(<-w.ready, nil, false)
		}
		return ticket{}, time.Time{}, ctx.Err()
	}
}

// leave takes a waiter that gave up out of its lane, returning when it
// might have gone; if it was granted meanwhile it stays granted (nil error).
func (p *pacer) leave(w *waiter, now time.Time) (time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.granted {
		return time.Time{}, nil
	}
	l := w.lane
	for i, x := range l.q {
		if x == w {
			l.q = append(l.q[:i], l.q[i+1:]...)
			break
		}
	}
	if len(l.q) == 0 {
		p.drop(l)
	}
	wait := p.foresee(now, p.position(l))
	return retryAt(now, wait), fmt.Errorf("%w: waited %v for the key's budget", ErrPaced, maxRateLimitWait)
}

// retryAt is when a refused request may try again: at least a second on
// (so the advice names a time ahead), at most a minute (PagerDuty's window).
func retryAt(now time.Time, wait time.Duration) time.Time {
	return now.Add(min(max(wait, time.Second), rateWindow))
}

// drop removes an empty lane from the queue.
func (p *pacer) drop(l *lane) {
	delete(p.lanes, l.name)
	for i, x := range p.order {
		if x == l {
			p.order = append(p.order[:i], p.order[i+1:]...)
			return
		}
	}
}

// position is where a request joining lane l would be served: lanes take
// turns, so it goes after as many of each other lane's waiters as its own
// lane has ahead of it, plus one.
func (p *pacer) position(l *lane) int {
	ahead := len(l.q)
	n := ahead + 1
	for _, o := range p.order {
		if o != l {
			n += min(len(o.q), ahead+1)
		}
	}
	return n
}

// foresee estimates how long until n more requests may go.
func (p *pacer) foresee(now time.Time, n int) time.Duration {
	var wait time.Duration
	if tokens := p.bucket.TokensAt(now); tokens < float64(n) {
		r := float64(p.bucket.Limit())
		if r <= 0 {
			return math.MaxInt64
		}
		wait = time.Duration((float64(n) - tokens) / r * float64(time.Second))
	}
	if p.known && p.budget() < n && now.Before(p.resetAt) {
		wait = max(wait, p.resetAt.Sub(now))
	}
	return wait
}

// budget is what PagerDuty's last word leaves for requests not yet sent.
func (p *pacer) budget() int { return p.remaining - p.inFlight }

// credit counts the request a passed reset lets through: by then at least
// one of the requests PagerDuty counted has left its window. After that,
// a key whose budget is spent with nothing in flight (its answers stopped
// saying anything) may try one request a blindProbe, whose answer tells
// the pacer where it stands.
func (p *pacer) credit(now time.Time) {
	if !p.known || now.Before(p.resetAt) {
		return
	}
	if p.credits > 0 && (p.budget() > 0 || p.inFlight > 0) {
		return
	}
	p.remaining++
	p.credits++
	p.resetAt = now.Add(blindProbe)
}

// open reports whether n requests may go now. The bucket does not fill
// while PagerDuty's budget is spent: tokens saved up while nothing could go
// would only send the next burst into the same wall, and leave the key
// spent again for most of the next minute.
func (p *pacer) open(now time.Time, n int) bool {
	if p.known && p.budget() < n {
		if !p.spent {
			p.spent, p.spentTokens = true, p.bucket.TokensAt(now)
		}
		return false
	}
	if p.spent {
		p.spent = false
		if extra := p.bucket.TokensAt(now) - p.spentTokens; extra >= 1 {
			p.bucket.AllowN(now, int(extra))
		}
	}
	return p.bucket.TokensAt(now) >= float64(n)
}

// grant lets one request go. The caller holds p.mu.
func (p *pacer) grant(now time.Time) ticket {
	p.bucket.AllowN(now, 1)
	p.inFlight++
	p.seq++
	return ticket{seq: p.seq}
}

// dispatch grants waiting requests, lane after lane, while the gates are
// open, and sets the timer for when they may open again. The caller holds
// p.mu.
func (p *pacer) dispatch(now time.Time) {
	p.credit(now)
	for len(p.order) > 0 && p.open(now, 1) {
		l := p.order[0]
		w := l.q[0]
		l.q = l.q[1:]
		p.order = p.order[1:]
		if len(l.q) > 0 {
			p.order = append(p.order, l)
		} else {
			delete(p.lanes, l.name)
		}
		w.granted = true
		w.ready <- p.grant(now)
	}
	if len(p.order) == 0 {
		if p.timer != nil {
			p.timer.Stop()
		}
		return
	}
	wake, ok := p.nextOpen(now)
	if !ok {
		return // an answer in flight will open the budget
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(wake, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.dispatch(time.Now())
		})
		return
	}
	p.timer.Reset(wake)
}

// nextOpen is how long until a closed gate may open; false when only an
// answer can open it.
func (p *pacer) nextOpen(now time.Time) (time.Duration, bool) {
	var wait time.Duration
	if tokens := p.bucket.TokensAt(now); tokens < 1 {
		r := float64(p.bucket.Limit())
		if r <= 0 {
			return 0, false
		}
		wait = time.Duration(math.Ceil((1 - tokens) / r * float64(time.Second)))
	}
	if p.known && p.budget() < 1 {
		if p.credits > 0 && p.inFlight > 0 {
			return 0, false
		}
		wait = max(wait, p.resetAt.Sub(now))
	}
	return max(wait, 0), true
}

// done records the answer to a granted request: resp nil for a request
// that failed without one; sent false for one never sent.
func (p *pacer) done(t ticket, resp *http.Response, sent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.inFlight--
	switch {
	case !sent:
	case resp == nil:
		// It may have been counted, unseen.
		p.remaining--
	default:
		limit, remaining, reset, ok := rateHeaders(resp.Header)
		switch {
		case !ok:
			// PagerDuty's numbers are no longer known: back to the cold
			// bucket, which keeps under the limit on its own.
			if p.known {
				p.known = false
				p.bucket.SetLimitAt(now, p.coldRate)
			}
		case t.seq < p.headerSeq:
			// An older request's answer: PagerDuty may have counted it
			// after the one that spoke last.
			p.remaining--
		default:
			if !p.known || limit != p.limit {
				p.bucket.SetLimitAt(now, rate.Limit(float64(limit)/rateWindow.Seconds()))
			}
			p.known, p.limit, p.remaining, p.headerSeq = true, limit, remaining, t.seq
			p.resetAt, p.credits = now.Add(reset), 0
		}
	}
	p.dispatch(now)
}

// rateHeaders reads PagerDuty's ratelimit-* headers; ok is false unless all
// three are there and whole numbers.
func rateHeaders(h http.Header) (limit, remaining int, reset time.Duration, ok bool) {
	var v [3]int
	for i, k := range []string{hdrLimit, hdrRemaining, hdrReset} {
		n, err := strconv.Atoi(strings.TrimSpace(h.Get(k)))
		if err != nil || n < 0 {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	if v[0] == 0 {
		return 0, 0, 0, false
	}
	return v[0], v[1], time.Duration(v[2]) * time.Second, true
}
