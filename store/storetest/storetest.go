package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/store"
)

// Reopen closes s and returns a store over the same storage (file, schema)
// opened under ring. The returned store is closed at the test's cleanup.
type Reopen func(t *testing.T, s store.Store, ring *store.KeyRing) store.Store

// Canary is an API key that tests store and then look for where it must not
// be: raw files, tables, errors, printed values.
const Canary = "u+CANARYpdKEYzz9Q7wX1"

// NewKeyRing returns a ring of n fresh master keys (newest first) and their
// PDBOT_MASTER_KEY encodings.
func NewKeyRing(t testing.TB, n int) (*store.KeyRing, []string) {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		k, err := store.GenerateMasterKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return MustParseKeyRing(t, keys...), keys
}

// MustParseKeyRing parses the keys, newest first, as PDBOT_MASTER_KEY.
func MustParseKeyRing(t testing.TB, keys ...string) *store.KeyRing {
	t.Helper()
	r, err := store.ParseKeyRing(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Run runs the conformance suite. open must return a new, empty store for
// each call; reopen must reach the storage of a store open returned.
func Run(t *testing.T, open func(t *testing.T) store.Store, reopen Reopen) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"APIKeysPerChannelAndDefault", testAPIKeys},
		{"APIKeyInfo", testAPIKeyInfo},
		{"APIKeyValidation", testAPIKeyValidation},
		{"DeleteAPIKey", testDeleteAPIKey},
		{"Links", testLinks},
		{"Mappings", testMappings},
		{"MappingOverrideStands", testMappingOverride},
		{"Overrides", testOverrides},
		{"AuditOrderAndLimit", testAudit},
		{"Claim", testClaim},
		{"ClaimExpiry", testClaimExpiry},
		{"ClaimConcurrent", testClaimConcurrent},
		{"ClaimExactlyOnceUnderLoad", testClaimUnderLoad},
		{"NotFound", testNotFound},
		{"CanceledContext", testCanceledContext},
		{"Concurrent", testConcurrent},
		{"Subscriptions", testSubscriptions},
		{"SubscriptionValidation", testSubscriptionValidation},
		{"LiveCards", testLiveCards},
		{"PollCursors", testPollCursors},
		{"Leases", testLeases},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseConcurrent", testLeaseConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t))
		})
	}
	t.Run("ResealAfterRotation", func(t *testing.T) {
		t.Parallel()
		testReseal(t, open(t), reopen)
	})
	t.Run("ResealConcurrent", func(t *testing.T) {
		t.Parallel()
		testResealConcurrent(t, open(t), reopen)
	})
	t.Run("ResealStopsWhenCanceled", func(t *testing.T) {
		t.Parallel()
		testResealCanceled(t, open(t), reopen)
	})
	t.Run("KeyCensus", func(t *testing.T) {
		t.Parallel()
		testKeyCensus(t, open(t), reopen)
	})
	t.Run("ReopenKeepsData", func(t *testing.T) {
		t.Parallel()
		testReopen(t, open(t), reopen)
	})
	t.Run("LiveSurvivesReopen", func(t *testing.T) {
		t.Parallel()
		testLiveReopen(t, open(t), reopen)
	})
	t.Run("AuditSurvivesClose", func(t *testing.T) {
		t.Parallel()
		testAuditSurvivesClose(t, open(t), reopen)
	})
}

const team, otherTeam = "T0001", "T0002"

func mustSetKey(t *testing.T, s store.Store, team, channel string, key store.Secret) {
	t.Helper()
	if err := s.SetAPIKey(context.Background(), team, channel, key, "U0ADMIN"); err != nil {
		t.Fatalf("SetAPIKey(%q, %q): %v", team, channel, err)
	}
}

