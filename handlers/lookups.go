package handlers

import (
	"sync"
	"time"
)

// lookupTTL is how long an account-wide list read before a write (the
// priorities, a policy's levels) is reused: one read serves a burst of
// commands, and a change in PagerDuty shows within the minute.
const lookupTTL = time.Minute

// maxLookupEntries bounds the cache's memory.
const maxLookupEntries = 1000

// lookups caches such lists per API key (its fingerprint, never the key),
// so an answer read with one key never serves another.
type lookups struct {
	mu sync.Mutex
	m  map[string]lookupEntry // keyID|what
}

type lookupEntry struct {
	v   any
	exp time.Time
}

func newLookups() *lookups { return &lookups{m: map[string]lookupEntry{}} }

// cached returns what names for the request's key: the cached answer while
// it is fresh, else fetch's (an error is not cached).
func cached[T any](c *lookups, r *Request, what string, fetch func() (T, error)) (T, error) {
	k := r.PD.KeyID() + "|" + what
	now := r.Now()
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Before(e.exp) {
		return e.v.(T), nil
	}
	v, err := fetch()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxLookupEntries {
		clear(c.m)
	}
	c.m[k] = lookupEntry{v: v, exp: now.Add(lookupTTL)}
	return v, nil
}
