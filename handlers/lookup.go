package handlers

import (
	"sync"
	"time"
)

// lookupTTL is how long a name or a service's escalation policy, once
// looked up, is reused: a name typed again in the next minutes costs no
// request, and a renamed service or a changed policy shows within two.
const lookupTTL = 2 * time.Minute

// maxLookupEntries bounds a lookupCache's memory.
const maxLookupEntries = 2000

// lookupCache caches look-ups per API key (the key's fingerprint is part
// of every key, so one key's answers never serve another).
type lookupCache[V any] struct {
	mu sync.Mutex
	m  map[string]lookupEntry[V]
}

type lookupEntry[V any] struct {
	v   V
	exp time.Time
}

func newLookupCache[V any]() *lookupCache[V] {
	return &lookupCache[V]{m: map[string]lookupEntry[V]{}}
}

func (c *lookupCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.exp) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *lookupCache[V]) put(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxLookupEntries {
		for k, e := range c.m {
			if !now.Before(e.exp) || len(c.m) >= maxLookupEntries {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = lookupEntry[V]{v: v, exp: now.Add(lookupTTL)}
}