func wantKey(t *testing.T, s store.Store, team, channel string, want store.Secret) {
	t.Helper()
	got, err := s.APIKey(context.Background(), team, channel)
	if err != nil {
		t.Fatalf("APIKey(%q, %q): %v", team, channel, err)
	}
	if got.Reveal() != want.Reveal() {
		t.Fatalf("APIKey(%q, %q) = key ending %q, want key ending %q", team, channel, got.Last4(), want.Last4())
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: error %v, want ErrNotFound", what, err)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	chanKey, defKey, otherKey := store.Secret(Canary), store.Secret("default-key-0001"), store.Secret("other-team-key-9999")
	mustSetKey(t, s, team, "C1", chanKey)
	mustSetKey(t, s, team, store.DefaultChannel, defKey)
	mustSetKey(t, s, otherTeam, "C1", otherKey)

	wantKey(t, s, team, "C1", chanKey)
	wantKey(t, s, team, store.DefaultChannel, defKey)
	wantKey(t, s, otherTeam, "C1", otherKey)

	// APIKey opens exactly the record asked for: no fallback to the default.
	_, err := s.APIKey(ctx, team, "C2")
	wantNotFound(t, "APIKey of a channel without a key", err)
	_, err = s.APIKey(ctx, otherTeam, store.DefaultChannel)
	wantNotFound(t, "APIKey of a team without a default", err)

	// Replacing one key leaves the others.
	newKey := store.Secret("replaced-key-abcd")
	mustSetKey(t, s, team, "C1", newKey)
	wantKey(t, s, team, "C1", newKey)
	wantKey(t, s, team, store.DefaultChannel, defKey)
	wantKey(t, s, otherTeam, "C1", otherKey)

	// Names that could run together in a naive key encoding stay apart.
	mustSetKey(t, s, "T1", "2C", "split-a-key-1111")
	mustSetKey(t, s, "T12", "C", "split-b-key-2222")
	wantKey(t, s, "T1", "2C", "split-a-key-1111")
	wantKey(t, s, "T12", "C", "split-b-key-2222")
}

func testAPIKeyInfo(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	mustSetKey(t, s, team, "C1", Canary)
	after := time.Now().Add(time.Second)

	got, err := s.APIKeyInfo(ctx, team, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if got.UpdatedAt.Before(before) || got.UpdatedAt.After(after) {
		t.Errorf("UpdatedAt = %v, want between %v and %v", got.UpdatedAt, before, after)
	}
	if got.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt location = %v, want UTC", got.UpdatedAt.Location())
	}
	want := store.KeyInfo{Last4: Canary[len(Canary)-4:], SetBy: "U0ADMIN", UpdatedAt: got.UpdatedAt}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("APIKeyInfo mismatch (-want +got):\n%s", diff)
	}
	if s := fmt.Sprintf("%v %+v %#v", got, got, got); strings.Contains(s, Canary) {
		t.Errorf("KeyInfo prints the key: %s", s)
	}

	_, err = s.APIKeyInfo(ctx, team, store.DefaultChannel)
	wantNotFound(t, "APIKeyInfo of the unset default", err)
}

func testAPIKeyValidation(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.SetAPIKey(ctx, team, "C1", "", "U1"); err == nil {
		t.Error("SetAPIKey with an empty key: no error")
	}
	if err := s.SetAPIKey(ctx, "", "C1", Canary, "U1"); err == nil {
		t.Error("SetAPIKey with an empty team: no error")
	} else if strings.Contains(err.Error(), Canary) {
		t.Errorf("error holds the key: %v", err)
	}
	if _, err := s.Claim(ctx, "", time.Minute); err == nil {
		t.Error("Claim with an empty id: no error")
	}
	if _, err := s.Claim(ctx, "x", 0); err == nil {
		t.Error("Claim with ttl 0: no error")
	}
}

func testDeleteAPIKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustSetKey(t, s, team, "C1", "channel-key-1111")
	mustSetKey(t, s, team, store.DefaultChannel, "default-key-2222")

	if err := s.DeleteAPIKey(ctx, team, "C1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.APIKey(ctx, team, "C1")
	wantNotFound(t, "APIKey after delete", err)
	_, err = s.APIKeyInfo(ctx, team, "C1")
	wantNotFound(t, "APIKeyInfo after delete", err)
	wantKey(t, s, team, store.DefaultChannel, "default-key-2222")

	wantNotFound(t, "second DeleteAPIKey", s.DeleteAPIKey(ctx, team, "C1"))
	if err := s.DeleteAPIKey(ctx, team, store.DefaultChannel); err != nil {
		t.Fatal(err)
	}
	_, err = s.APIKey(ctx, team, store.DefaultChannel)
	wantNotFound(t, "default APIKey after delete", err)
}

func testLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustLink := func(team, channel, inc string) {
		t.Helper()
		if err := s.SetLink(ctx, team, channel, inc); err != nil {
			t.Fatal(err)
		}
	}
	wantLink := func(team, channel, want string) {
		t.Helper()
		got, err := s.Link(ctx, team, channel)
		if err != nil {
			t.Fatalf("Link(%q, %q): %v", team, channel, err)
		}
		if got != want {
			t.Errorf("Link(%q, %q) = %q, want %q", team, channel, got, want)
		}
	}
	mustLink(team, "C1", "PABC123")
	mustLink(team, "C2", "Q0RIJJZL24RC6W")
	mustLink(otherTeam, "C1", "PXYZ789")
	wantLink(team, "C1", "PABC123")
	wantLink(team, "C2", "Q0RIJJZL24RC6W")
	wantLink(otherTeam, "C1", "PXYZ789")

	mustLink(team, "C1", "PNEW000")
	wantLink(team, "C1", "PNEW000")

	if err := s.DeleteLink(ctx, team, "C1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Link(ctx, team, "C1")
	wantNotFound(t, "Link after delete", err)
	wantLink(otherTeam, "C1", "PXYZ789")
	wantNotFound(t, "second DeleteLink", s.DeleteLink(ctx, team, "C1"))
	if err := s.SetLink(ctx, team, "C3", ""); err == nil {
		t.Error("SetLink with an empty incident: no error")
	}
}

func testMappings(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	m := store.Mapping{PDUserID: "PUSER01", Email: "ana@example.com", Name: "Ana", UpdatedAt: at}
	if err := s.SetMapping(ctx, team, "U1", m); err != nil {
		t.Fatal(err)
	}
	got, err := s.Mapping(ctx, team, "U1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("Mapping mismatch (-want +got):\n%s", diff)
	}
	_, err = s.Mapping(ctx, otherTeam, "U1")
	wantNotFound(t, "Mapping in another team", err)

	// A zero UpdatedAt becomes now.
	before := time.Now().Add(-time.Second)
	if err := s.SetMapping(ctx, team, "U2", store.Mapping{PDUserID: "PUSER02", Override: true}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Mapping(ctx, team, "U2")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Override || got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("Mapping = %+v, want Override and UpdatedAt now", got)
	}

	if err := s.DeleteMapping(ctx, team, "U1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Mapping(ctx, team, "U1")
	wantNotFound(t, "Mapping after delete", err)
	wantNotFound(t, "second DeleteMapping", s.DeleteMapping(ctx, team, "U1"))
}

func testMappingOverride(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	looked := store.Mapping{PDUserID: "PLOOKUP", Email: "a@example.com", UpdatedAt: at}
	admin := store.Mapping{PDUserID: "PADMIN1", Email: "b@example.com", Override: true, UpdatedAt: at.Add(time.Hour)}
	admin2 := store.Mapping{PDUserID: "PADMIN2", Email: "c@example.com", Override: true, UpdatedAt: at.Add(2 * time.Hour)}

	steps := []struct {
		set, want store.Mapping
	}{
		{looked, looked}, // lookup fills an empty slot
		{admin, admin},   // an override replaces a lookup
		{looked, admin},  // a lookup never replaces an override
		{admin2, admin2}, // an override replaces an override
		{looked, admin2}, // and still stands
	}
	for i, st := range steps {
		if err := s.SetMapping(ctx, team, "U1", st.set); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, err := s.Mapping(ctx, team, "U1")
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("step %d: Mapping mismatch (-want +got):\n%s", i, diff)
		}
	}
}

