package store

import (
	"container/heap"
	"crypto/sha256"
	"errors"
	"sync"
)

const (
	// memClaimsMax bounds the live claims a bolt store holds in memory
	// (about 60 bytes each). bot claims each envelope for 10 minutes; a
	// million is over 1,600 envelopes a second for all of that time, far
	// beyond what Slack delivers to one app. Past it Claim fails rather
	// than forget a live claim, and bot then refuses writes.
	memClaimsMax = 1 << 20
	// memClaimSweep caps how many expired claims one Claim removes, so
	// its cost stays flat however many have piled up; each Claim adds at
	// most one, so the sweep keeps up.
	memClaimSweep = 64
)

// errClaimsFull is returned by Claim when memClaimsMax claims are live.
var errClaimsFull = errors.New("store: too many live de-duplication claims")

// claimRec is a claim and when it expires (unix ns, the wall clock, so it
// means the same after a restart).
type claimRec struct {
	id  string
	exp int64
}

// claimKey stands for a claim's id in memory: its SHA-256, cut to 128
// bits, so that no two ids of a store's lifetime share one. Kept by id
// string, every live claim was a pointer for each collection to follow:
// 10 minutes of a busy bot's envelopes are a few hundred thousand, and
// the collector's marking grew with them (BENCHMARKS.md).
type claimKey [16]byte

func keyOf(id string) claimKey {
	sum := sha256.Sum256([]byte(id))
	return claimKey(sum[:16])
}

// expiring is a live claim in the expiry heap.
type expiring struct {
	key claimKey
	exp int64
}

// memClaims are a bolt store's de-duplication claims. bbolt locks its file
// to one process, so no other replica can claim the same id: a map decides,
// with no transaction on the request's path. Claims reach the file behind
// it (pending, written with the next audit batch) so that a restart, clean
// or not, still knows them; see boltStore.Claim for what a crash can lose.
type memClaims struct {
	mu      sync.Mutex
	live    map[claimKey]int64 // keyOf(id) → expiry
	byExp   claimHeap          // every live claim, and stale entries of re-claimed ids
	pending []claimRec         // claimed, not yet in the file
}

func newMemClaims() *memClaims {
	return &memClaims{live: make(map[claimKey]int64)}
}

// claim takes id until exp unless a live claim holds it; now is the current
// time in unix ns.
func (m *memClaims) claim(id string, now, exp int64) (bool, error) {
	k := keyOf(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now, memClaimSweep)
	old, held := m.live[k]
	if held && old > now {
		return false, nil
	}
	if !held && len(m.live) >= memClaimsMax {
		return false, errClaimsFull
	}
	m.live[k] = exp
	heap.Push(&m.byExp, expiring{key: k, exp: exp})
	if len(m.pending) < memClaimsMax {
		m.pending = append(m.pending, claimRec{id: id, exp: exp})
	}
	return true, nil
}

// load adds a claim read from the file (not pending: it is there already).
func (m *memClaims) load(id string, exp int64) {
	k := keyOf(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.live) >= memClaimsMax {
		return
	}
	m.live[k] = exp
	heap.Push(&m.byExp, expiring{key: k, exp: exp})
}

// sweep drops up to limit expired claims, soonest-expiring first. m.mu is held.
func (m *memClaims) sweep(now int64, limit int) {
	for i := 0; i < limit && len(m.byExp) > 0 && m.byExp[0].exp <= now; i++ {
		c := heap.Pop(&m.byExp).(expiring)
		if m.live[c.key] == c.exp { // not re-claimed since
			delete(m.live, c.key)
		}
	}
}

// takePending hands the claims not yet written to the writer.
func (m *memClaims) takePending() []claimRec {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pending
	m.pending = nil
	return p
}

// restorePending puts back claims whose transaction failed, ahead of the
// newer ones, within the bound.
func (m *memClaims) restorePending(p []claimRec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(p, m.pending...)
	if len(m.pending) > memClaimsMax {
		m.pending = m.pending[len(m.pending)-memClaimsMax:]
	}
}

// claimHeap orders claims by expiry, soonest first (container/heap).
type claimHeap []expiring

func (h claimHeap) Len() int           { return len(h) }
func (h claimHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h claimHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *claimHeap) Push(x any)        { *h = append(*h, x.(expiring)) }
func (h *claimHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = expiring{}
	*h = old[:len(old)-1]
	return c
}
