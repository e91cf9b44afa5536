package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// Every read after a write sees it, with reads before it (the bolt store
// keeps what it read until its next write): keys, mappings and links, set,
// replaced and deleted, "not found" included.
func TestBoltReadsSeeEveryWrite(t *testing.T) {
	s := freshBolt(t)
	ctx := context.Background()
	wantKey := func(want store.Secret) {
		t.Helper()
		got, err := s.APIKey(ctx, "T1", "C1")
		if want == "" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("APIKey after delete: %v", err)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("APIKey = %q, %v; want the key just set", got.Reveal()[:4], err)
		}
	}
	wantMapping := func(want string) {
		t.Helper()
		m, err := s.Mapping(ctx, "T1", "U1")
		if want == "" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Mapping after delete: %+v, %v", m, err)
			}
			return
		}
		if err != nil || m.PDUserID != want {
			t.Fatalf("Mapping = %+v, %v; want %s", m, err, want)
		}
	}
	wantLink := func(want string) {
		t.Helper()
		id, err := s.Link(ctx, "T1", "C1")
		if want == "" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Link after delete: %q, %v", id, err)
			}
			return
		}
		if err != nil || id != want {
			t.Fatalf("Link = %q, %v; want %s", id, err, want)
		}
	}
	for round := range 3 {
		wantKey("")
		wantMapping("")
		wantLink("")
		key := store.Secret(fmt.Sprintf("u+round%dkeyCANARY", round))
		if err := s.SetAPIKey(ctx, "T1", "C1", key, "U9"); err != nil {
			t.Fatal(err)
		}
		wantKey(key)
		if err := s.SetAPIKey(ctx, "T1", "C1", key+"x", "U9"); err != nil {
			t.Fatal(err)
		}
		wantKey(key + "x")
		for _, id := range []string{"PA", "PB"} {
			if err := s.SetMapping(ctx, "T1", "U1", store.Mapping{PDUserID: id, Email: "a@example.com"}); err != nil {
				t.Fatal(err)
			}
			wantMapping(id)
		}
		for _, id := range []string{"Q1", "Q2"} {
			if err := s.SetLink(ctx, "T1", "C1", id); err != nil {
				t.Fatal(err)
			}
			wantLink(id)
		}
		if err := s.DeleteAPIKey(ctx, "T1", "C1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMapping(ctx, "T1", "U1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLink(ctx, "T1", "C1"); err != nil {
			t.Fatal(err)
		}
	}
}

// Readers racing a writer never keep a record the writer replaced: once
// the writes stop, every reader sees the last one (run with -race).
func TestBoltReadsRacingWrites(t *testing.T) {
	s := freshBolt(t)
	ctx := context.Background()
	const writes = 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = s.Mapping(ctx, "T1", "U1")
			}
		})
	}
	for i := range writes {
		if err := s.SetMapping(ctx, "T1", "U1", store.Mapping{PDUserID: fmt.Sprintf("P%03d", i), Email: "a@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	m, err := s.Mapping(ctx, "T1", "U1")
	if want := fmt.Sprintf("P%03d", writes-1); err != nil || m.PDUserID != want {
		t.Fatalf("after the writes: %+v, %v; want %s", m, err, want)
	}
}

// A warm read costs no read transaction or decoding: what every command
// reads (its channel's key, its requester's mappings) is kept.
func TestBoltWarmReadsAreCheap(t *testing.T) {
	s := freshBolt(t)
	ctx := context.Background()
	if err := s.SetAPIKey(ctx, "T1", "C1", storetest.Canary, "U9"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMapping(ctx, "T1", "U1", store.Mapping{PDUserID: "PA", Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	mapping := testing.AllocsPerRun(100, func() { _, _ = s.Mapping(ctx, "T1", "U1") })
	missing := testing.AllocsPerRun(100, func() { _, _ = s.Mapping(ctx, "T1", "U2") })
	key := testing.AllocsPerRun(100, func() { _, _ = s.APIKey(ctx, "T1", "C1") })
	// A read transaction and a JSON decode are ~30 allocations; the key is
	// still opened (decrypted) on every read.
	if mapping > 4 || missing > 4 || key > 8 {
		t.Errorf("warm reads allocate: mapping %.0f, missing mapping %.0f, key %.0f", mapping, missing, key)
	}
}