// testOverrides: Overrides lists exactly one team's admin overrides, in
// Slack user order, and none of the looked-up mappings.
func testOverrides(t *testing.T, s store.Store) {
	ctx := context.Background()
	got, err := s.Overrides(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("Overrides of an empty team = %#v, want an empty list", got)
	}
	at := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	zed := store.Mapping{PDUserID: "PZED001", Email: "zed@example.com", Name: "Zed", Override: true, UpdatedAt: at}
	ana := store.Mapping{PDUserID: "PANA001", Email: "ana@example.com", Name: "Ana", Override: true, UpdatedAt: at.Add(time.Minute)}
	for user, m := range map[string]store.Mapping{
		"U9ZED":      zed,
		"U1ANA":      ana,
		"U5LOOKED":   {PDUserID: "PLOOK01", Email: "l@example.com"},
		"U1ANA@key1": {PDUserID: "PANA001", Email: "ana@example.com"},
		"U7DROPPED":  {PDUserID: "PDROP01", Email: "d@example.com", Override: true},
	} {
		if err := s.SetMapping(ctx, team, user, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetMapping(ctx, otherTeam, "U2OTHER", store.Mapping{PDUserID: "POTHER1", Override: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMapping(ctx, team, "U7DROPPED"); err != nil {
		t.Fatal(err)
	}
	got, err = s.Overrides(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.UserMapping{{SlackUser: "U1ANA", Mapping: ana}, {SlackUser: "U9ZED", Mapping: zed}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Overrides mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.Overrides(ctx, ""); err == nil {
		t.Error("Overrides of an empty team ID: no error")
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var all []store.AuditEntry
	// Appended out of time order on purpose; two share a timestamp.
	for _, i := range []int{2, 0, 4, 1, 3} {
		e := store.AuditEntry{
			Time: base.Add(time.Duration(i) * time.Minute), Team: team, Channel: "C1", User: "U1",
			Incident: "PABC123", Action: fmt.Sprintf("note-%d", i), Result: "ok",
		}
		all = append(all, e)
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tie := store.AuditEntry{Time: base.Add(4 * time.Minute), Team: team, Action: "tie-later", Result: "ok"}
	if err := s.AppendAudit(ctx, tie); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{Time: base, Team: otherTeam, Action: "elsewhere"}); err != nil {
		t.Fatal(err)
	}

	got, err := s.Audit(ctx, team, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AuditEntry{tie, all[2], all[4]} // 4 (appended later first), 4, 3
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Audit(limit 3) mismatch (-want +got):\n%s", diff)
	}

	got, err = s.Audit(ctx, team, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Errorf("Audit(limit 100) returned %d entries, want 6", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.After(got[i-1].Time) {
			t.Errorf("entry %d (%v) is newer than entry %d (%v)", i, got[i].Time, i-1, got[i-1].Time)
		}
	}

	got, err = s.Audit(ctx, team, 0)
	if err != nil || len(got) != 0 {
		t.Errorf("Audit(limit 0) = %v, %v; want none", got, err)
	}
	got, err = s.Audit(ctx, "TNOBODY", 10)
	if err != nil || len(got) != 0 {
		t.Errorf("Audit of a team without entries = %v, %v; want none", got, err)
	}

	// A zero Time becomes now.
	if err := s.AppendAudit(ctx, store.AuditEntry{Team: "TZERO", Action: "x"}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Audit(ctx, "TZERO", 1)
	if err != nil || len(got) != 1 || time.Since(got[0].Time) > time.Minute || got[0].Time.After(time.Now().Add(time.Second)) {
		t.Errorf("Audit after a zero-time append = %v, %v; want one entry at about now", got, err)
	}
}

func mustClaim(t *testing.T, s store.Store, id string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.Claim(context.Background(), id, ttl)
	if err != nil {
		t.Fatalf("Claim(%q): %v", id, err)
	}
	if got != want {
		t.Fatalf("Claim(%q) = %v, want %v", id, got, want)
	}
}

func testClaim(t *testing.T, s store.Store) {
	mustClaim(t, s, "Ev01", time.Minute, true)
	mustClaim(t, s, "Ev01", time.Minute, false)
	mustClaim(t, s, "Ev01", time.Minute, false)
	mustClaim(t, s, "Ev02", time.Minute, true)
}

func testClaimExpiry(t *testing.T, s store.Store) {
	const ttl = 100 * time.Millisecond
	mustClaim(t, s, "Ev-short", ttl, true)
	mustClaim(t, s, "Ev-long", time.Hour, true)
	time.Sleep(ttl + 100*time.Millisecond)
	mustClaim(t, s, "Ev-short", time.Hour, true) // expired: claimable again
	mustClaim(t, s, "Ev-short", time.Hour, false)
	mustClaim(t, s, "Ev-long", time.Hour, false)
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	const goroutines = 32
	for round := range 3 {
		id := fmt.Sprintf("Ev-race-%d", round)
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range goroutines {
			wg.Go(func() {
				<-start
				ok, err := s.Claim(context.Background(), id, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("round %d: %d of %d goroutines won the claim, want exactly 1", round, n, goroutines)
		}
	}
}

// testClaimUnderLoad has many goroutines claim the same many ids, each in
// its own order, so claims of different ids interleave: every id has
// exactly one winner.
func testClaimUnderLoad(t *testing.T, s store.Store) {
	const goroutines, ids = 8, 199 // ids prime, so every stride below walks all of them
	wins := make([]atomic.Int32, ids)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range ids {
				id := (i*(2*g+1) + g) % ids // a permutation of 0..ids-1 per goroutine
				ok, err := s.Claim(context.Background(), fmt.Sprintf("Ev-load-%d", id), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					wins[id].Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for id := range wins {
		if n := wins[id].Load(); n != 1 {
			t.Errorf("Ev-load-%d: %d winners, want exactly 1", id, n)
		}
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.APIKey(ctx, team, "CNONE")
	wantNotFound(t, "APIKey", err)
	_, err = s.APIKeyInfo(ctx, team, "CNONE")
	wantNotFound(t, "APIKeyInfo", err)
	wantNotFound(t, "DeleteAPIKey", s.DeleteAPIKey(ctx, team, "CNONE"))
	_, err = s.Link(ctx, team, "CNONE")
	wantNotFound(t, "Link", err)
	wantNotFound(t, "DeleteLink", s.DeleteLink(ctx, team, "CNONE"))
	_, err = s.Mapping(ctx, team, "UNONE")
	wantNotFound(t, "Mapping", err)
	wantNotFound(t, "DeleteMapping", s.DeleteMapping(ctx, team, "UNONE"))
	wantNotFound(t, "DeleteSubscription", s.DeleteSubscription(ctx, team, "CNONE", "PNONE"))
	wantNotFound(t, "DeleteLiveCard", s.DeleteLiveCard(ctx, team, "CNONE", "1.1"))
	_, err = s.PollCursor(ctx, "KEYNONE")
	wantNotFound(t, "PollCursor", err)
}

func testCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.SetAPIKey(ctx, team, "C1", Canary, "U1"); !errors.Is(err, context.Canceled) {
		t.Errorf("SetAPIKey with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.Claim(ctx, "Ev-canceled", time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Claim with a canceled context: %v, want context.Canceled", err)
	}
	if err := s.AddSubscription(ctx, store.Subscription{Team: team, Channel: "C1", ServiceID: "P1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("AddSubscription with a canceled context: %v, want context.Canceled", err)
	}
	if err := s.SetPollCursor(ctx, "KEY1", store.PollCursor{Since: time.Now()}); !errors.Is(err, context.Canceled) {
		t.Errorf("SetPollCursor with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.TakeLease(ctx, "poll:KEY1", "replica-a", time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("TakeLease with a canceled context: %v, want context.Canceled", err)
	}
	// Nothing was written.
	_, err := s.APIKey(context.Background(), team, "C1")
	wantNotFound(t, "APIKey after a canceled SetAPIKey", err)
	wantSubscriptions(t, s, team, "C1", []store.Subscription{})
	_, err = s.PollCursor(context.Background(), "KEY1")
	wantNotFound(t, "PollCursor after a canceled SetPollCursor", err)
	mustTakeLease(t, s, "poll:KEY1", "replica-b", time.Minute, true)
}

// testConcurrent mixes every operation from many goroutines; run under -race
// it catches unsynchronised state, and the final reads prove no write was lost.
func testConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const workers, ops = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ch := fmt.Sprintf("C%02d", w)
			for i := range ops {
				key := store.Secret(fmt.Sprintf("key-%02d-%02d-xxxx", w, i))
				steps := []error{
					s.SetAPIKey(ctx, team, ch, key, "U1"),
					s.SetLink(ctx, team, ch, fmt.Sprintf("P%06d", i)),
					s.SetMapping(ctx, team, "U"+ch, store.Mapping{PDUserID: "P" + ch}),
					s.AppendAudit(ctx, store.AuditEntry{Team: team, Channel: ch, Action: "concurrent"}),
				}
				if _, err := s.APIKey(ctx, team, ch); err != nil {
					steps = append(steps, err)
				}
				if _, err := s.APIKeyInfo(ctx, team, ch); err != nil {
					steps = append(steps, err)
				}
				if _, err := s.Audit(ctx, team, 5); err != nil {
					steps = append(steps, err)
				}
				if _, err := s.Claim(ctx, fmt.Sprintf("Ev-%d", i), time.Minute); err != nil {
					steps = append(steps, err)
				}
				if err := errors.Join(steps...); err != nil {
					t.Errorf("worker %d op %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for w := range workers {
		wantKey(t, s, team, fmt.Sprintf("C%02d", w), store.Secret(fmt.Sprintf("key-%02d-%02d-xxxx", w, ops-1)))
	}
	got, err := s.Audit(ctx, team, workers*ops+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != workers*ops {
		t.Errorf("Audit holds %d entries, want %d", len(got), workers*ops)
	}
}

func testReseal(t *testing.T, s store.Store, reopen Reopen) {
	ctx := context.Background()
	ringOld, old := NewKeyRing(t, 1)
	s = reopen(t, s, ringOld)
	keys := map[string]store.Secret{
		"C1":                 Canary,
		"C2":                 "second-key-0002",
		store.DefaultChannel: "default-key-0003",
	}
	for ch, k := range keys {
		mustSetKey(t, s, team, ch, k)
	}
	mustSetKey(t, s, otherTeam, "C1", "other-team-0004")
	infoBefore, err := s.APIKeyInfo(ctx, team, "C1")
	if err != nil {
		t.Fatal(err)
	}

	_, fresh := NewKeyRing(t, 1)
	s = reopen(t, s, MustParseKeyRing(t, fresh[0], old[0]))
	// Both keys open while the rotation is under way.
	wantKey(t, s, team, "C1", Canary)
	// A key set now is sealed under the new key already.
	mustSetKey(t, s, team, "C3", "set-during-rotation")

	n, err := s.Reseal(ctx)
	if err != nil {
		t.Fatalf("Reseal: %v", err)
	}
	if n != 4 {
		t.Errorf("Reseal rewrote %d records, want 4 (all but the one sealed under the new key)", n)
	}
	n, err = s.Reseal(ctx)
	if err != nil || n != 0 {
		t.Errorf("second Reseal = %d, %v; want 0, nil", n, err)
	}

	// The old key is gone: everything still opens.
	s = reopen(t, s, MustParseKeyRing(t, fresh[0]))
	for ch, k := range keys {
		wantKey(t, s, team, ch, k)
	}
	wantKey(t, s, otherTeam, "C1", "other-team-0004")
	wantKey(t, s, team, "C3", "set-during-rotation")
	infoAfter, err := s.APIKeyInfo(ctx, team, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(infoBefore, infoAfter); diff != "" {
		t.Errorf("Reseal changed KeyInfo (-before +after):\n%s", diff)
	}

	// And the old key alone no longer opens anything.
	s = reopen(t, s, ringOld)
	_, err = s.APIKey(ctx, team, "C1")
	if !errors.Is(err, store.ErrCannotUnseal) {
		t.Errorf("APIKey under the retired key: %v, want ErrCannotUnseal", err)
	}
	n, err = s.Reseal(ctx)
	if n != 0 || !errors.Is(err, store.ErrCannotUnseal) {
		t.Errorf("Reseal under the retired key = %d, %v; want 0 and ErrCannotUnseal", n, err)
	}
	if err != nil && strings.Contains(err.Error(), Canary) {
		t.Errorf("Reseal error holds a key: %v", err)
	}
}

// sealUnderOld stores n keys in s sealed under a fresh master key OLD, then
// reopens s under the ring NEW,OLD. It returns the store, the keys by
// channel, and NEW and OLD encoded for PDBOT_MASTER_KEY.
func sealUnderOld(t *testing.T, s store.Store, reopen Reopen, n int) (_ store.Store, keys map[string]store.Secret, newKey, oldKey string) {
	t.Helper()
	ringOld, old := NewKeyRing(t, 1)
	s = reopen(t, s, ringOld)
	keys = make(map[string]store.Secret, n)
	for i := range n {
		ch, k := fmt.Sprintf("C%03d", i), store.Secret(fmt.Sprintf("old-key-%04d", i))
		mustSetKey(t, s, team, ch, k)
		keys[ch] = k
	}
	_, fresh := NewKeyRing(t, 1)
	return reopen(t, s, MustParseKeyRing(t, fresh[0], old[0])), keys, fresh[0], old[0]
}

func wantCensus(t *testing.T, s store.Store, step string, want store.KeyCensus) {
	t.Helper()
	got, err := s.KeyCensus(context.Background())
	if err != nil {
		t.Fatalf("%s: KeyCensus: %v", step, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: KeyCensus (-want +got):\n%s", step, diff)
	}
}

// testResealConcurrent: several Reseal calls at once (as replicas at
// start-up) rewrite each record exactly once in total.
func testResealConcurrent(t *testing.T, s store.Store, reopen Reopen) {
	const records, workers = 12, 4
	s, keys, newKey, _ := sealUnderOld(t, s, reopen, records)
	var total atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range workers {
		wg.Go(func() {
			<-start
			n, err := s.Reseal(context.Background())
			if err != nil {
				t.Errorf("Reseal: %v", err)
			}
			total.Add(int64(n))
		})
	}
	close(start)
	wg.Wait()
	if total.Load() != records {
		t.Errorf("%d concurrent Reseals rewrote %d records in total, want %d (each once)", workers, total.Load(), records)
	}
	wantCensus(t, s, "after the concurrent reseals", store.KeyCensus{Newest: records})
	s = reopen(t, s, MustParseKeyRing(t, newKey))
	for ch, k := range keys {
		wantKey(t, s, team, ch, k)
	}
}

// testResealCanceled: Reseal under an ended context stops before rewriting
// anything and says why; every record is as it was.
func testResealCanceled(t *testing.T, s store.Store, reopen Reopen) {
	const records = 3
	s, keys, _, _ := sealUnderOld(t, s, reopen, records)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := s.Reseal(ctx)
	if n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Reseal with a canceled context = %d, %v; want 0 and context.Canceled", n, err)
	}
	wantCensus(t, s, "after the canceled reseal", store.KeyCensus{Older: records})
	for ch, k := range keys {
		wantKey(t, s, team, ch, k)
	}
	if n, err := s.Reseal(context.Background()); n != records || err != nil {
		t.Errorf("Reseal after the canceled one = %d, %v; want %d, nil", n, err, records)
	}
}

// testKeyCensus follows a rotation through the census: every key counts
// under exactly one of newest, older and unknown, relative to the ring.
func testKeyCensus(t *testing.T, s store.Store, reopen Reopen) {
	wantCensus(t, s, "empty store", store.KeyCensus{})
	s, _, newKey, oldKey := sealUnderOld(t, s, reopen, 3)
	mustSetKey(t, s, otherTeam, store.DefaultChannel, Canary) // sealed under NEW
	wantCensus(t, s, "ring NEW,OLD before Reseal", store.KeyCensus{Newest: 1, Older: 3})

	// A replica not yet given NEW sees the new record as unknown and
	// reseals nothing backwards.
	s = reopen(t, s, MustParseKeyRing(t, oldKey))
	wantCensus(t, s, "ring OLD", store.KeyCensus{Newest: 3, Unknown: 1})
	n, err := s.Reseal(context.Background())
	if n != 0 || !errors.Is(err, store.ErrCannotUnseal) {
		t.Errorf("Reseal under OLD alone = %d, %v; want 0 and ErrCannotUnseal for the record under NEW", n, err)
	}
	wantCensus(t, s, "ring OLD after its Reseal", store.KeyCensus{Newest: 3, Unknown: 1})

	s = reopen(t, s, MustParseKeyRing(t, newKey, oldKey))
	if n, err := s.Reseal(context.Background()); n != 3 || err != nil {
		t.Fatalf("Reseal under NEW,OLD = %d, %v; want 3, nil", n, err)
	}
	wantCensus(t, s, "ring NEW,OLD after Reseal", store.KeyCensus{Newest: 4})
	s = reopen(t, s, MustParseKeyRing(t, newKey))
	wantCensus(t, s, "ring NEW", store.KeyCensus{Newest: 4})
	_, other := NewKeyRing(t, 1)
	s = reopen(t, s, MustParseKeyRing(t, other[0], oldKey))
	wantCensus(t, s, "a ring without NEW", store.KeyCensus{Unknown: 4})
	if err := s.DeleteAPIKey(context.Background(), otherTeam, store.DefaultChannel); err != nil {
		t.Fatal(err)
	}
	wantCensus(t, s, "after a delete", store.KeyCensus{Unknown: 3})
}

// testAuditSurvivesClose appends rows, many at once, and closes the store
// without reading them first: Close writes what is still queued, so the
// reopened store has every row, in order.
func testAuditSurvivesClose(t *testing.T, s store.Store, reopen Reopen) {
	ctx := context.Background()
	ring, _ := NewKeyRing(t, 1)
	s = reopen(t, s, ring)
	const workers, rows = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rows {
				e := store.AuditEntry{Team: team, Channel: fmt.Sprintf("C%02d", w), Action: fmt.Sprintf("burst-%02d", i), Result: "ok"}
				if err := s.AppendAudit(ctx, e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	last := store.AuditEntry{Time: base, Team: otherTeam, Action: "last", Result: "ok"}
	if err := s.AppendAudit(ctx, last); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, ring)
	got, err := s.Audit(ctx, team, 2*workers*rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != workers*rows {
		t.Fatalf("after Close and reopen, Audit holds %d rows, want %d", len(got), workers*rows)
	}
	// Each worker's rows keep their order of appending.
	next := make(map[string]int)
	for i := len(got) - 1; i >= 0; i-- {
		e := got[i]
		if want := fmt.Sprintf("burst-%02d", next[e.Channel]); e.Action != want {
			t.Fatalf("channel %s: row %q, want %q (order of appending lost)", e.Channel, e.Action, want)
		}
		next[e.Channel]++
	}
	other, err := s.Audit(ctx, otherTeam, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.AuditEntry{last}, other); diff != "" {
		t.Errorf("last row appended before Close (-want +got):\n%s", diff)
	}
}

func testReopen(t *testing.T, s store.Store, reopen Reopen) {
	ctx := context.Background()
	ring, _ := NewKeyRing(t, 1)
	s = reopen(t, s, ring)
	mustSetKey(t, s, team, "C1", Canary)
	if err := s.SetLink(ctx, team, "C1", "PABC123"); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s, "Ev-persist", time.Hour, true)
	s = reopen(t, s, ring)
	wantKey(t, s, team, "C1", Canary)
	if got, err := s.Link(ctx, team, "C1"); err != nil || got != "PABC123" {
		t.Errorf("Link after reopen = %q, %v", got, err)
	}
	mustClaim(t, s, "Ev-persist", time.Hour, false)
}
