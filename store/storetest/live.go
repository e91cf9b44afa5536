package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/store"
)

// leaseWait bounds how long a test polls for a lease to come free: a
// safety net against a lease that never expires, not a duration the test
// asserts.
const leaseWait = 10 * time.Second

func mustAddSubscription(t *testing.T, s store.Store, sub store.Subscription) {
	t.Helper()
	if err := s.AddSubscription(context.Background(), sub); err != nil {
		t.Fatalf("AddSubscription(%s %s %s): %v", sub.Team, sub.Channel, sub.ServiceID, err)
	}
}

func wantSubscriptions(t *testing.T, s store.Store, team, channel string, want []store.Subscription) {
	t.Helper()
	got, err := s.Subscriptions(context.Background(), team, channel)
	if err != nil {
		t.Fatalf("Subscriptions(%q, %q): %v", team, channel, err)
	}
	if got == nil {
		t.Errorf("Subscriptions(%q, %q) = nil, want a list", team, channel)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Subscriptions(%q, %q) mismatch (-want +got):\n%s", team, channel, diff)
	}
}

func wantAllSubscriptions(t *testing.T, s store.Store, want []store.Subscription) {
	t.Helper()
	got, err := s.AllSubscriptions(context.Background())
	if err != nil {
		t.Fatalf("AllSubscriptions: %v", err)
	}
	if got == nil {
		t.Error("AllSubscriptions = nil, want a list")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AllSubscriptions mismatch (-want +got):\n%s", diff)
	}
}

// testSubscriptions: add, replace, list per channel and in all, delete,
// with teams, channels and services kept apart.
func testSubscriptions(t *testing.T, s store.Store) {
	ctx := context.Background()
	wantSubscriptions(t, s, team, "C1", []store.Subscription{})
	wantAllSubscriptions(t, s, []store.Subscription{})

	at := time.Date(2025, 7, 1, 9, 30, 0, 123456000, time.UTC)
	sub := func(team, channel, service string) store.Subscription {
		return store.Subscription{
			Team: team, Channel: channel, ServiceID: service, ServiceName: "Service " + service,
			Urgency: "high", CreatedBy: "U0SUB", CreatedAt: at,
		}
	}
	zeta, alpha := sub(team, "C1", "PZETA01"), sub(team, "C1", "PALPHA1")
	alpha.Urgency = ""
	c2 := sub(team, "C2", "PZETA01")
	c2.Urgency = "low"
	other := sub(otherTeam, "C1", "PZETA01")
	// Names that run together in a naive key, and teams whose lengths
	// differ (T9 sorts after T10 by bytes).
	split1, split2 := sub("T1", "C1", "2P"), sub("T1", "C12", "P")
	split3, t9, t10 := sub("T1C", "12", "P"), sub("T9", "C1", "P1"), sub("T10", "C1", "P1")
	for _, x := range []store.Subscription{zeta, other, t9, c2, alpha, split2, t10, split1, split3} {
		mustAddSubscription(t, s, x)
	}

	wantSubscriptions(t, s, team, "C1", []store.Subscription{alpha, zeta})
	wantSubscriptions(t, s, team, "C2", []store.Subscription{c2})
	wantSubscriptions(t, s, otherTeam, "C1", []store.Subscription{other})
	wantSubscriptions(t, s, team, "C3", []store.Subscription{})
	wantSubscriptions(t, s, "T1", "C1", []store.Subscription{split1})
	wantSubscriptions(t, s, "T1", "C12", []store.Subscription{split2})
	wantSubscriptions(t, s, "T1C", "12", []store.Subscription{split3})
	wantAllSubscriptions(t, s, []store.Subscription{alpha, zeta, c2, other, split1, split2, t10, split3, t9})

	// The same team, channel and service replaces; nothing else changes.
	zeta2 := zeta
	zeta2.ServiceName, zeta2.Urgency, zeta2.CreatedBy, zeta2.CreatedAt = "Renamed", "low", "U0OTHER", at.Add(time.Hour)
	mustAddSubscription(t, s, zeta2)
	wantSubscriptions(t, s, team, "C1", []store.Subscription{alpha, zeta2})
	wantSubscriptions(t, s, otherTeam, "C1", []store.Subscription{other})

	if err := s.DeleteSubscription(ctx, team, "C1", zeta.ServiceID); err != nil {
		t.Fatal(err)
	}
	wantSubscriptions(t, s, team, "C1", []store.Subscription{alpha})
	wantSubscriptions(t, s, team, "C2", []store.Subscription{c2})
	wantSubscriptions(t, s, otherTeam, "C1", []store.Subscription{other})
	wantNotFound(t, "second DeleteSubscription", s.DeleteSubscription(ctx, team, "C1", zeta.ServiceID))
	wantNotFound(t, "DeleteSubscription in another team", s.DeleteSubscription(ctx, "T0003", "C1", alpha.ServiceID))
	wantNotFound(t, "DeleteSubscription of a split name", s.DeleteSubscription(ctx, "T1", "C", "12P"))
	wantAllSubscriptions(t, s, []store.Subscription{alpha, c2, other, split1, split2, t10, split3, t9})

	// A zero CreatedAt becomes now; times come back in UTC, to the µs.
	before := time.Now().Add(-time.Second)
	mustAddSubscription(t, s, store.Subscription{Team: team, Channel: "C9", ServiceID: "PNOW001"})
	local := time.Date(2025, 7, 1, 11, 30, 0, 123456789, time.FixedZone("CEST", 2*3600))
	mustAddSubscription(t, s, store.Subscription{Team: team, Channel: "C9", ServiceID: "PZONE01", CreatedAt: local})
	got, err := s.Subscriptions(ctx, team, "C9")
	if err != nil || len(got) != 2 {
		t.Fatalf("Subscriptions of C9 = %v, %v; want 2", got, err)
	}
	if c := got[0].CreatedAt; c.Before(before) || c.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt of a zero-time subscription = %v, want about now", c)
	}
	if c := got[1].CreatedAt; !c.Equal(local.Truncate(time.Microsecond)) || c.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", c, local.Truncate(time.Microsecond))
	}
}

