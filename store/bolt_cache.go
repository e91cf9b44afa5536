package store

import (
	"errors"
	"sync"
)

// readCacheMax bounds the records a bolt store keeps decoded: past it the
// cache starts again (a workspace's channels and people fit many times).
const readCacheMax = 4096

// readCache keeps records a bolt store has read and decoded — channel key
// records (still sealed: the cache never holds a key in the clear), user
// mappings, links, "not found" included — until the store next writes.
// bbolt locks its file to one process, so every write goes through this
// store and a cached record is never stale. Every command reads its
// channel's key and its requester's mappings, so this saves a read
// transaction and a JSON decode each.
type readCache struct {
	mu  sync.Mutex
	gen uint64 // bumped by every write, so a read that raced one is not kept
	m   map[string]cachedRecord
}

type cachedRecord struct {
	v        any
	notFound error // the ErrNotFound error the read returned, if it did
}

// invalidate forgets every record; called after each write transaction.
func (c *readCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// cached returns what read returns for key, from the cache when it can;
// only values and ErrNotFound are kept, never other errors.
func cached[T any](c *readCache, key string, read func() (T, error)) (T, error) {
	c.mu.Lock()
	r, ok := c.m[key]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		if r.notFound != nil {
			var zero T
			return zero, r.notFound
		}
		return r.v.(T), nil
	}
	v, err := read()
	if err != nil && !errors.Is(err, ErrNotFound) {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen { // no write since the read began
		if c.m == nil || len(c.m) >= readCacheMax {
			c.m = make(map[string]cachedRecord)
		}
		c.m[key] = cachedRecord{v: v, notFound: err}
	}
	return v, err
}
