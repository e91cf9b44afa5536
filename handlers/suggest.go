package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Type-ahead action IDs (external selects answered by block_suggestion).
const (
	UserSearch    = "user_search"
	PolicySearch  = "policy_search"
	ServiceSearch = "service_search"
)

// suggestTTL is how long a type-ahead answer is reused: long enough that a
// person typing a name causes one PagerDuty request, short enough that a new
// user shows up within the minute.
const suggestTTL = 30 * time.Second

// suggestBytes bounds a type-ahead answer, which rides on the ack: Slack
// drops Socket Mode frames of 20 KiB or more (slack-go refuses to send
// them), so the options stop well short of that.
const suggestBytes = 16 << 10

// maxSuggestEntries bounds the cache's memory.
const maxSuggestEntries = 1000

type suggestItem struct {
	ID, Label, Match string // Match: lower-case text PagerDuty's query would match
}

type suggestEntry struct {
	query    string
	items    []suggestItem
	complete bool // PagerDuty had no more: the list is every match of query
	exp      time.Time
}

// suggestCache caches type-ahead answers per key and kind. A complete answer
// for "dat" also answers "data" by filtering, so typing a word costs one
// request, not one per keystroke.
type suggestCache struct {
	mu sync.Mutex
	m  map[string]suggestEntry // keyID|kind|query
}

func newSuggestCache() *suggestCache { return &suggestCache{m: map[string]suggestEntry{}} }

func (c *suggestCache) lookup(keyID, kind, query string, now time.Time) ([]suggestItem, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[keyID+"|"+kind+"|"+query]; ok && now.Before(e.exp) {
		return e.items, true
	}
	for k, e := range c.m {
		if !now.Before(e.exp) {
			delete(c.m, k)
			continue
		}
		if e.complete && strings.HasPrefix(k, keyID+"|"+kind+"|") && strings.HasPrefix(query, e.query) {
			var out []suggestItem
			for _, it := range e.items {
				if strings.Contains(it.Match, query) {
					out = append(out, it)
				}
			}
			return out, true
		}
	}
	return nil, false
}

func (c *suggestCache) store(keyID, kind, query string, items []suggestItem, complete bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxSuggestEntries {
		for k := range c.m {
			delete(c.m, k)
			if len(c.m) < maxSuggestEntries/2 {
				break
			}
		}
	}
	c.m[keyID+"|"+kind+"|"+query] = suggestEntry{query: query, items: items, complete: complete, exp: now.Add(suggestTTL)}
}

func suggestRoutes(cache *suggestCache) []Route {
	return []Route{
		{
			Kind: Suggestion, ID: UserSearch, Help: "Type-ahead for PagerDuty users.", NeedsKey: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return suggest(ctx, r, cache, "users", func(q string) ([]suggestItem, bool, error) {
					us, more, err := r.PD.SearchUsers(ctx, q, maxOptions)
					var items []suggestItem
					for _, u := range us {
						if pdapi.ValidObjectID(u.ID) {
							items = append(items, suggestItem{ID: u.ID, Label: u.Name + " <" + u.Email + ">", Match: strings.ToLower(u.Name + " " + u.Email)})
						}
					}
					return items, !more, err
				})
			},
		},
		{
			Kind: Suggestion, ID: PolicySearch, Help: "Type-ahead for escalation policies.", NeedsKey: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return suggest(ctx, r, cache, "policies", func(q string) ([]suggestItem, bool, error) {
					ps, more, err := r.PD.SearchPolicies(ctx, q, maxOptions)
					var items []suggestItem
					for _, p := range ps {
						if pdapi.ValidObjectID(p.ID) {
							items = append(items, suggestItem{ID: p.ID, Label: p.Name, Match: strings.ToLower(p.Name)})
						}
					}
					return items, !more, err
				})
			},
		},
		{
			Kind: Suggestion, ID: ServiceSearch, Help: "Type-ahead for services.", NeedsKey: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return suggest(ctx, r, cache, "services", func(q string) ([]suggestItem, bool, error) {
					var items []suggestItem
					complete := true
					err := r.PD.SearchServices(ctx, q, func(s pdapi.Service) bool {
						if len(items) == maxOptions {
							complete = false
							return false
						}
						items = append(items, suggestItem{ID: s.ID, Label: s.Name, Match: strings.ToLower(s.Name)})
						return true
					})
					return items, complete, err
				})
			},
		},
	}
}

func suggest(ctx context.Context, r *Request, cache *suggestCache, kind string, fetch func(q string) ([]suggestItem, bool, error)) (Reply, error) {
	q := strings.ToLower(strings.TrimSpace(r.Query))
	if r := []rune(q); len(r) > 100 {
		q = string(r[:100])
	}
	if LooksLikeSecret(strings.TrimSpace(r.Query)) {
		return Reply{Options: []*slack.OptionBlockObject{}, NoAudit: true}, nil // never sent on as a query
	}
	items, ok := cache.lookup(r.PD.KeyID(), kind, q, r.Now())
	if !ok {
		var complete bool
		var err error
		items, complete, err = fetch(q)
		if err != nil {
			return Reply{}, err
		}
		cache.store(r.PD.KeyID(), kind, q, items, complete, r.Now())
	}
	return suggestReply(items), nil
}

// suggestReply is a type-ahead answer: the first items, within Slack's 100
// options and the ack's size.
func suggestReply(items []suggestItem) Reply {
	opts := make([]*slack.OptionBlockObject, 0, min(len(items), maxOptions))
	size := 0
	for _, it := range items {
		o := option(it.ID, it.Label)
		b, _ := json.Marshal(o)
		if len(opts) == maxOptions || size+len(b)+1 > suggestBytes {
			break
		}
		size += len(b) + 1
		opts = append(opts, o)
	}
	return Reply{Options: opts, NoAudit: true}
}

// option builds a select option within Block Kit's limits.
func option(value, label string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(clip(value, optionValueLimit), slack.NewTextBlockObject(slack.PlainTextType, clip(label, optionTextLimit), false, false), nil)
}