func testSubscriptionValidation(t *testing.T, s store.Store) {
	ctx := context.Background()
	for name, sub := range map[string]store.Subscription{
		"empty team":    {Channel: "C1", ServiceID: "P1"},
		"empty channel": {Team: team, ServiceID: "P1"},
		"empty service": {Team: team, Channel: "C1"},
		"bad urgency":   {Team: team, Channel: "C1", ServiceID: "P1", Urgency: "urgent"},
	} {
		if err := s.AddSubscription(ctx, sub); err == nil {
			t.Errorf("AddSubscription with %s: no error", name)
		}
	}
	if _, err := s.Subscriptions(ctx, team, ""); err == nil {
		t.Error("Subscriptions of an empty channel: no error")
	}
	if _, err := s.Subscriptions(ctx, "", "C1"); err == nil {
		t.Error("Subscriptions of an empty team: no error")
	}
	wantAllSubscriptions(t, s, []store.Subscription{})
}

func wantLiveCards(t *testing.T, s store.Store, want []store.LiveCard) {
	t.Helper()
	got, err := s.LiveCards(context.Background())
	if err != nil {
		t.Fatalf("LiveCards: %v", err)
	}
	if got == nil {
		t.Error("LiveCards = nil, want a list")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LiveCards mismatch (-want +got):\n%s", diff)
	}
}

