package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdapi"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func items(names ...string) []suggestItem {
	var out []suggestItem
	for i, n := range names {
		out = append(out, suggestItem{ID: fmt.Sprintf("PUSER%02d", i), Label: n, Match: strings.ToLower(n)})
	}
	return out
}

func labels(its []suggestItem) []string {
	var out []string
	for _, it := range its {
		out = append(out, it.Label)
	}
	return out
}

func TestSuggestCache(t *testing.T) {
	all := items("Dave Smith", "Data Team", "Adam Dale", "Carol")
	tests := []struct {
		name     string
		complete bool
		// lookups after storing "da" for key k1 and kind users at t0
		key, kind, query string
		at               time.Duration
		want             []string
		wantOK           bool
	}{
		{"exact", true, "k1", "users", "da", time.Second, []string{"Dave Smith", "Data Team", "Adam Dale"}, true},
		{"longer from complete", true, "k1", "users", "dat", time.Second, []string{"Data Team"}, true},
		{"longer from complete, several", true, "k1", "users", "dav", time.Second, []string{"Dave Smith"}, true},
		{"longer from complete, none", true, "k1", "users", "dax", time.Second, nil, true},
		{"longer from incomplete", false, "k1", "users", "dat", time.Second, nil, false},
		{"exact from incomplete", false, "k1", "users", "da", time.Second, []string{"Dave Smith", "Data Team", "Adam Dale"}, true},
		{"not a prefix", true, "k1", "users", "a", time.Second, nil, false},
		{"other key", true, "k2", "users", "da", time.Second, nil, false},
		{"other key, longer", true, "k2", "users", "dat", time.Second, nil, false},
		{"other kind", true, "k1", "policies", "dat", time.Second, nil, false},
		{"just before expiry", true, "k1", "users", "dat", suggestTTL - time.Nanosecond, []string{"Data Team"}, true},
		{"expired exact", true, "k1", "users", "da", suggestTTL, nil, false},
		{"expired longer", true, "k1", "users", "dat", suggestTTL, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newSuggestCache()
			stored := all[:3]
			c.store("k1", "users", "da", stored, tt.complete, t0)
			got, ok := c.lookup(tt.key, tt.kind, tt.query, t0.Add(tt.at))
			if ok != tt.wantOK {
				t.Errorf("lookup(%s, %s, %q) ok = %v, want %v", tt.key, tt.kind, tt.query, ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, labels(got)); diff != "" {
				t.Errorf("lookup(%s, %s, %q) (-want +got):\n%s", tt.key, tt.kind, tt.query, diff)
			}
		})
	}
}

// TestSuggestCacheEmptyQuery: a complete answer for "" (every user) answers
// any query.
func TestSuggestCacheEmptyQuery(t *testing.T) {
	c := newSuggestCache()
	c.store("k1", "users", "", items("Dave", "Carol"), true, t0)
	got, ok := c.lookup("k1", "users", "car", t0)
	if !ok || cmp.Diff([]string{"Carol"}, labels(got)) != "" {
		t.Errorf("lookup(car) = %v, %v; want [Carol], true", labels(got), ok)
	}
}

func TestSuggestCacheDropsExpired(t *testing.T) {
	c := newSuggestCache()
	c.store("k1", "users", "a", items("A"), true, t0)
	c.store("k1", "users", "b", items("B"), true, t0.Add(suggestTTL/2))
	c.lookup("k1", "users", "zzz", t0.Add(suggestTTL))
	if _, ok := c.m["k1|users|a"]; ok {
		t.Error("an expired entry survived a lookup")
	}
	if _, ok := c.m["k1|users|b"]; !ok {
		t.Error("a live entry was dropped")
	}
}

func TestSuggestCacheBounded(t *testing.T) {
	c := newSuggestCache()
	for i := range 5 * maxSuggestEntries {
		c.store(fmt.Sprintf("k%d", i%7), "users", fmt.Sprintf("q%d", i), items("x"), true, t0)
		if n := len(c.m); n > maxSuggestEntries {
			t.Fatalf("after %d stores the cache holds %d entries, want at most %d", i+1, n, maxSuggestEntries)
		}
	}
	// The newest entry is always kept.
	last := fmt.Sprintf("q%d", 5*maxSuggestEntries-1)
	if _, ok := c.lookup(fmt.Sprintf("k%d", (5*maxSuggestEntries-1)%7), "users", last, t0); !ok {
		t.Error("the entry just stored was evicted")
	}
}

// TestSuggestTyping drives the user type-ahead route as Slack does, one
// keystroke at a time, and counts PagerDuty requests.
func TestSuggestTyping(t *testing.T) {
	for _, tt := range []struct {
		name     string
		more     bool
		wantReqs int32
	}{
		{"complete answer serves the next keystrokes", false, 1},
		{"incomplete answer does not", true, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var reqs atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reqs.Add(1)
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{
					"more": tt.more,
					"users": []map[string]any{
						{"id": "PDAVE01", "name": "Dave Smith", "email": "dave@x.com"},
						{"id": "PDATA01", "name": "Data Team", "email": "data@x.com"},
						{"id": "bad/id", "name": "Dangerous", "email": "d@x.com"},
					},
				})
			}))
			defer srv.Close()
			route := suggestRoutes(newSuggestCache())[0]
			if route.ID != UserSearch {
				t.Fatalf("first suggestion route is %q, want %q", route.ID, UserSearch)
			}
			pd := pdapi.New(srv.URL, "k", pdapi.Options{})
			var last Reply
			for _, q := range []string{"d", "da", "dat", "Data"} {
				r := &Request{PD: pd, Query: q, Now: func() time.Time { return t0 }}
				var err error
				last, err = route.Handle(context.Background(), r)
				if err != nil {
					t.Fatalf("query %q: %v", q, err)
				}
			}
			if got := reqs.Load(); got != tt.wantReqs {
				t.Errorf("PagerDuty saw %d requests for 4 keystrokes, want %d", got, tt.wantReqs)
			}
			var got []string
			for _, o := range last.Options {
				got = append(got, o.Value+" "+o.Text.Text)
			}
			want := []string{"PDATA01 Data Team <data@x.com>"}
			if tt.more {
				// Unfiltered: PagerDuty's own answer, minus malformed IDs.
				want = []string{"PDAVE01 Dave Smith <dave@x.com>", "PDATA01 Data Team <data@x.com>"}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("options for %q (-want +got):\n%s", "Data", diff)
			}
		})
	}
}
