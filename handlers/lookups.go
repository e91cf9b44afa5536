package handlers

import (
	"sync"
	"time"
)

// lookupTTL is how long a look-up read before an answer or a write (the
// priorities, a policy's levels, a name's target, a service's policy) is
// reused: one read serves a burst of commands, and a change in PagerDuty
// shows within the minute.
const lookupTTL = time.Minute

// maxLookupEntries bounds the cache's memory.
const maxLookupEntries = 2000

// lookups caches such answers per API key (its fingerprint is part of every
// cache key, never the key), so an answer read with one key never serves
// another.
type lookups struct {
	mu sync.Mutex
	m  map[string]lookupEntry // keyID|what
}

type lookupEntry struct {
	v   any
	exp time.Time
}

func newLookups() *lookups { return &lookups{m: map[string]lookupEntry{}} }

// lookupGet returns the fresh answer cached under k, if there is one.
func lookupGet[T any](c *lookups, k string, now time.Time) (T, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if v, isT := e.v.(T); ok && isT && now.Before(e.exp) {
		return v, true
	}
	var zero T
	return zero, false
}

// lookupPut caches v under k for lookupTTL.
func lookupPut[T any](c *lookups, k string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxLookupEntries {
		for key, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, key)
			}
		}
		if len(c.m) >= maxLookupEntries {
			clear(c.m)
		}
	}
	c.m[k] = lookupEntry{v: v, exp: now.Add(lookupTTL)}
}

// cached returns what names for the request's key: the cached answer while
// it is fresh, else fetch's (an error is not cached).
func cached[T any](c *lookups, r *Request, what string, fetch func() (T, error)) (T, error) {
	k := r.PD.KeyID() + "|" + what
	if v, ok := lookupGet[T](c, k, r.Now()); ok {
		return v, nil
	}
	v, err := fetch()
	if err != nil {
		return v, err
	}
	lookupPut(c, k, v, r.Now())
	return v, nil
}