// testLiveCards: save, replace (resolve, reopen), list, delete.
func testLiveCards(t *testing.T, s store.Store) {
	ctx := context.Background()
	wantLiveCards(t, s, []store.LiveCard{})
	at := time.Date(2025, 7, 2, 10, 0, 0, 654321000, time.UTC)
	card := func(team, channel, ts, inc string) store.LiveCard {
		return store.LiveCard{Team: team, Channel: channel, TS: ts, IncidentID: inc, PostedAt: at}
	}
	a := card(team, "C1", "1719914400.000200", "PINC001")
	b := card(team, "C1", "1719914400.000100", "PINC002")
	c := card(team, "C2", "1719914400.000100", "PINC001") // the same incident elsewhere
	o := card(otherTeam, "C1", "1719914400.000200", "PINC009")
	split1, split2 := card("T1", "C1", "2.5", "PSPLIT1"), card("T1", "C12", ".5", "PSPLIT2")
	for _, x := range []store.LiveCard{o, a, split2, c, b, split1} {
		if err := s.SaveLiveCard(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	wantLiveCards(t, s, []store.LiveCard{b, a, c, o, split1, split2})

	// Resolving replaces the card; so does a reopen, back to zero.
	resolved := a
	resolved.ResolvedAt = time.Date(2025, 7, 2, 12, 0, 0, 1000, time.FixedZone("EDT", -4*3600))
	if err := s.SaveLiveCard(ctx, resolved); err != nil {
		t.Fatal(err)
	}
	resolved.ResolvedAt = resolved.ResolvedAt.UTC()
	wantLiveCards(t, s, []store.LiveCard{b, resolved, c, o, split1, split2})
	got, err := s.LiveCards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if loc := got[1].ResolvedAt.Location(); loc != time.UTC {
		t.Errorf("ResolvedAt location = %v, want UTC", loc)
	}
	if err := s.SaveLiveCard(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantLiveCards(t, s, []store.LiveCard{b, a, c, o, split1, split2})

	if err := s.DeleteLiveCard(ctx, team, "C1", a.TS); err != nil {
		t.Fatal(err)
	}
	wantLiveCards(t, s, []store.LiveCard{b, c, o, split1, split2})
	wantNotFound(t, "second DeleteLiveCard", s.DeleteLiveCard(ctx, team, "C1", a.TS))
	wantNotFound(t, "DeleteLiveCard in another team", s.DeleteLiveCard(ctx, "T0003", "C1", b.TS))
	wantNotFound(t, "DeleteLiveCard of a split name", s.DeleteLiveCard(ctx, "T1", "C", "12.5"))

	for name, bad := range map[string]store.LiveCard{
		"empty team":     {Channel: "C1", TS: "1.1", IncidentID: "P1"},
		"empty channel":  {Team: team, TS: "1.1", IncidentID: "P1"},
		"empty ts":       {Team: team, Channel: "C1", IncidentID: "P1"},
		"empty incident": {Team: team, Channel: "C1", TS: "1.1"},
	} {
		if err := s.SaveLiveCard(ctx, bad); err == nil {
			t.Errorf("SaveLiveCard with %s: no error", name)
		}
	}
	wantLiveCards(t, s, []store.LiveCard{b, c, o, split1, split2})
}

// testPollCursors: none before the first set, then a round trip of Since
// (UTC, to the µs) with Seen, per key.
func testPollCursors(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.PollCursor(ctx, "KEY1")
	wantNotFound(t, "PollCursor before the first set", err)

	since := time.Date(2025, 7, 3, 8, 0, 5, 999999999, time.FixedZone("IST", 5*3600+1800))
	first := store.PollCursor{Since: since, Seen: []string{"R0LOG2", "R0LOG1"}}
	if err := s.SetPollCursor(ctx, "KEY1", first); err != nil {
		t.Fatal(err)
	}
	want := store.PollCursor{Since: since.UTC().Truncate(time.Microsecond), Seen: []string{"R0LOG2", "R0LOG1"}}
	wantCursor(t, s, "KEY1", want)
	_, err = s.PollCursor(ctx, "KEY2")
	wantNotFound(t, "PollCursor of another key", err)

	// A cursor with nothing seen comes back with an empty list, not nil.
	next := store.PollCursor{Since: since.Add(time.Minute)}
	if err := s.SetPollCursor(ctx, "KEY1", next); err != nil {
		t.Fatal(err)
	}
	wantCursor(t, s, "KEY1", store.PollCursor{Since: next.Since.UTC().Truncate(time.Microsecond), Seen: []string{}})

	if err := s.SetPollCursor(ctx, "KEY2", first); err != nil {
		t.Fatal(err)
	}
	wantCursor(t, s, "KEY2", want)
	if err := s.SetPollCursor(ctx, "", first); err == nil {
		t.Error("SetPollCursor of an empty key id: no error")
	}
	if _, err := s.PollCursor(ctx, ""); err == nil {
		t.Error("PollCursor of an empty key id: no error")
	}
}

func wantCursor(t *testing.T, s store.Store, keyID string, want store.PollCursor) {
	t.Helper()
	got, err := s.PollCursor(context.Background(), keyID)
	if err != nil {
		t.Fatalf("PollCursor(%q): %v", keyID, err)
	}
	if got.Seen == nil {
		t.Errorf("PollCursor(%q).Seen = nil, want a list", keyID)
	}
	if got.Since.Location() != time.UTC {
		t.Errorf("PollCursor(%q).Since location = %v, want UTC", keyID, got.Since.Location())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PollCursor(%q) mismatch (-want +got):\n%s", keyID, diff)
	}
}

func mustTakeLease(t *testing.T, s store.Store, name, holder string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.TakeLease(context.Background(), name, holder, ttl)
	if err != nil {
		t.Fatalf("TakeLease(%q, %q): %v", name, holder, err)
	}
	if got != want {
		t.Fatalf("TakeLease(%q, %q) = %v, want %v", name, holder, got, want)
	}
}

func mustReleaseLease(t *testing.T, s store.Store, name, holder string) {
	t.Helper()
	if err := s.ReleaseLease(context.Background(), name, holder); err != nil {
		t.Fatalf("ReleaseLease(%q, %q): %v", name, holder, err)
	}
}

// waitLease polls until holder takes the lease, and fails the test if that
// does not happen within leaseWait.
func waitLease(t *testing.T, s store.Store, name, holder string, ttl time.Duration) {
	t.Helper()
	deadline := time.Now().Add(leaseWait)
	for {
		ok, err := s.TakeLease(context.Background(), name, holder, ttl)
		if err != nil {
			t.Fatalf("TakeLease(%q, %q): %v", name, holder, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("TakeLease(%q, %q) still false after %v: the lease never came free", name, holder, leaseWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLeases: the first holder gets it, another does not while it lives,
// the holder renews, names are apart, and release frees it for another at
// once, but only when its holder releases.
func testLeases(t *testing.T, s store.Store) {
	const lease = "poll:KEY1"
	mustTakeLease(t, s, lease, "replica-a", time.Hour, true)
	mustTakeLease(t, s, lease, "replica-b", time.Hour, false)
	mustTakeLease(t, s, lease, "replica-a", time.Hour, true) // renewal
	mustTakeLease(t, s, lease, "replica-b", time.Hour, false)
	mustTakeLease(t, s, "poll:KEY2", "replica-b", time.Hour, true)
	mustTakeLease(t, s, "poll:KEY2", "replica-a", time.Hour, false)

	// A renewal sets the expiry from now with the new ttl: renewed with a
	// short one right after a long one, the lease comes free.
	mustTakeLease(t, s, "poll:KEY3", "replica-a", time.Hour, true)
	mustTakeLease(t, s, "poll:KEY3", "replica-a", time.Millisecond, true)
	waitLease(t, s, "poll:KEY3", "replica-b", time.Hour)
	// And renewed with a long one right after a short one, it stays.
	mustTakeLease(t, s, "poll:KEY4", "replica-a", time.Millisecond, true)
	mustTakeLease(t, s, "poll:KEY4", "replica-a", time.Hour, true)
	mustTakeLease(t, s, "poll:KEY4", "replica-b", time.Hour, false)

	// Release by anyone but the holder does nothing.
	mustReleaseLease(t, s, lease, "replica-b")
	mustTakeLease(t, s, lease, "replica-b", time.Hour, false)
	mustReleaseLease(t, s, "poll:NOSUCH", "replica-b")

	// The holder's release lets another take it at once.
	mustReleaseLease(t, s, lease, "replica-a")
	mustTakeLease(t, s, lease, "replica-b", time.Hour, true)
	mustReleaseLease(t, s, lease, "replica-a") // no longer a's: b keeps it
	mustTakeLease(t, s, lease, "replica-a", time.Hour, false)
	mustTakeLease(t, s, "poll:KEY2", "replica-a", time.Hour, false) // untouched

	ctx := context.Background()
	for name, call := range map[string]func() error{
		"TakeLease with an empty name":      func() error { _, err := s.TakeLease(ctx, "", "a", time.Minute); return err },
		"TakeLease with an empty holder":    func() error { _, err := s.TakeLease(ctx, "x", "", time.Minute); return err },
		"TakeLease with ttl 0":              func() error { _, err := s.TakeLease(ctx, "x", "a", 0); return err },
		"TakeLease with a negative ttl":     func() error { _, err := s.TakeLease(ctx, "x", "a", -time.Second); return err },
		"ReleaseLease with an empty name":   func() error { return s.ReleaseLease(ctx, "", "a") },
		"ReleaseLease with an empty holder": func() error { return s.ReleaseLease(ctx, "x", "") },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// testLeaseExpiry: once the ttl has passed, another holder takes the
// lease over. The test waits on the store's answer changing, not on a
// clock of its own; it asserts that the other holder was refused only when
// it asked well within the ttl.
func testLeaseExpiry(t *testing.T, s store.Store) {
	const lease, ttl = "poll:KEY-expiry", 300 * time.Millisecond
	start := time.Now()
	mustTakeLease(t, s, lease, "replica-a", ttl, true)
	ok, err := s.TakeLease(context.Background(), lease, "replica-b", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ok && time.Since(start) < ttl/2 {
		t.Fatalf("replica-b took a lease replica-a took %v ago with ttl %v", time.Since(start), ttl)
	}
	if !ok {
		waitLease(t, s, lease, "replica-b", time.Hour)
	}
	mustTakeLease(t, s, lease, "replica-a", time.Hour, false)
	mustTakeLease(t, s, lease, "replica-b", time.Hour, true)
}

// testLeaseConcurrent: many holders asking at once, for a free lease,
// leave exactly one holding it, and only that one renews.
func testLeaseConcurrent(t *testing.T, s store.Store) {
	const goroutines = 32
	for round := range 3 {
		name := fmt.Sprintf("poll:KEY-race-%d", round)
		winners := takeAtOnce(t, []store.Store{s}, name, goroutines)
		if len(winners) != 1 {
			t.Errorf("round %d: holders %v took the lease, want exactly 1", round, winners)
			continue
		}
		for g := range goroutines {
			holder := fmt.Sprintf("holder-%d-%02d", 0, g)
			mustTakeLease(t, s, name, holder, time.Minute, holder == winners[0])
		}
	}
}

// TakeAtOnce has perStore goroutines per store, each a holder of its own
// (holder-STORE-N), ask for the lease name at the same moment, and returns
// the holders that were told they hold it.
func TakeAtOnce(t *testing.T, stores []store.Store, name string, perStore int) []string {
	t.Helper()
	return takeAtOnce(t, stores, name, perStore)
}

func takeAtOnce(t *testing.T, stores []store.Store, name string, perStore int) []string {
	t.Helper()
	var mu sync.Mutex
	var winners []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		for g := range perStore {
			holder := fmt.Sprintf("holder-%d-%02d", i, g)
			wg.Go(func() {
				<-start
				ok, err := s.TakeLease(context.Background(), name, holder, time.Minute)
				if err != nil {
					t.Errorf("TakeLease(%q, %q): %v", name, holder, err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, holder)
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	return winners
}

// testLiveReopen: subscriptions, cards, cursors and leases survive Close.
func testLiveReopen(t *testing.T, s store.Store, reopen Reopen) {
	ctx := context.Background()
	ring, _ := NewKeyRing(t, 1)
	s = reopen(t, s, ring)
	at := time.Date(2025, 7, 4, 1, 2, 3, 456789000, time.UTC)
	sub := store.Subscription{Team: team, Channel: "C1", ServiceID: "PSVC001", ServiceName: "Checkout API", Urgency: "high", CreatedBy: "U1", CreatedAt: at}
	card := store.LiveCard{Team: team, Channel: "C1", TS: "1720054923.000100", IncidentID: "PINC001", PostedAt: at, ResolvedAt: at.Add(time.Hour)}
	open := store.LiveCard{Team: team, Channel: "C1", TS: "1720054923.000200", IncidentID: "PINC002", PostedAt: at}
	cursor := store.PollCursor{Since: at, Seen: []string{"R0LOG1"}}
	mustAddSubscription(t, s, sub)
	for _, c := range []store.LiveCard{card, open} {
		if err := s.SaveLiveCard(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPollCursor(ctx, "KEY1", cursor); err != nil {
		t.Fatal(err)
	}
	mustTakeLease(t, s, "poll:KEY1", "replica-a", time.Hour, true)

	s = reopen(t, s, ring)
	wantSubscriptions(t, s, team, "C1", []store.Subscription{sub})
	wantAllSubscriptions(t, s, []store.Subscription{sub})
	wantLiveCards(t, s, []store.LiveCard{card, open})
	wantCursor(t, s, "KEY1", cursor)
	mustTakeLease(t, s, "poll:KEY1", "replica-b", time.Hour, false)
	mustTakeLease(t, s, "poll:KEY1", "replica-a", time.Hour, true)
}
