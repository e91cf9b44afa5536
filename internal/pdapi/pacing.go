package pdapi

import (
	"sync"

	"golang.org/x/time/rate"
)

// PagerDuty's limit per account key (https://developer.pagerduty.com/docs/rest-api-rate-limits).
const (
	// PerKeyRate and PerKeyBurst pace one replica's requests with one key
	// under PagerDuty's limit of 960 requests a minute per key. A token
	// bucket lets at most burst + rate×60 s through in any minute, so
	// 240 + 12/s × 60 s = 960: the burst of a busy incident goes through at
	// once, and only a sustained flood waits (several replicas together can
	// still meet a 429, which the retry transport handles).
	PerKeyRate  = rate.Limit(12)
	PerKeyBurst = 240
)

// Pacers holds one client-side rate limiter per API key (by KeyID), shared
// by every Client built with it, so one replica stays under PagerDuty's
// per-key limit instead of running into 429s. A process holds one; its zero
// value is not usable: use NewPacers.
type Pacers struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	byKey map[string]*rate.Limiter
}

// NewPacers returns an empty table that lets each key send burst requests
// at once and limit a second after that; pdbot uses PerKeyRate and
// PerKeyBurst.
func NewPacers(limit rate.Limit, burst int) *Pacers {
	return &Pacers{limit: limit, burst: burst, byKey: map[string]*rate.Limiter{}}
}

// pacer returns the limiter of one key, making it on first use.
func (p *Pacers) pacer(keyID string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.byKey[keyID]
	if !ok {
		l = rate.NewLimiter(p.limit, p.burst)
		p.byKey[keyID] = l
	}
	return l
}
