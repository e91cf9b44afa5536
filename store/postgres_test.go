package store_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// pgDSN returns the test server's DSN or skips the test.
func pgDSN(t testing.TB) string { return storetest.PostgresDSN(t) }

// pgSchema gives the test a schema of its own.
func pgSchema(t testing.TB) (dsn string, admin *pgx.Conn) { return storetest.PostgresSchema(t) }

type pgUnderTest struct {
	store.Store
	dsn   string
	ring  *store.KeyRing
	admin *pgx.Conn // on the test schema, for raw SQL
}

func openPG(t testing.TB, dsn string, ring *store.KeyRing) store.Store {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dsn, ring)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func freshPG(t testing.TB) *pgUnderTest {
	t.Helper()
	dsn, admin := pgSchema(t)
	ring, _ := storetest.NewKeyRing(t, 1)
	return &pgUnderTest{Store: openPG(t, dsn, ring), dsn: dsn, ring: ring, admin: admin}
}

func TestPostgresConformance(t *testing.T) {
	pgDSN(t)
	storetest.Run(t,
		func(t *testing.T) store.Store { return freshPG(t) },
		func(t *testing.T, s store.Store, ring *store.KeyRing) store.Store {
			p := s.(*pgUnderTest)
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			return &pgUnderTest{Store: openPG(t, p.dsn, ring), dsn: p.dsn, ring: ring, admin: p.admin}
		})
}

func TestPostgresTablesHoldNoPlaintextKey(t *testing.T) {
	p := freshPG(t)
	ctx := context.Background()
	for _, ch := range []string{"C1", store.DefaultChannel} {
		if err := p.SetAPIKey(ctx, "T1", ch, storetest.Canary, "U1"); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := p.admin.Query(ctx, `SELECT k::text FROM pdbot_api_keys k`)
	if err != nil {
		t.Fatal(err)
	}
	dump, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	all := strings.ToLower(strings.Join(dump, "\n"))
	if len(dump) != 2 {
		t.Fatalf("table holds %d rows, want 2", len(dump))
	}
	for _, needle := range []string{storetest.Canary, hex.EncodeToString([]byte(storetest.Canary)), storetest.Canary[:12]} {
		if strings.Contains(all, strings.ToLower(needle)) {
			t.Errorf("pdbot_api_keys holds %q in plaintext:\n%s", needle, all)
		}
	}
}

func TestPostgresMovedCiphertextFailsToOpen(t *testing.T) {
	for _, tc := range []struct {
		name              string
		toTeam, toChannel string
	}{
		{"OtherChannel", "T1", "C2"},
		{"WorkspaceDefault", "T1", store.DefaultChannel},
		{"OtherTeam", "T2", "C1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := freshPG(t)
			ctx := context.Background()
			if err := p.SetAPIKey(ctx, "T1", "C1", storetest.Canary, "U1"); err != nil {
				t.Fatal(err)
			}
			if err := p.SetAPIKey(ctx, tc.toTeam, tc.toChannel, "victim-key-0000", "U1"); err != nil {
				t.Fatal(err)
			}
			tag, err := p.admin.Exec(ctx, `
				UPDATE pdbot_api_keys SET sealed = (SELECT sealed FROM pdbot_api_keys WHERE team = 'T1' AND channel = 'C1')
				WHERE team = $1 AND channel = $2`, tc.toTeam, tc.toChannel)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("copy ciphertext: %v, %d rows", err, tag.RowsAffected())
			}
			got, err := p.APIKey(ctx, tc.toTeam, tc.toChannel)
			if !errors.Is(err, store.ErrCannotUnseal) {
				t.Fatalf("APIKey of the record holding a moved ciphertext = key ending %q, %v; want ErrCannotUnseal", got.Last4(), err)
			}
			if strings.Contains(err.Error(), storetest.Canary) {
				t.Errorf("error holds the key: %v", err)
			}
		})
	}
}

// Two replicas (two pools) race for the same claims: one winner each time.
func TestPostgresTwoReplicaClaim(t *testing.T) {
	p := freshPG(t)
	other := openPG(t, p.dsn, p.ring)
	replicas := []store.Store{p.Store, other}
	const perReplica = 16
	for round := range 5 {
		id := "Ev-replicas-" + strconv.Itoa(round)
		var wins [2]atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for r, s := range replicas {
			for range perReplica {
				wg.Go(func() {
					<-start
					ok, err := s.Claim(context.Background(), id, time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins[r].Add(1)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		if total := wins[0].Load() + wins[1].Load(); total != 1 {
			t.Errorf("round %d: %d winners (replica 0: %d, replica 1: %d), want exactly 1",
				round, total, wins[0].Load(), wins[1].Load())
		}
	}
}

// Two replicas (two pools) race for the same free lease: one holder in
// all, it renews from either side of the race, and the other replica
// takes over at once when it releases.
func TestPostgresTwoReplicaLease(t *testing.T) {
	p := freshPG(t)
	other := openPG(t, p.dsn, p.ring)
	replicas := []store.Store{p.Store, other}
	const perReplica = 16
	ctx := context.Background()
	for round := range 5 {
		name := "poll:KEY-replicas-" + strconv.Itoa(round)
		winners := storetest.TakeAtOnce(t, replicas, name, perReplica)
		if len(winners) != 1 {
			t.Errorf("round %d: holders %v took the lease, want exactly 1", round, winners)
			continue
		}
		winner := winners[0]
		for _, s := range replicas {
			if ok, err := s.TakeLease(ctx, name, winner, time.Minute); err != nil || !ok {
				t.Errorf("round %d: renewal by %s = %v, %v; want true", round, winner, ok, err)
			}
		}
		rival := "holder-1-99"
		if ok, err := other.TakeLease(ctx, name, rival, time.Minute); err != nil || ok {
			t.Errorf("round %d: %s took %s's live lease: %v, %v", round, rival, winner, ok, err)
		}
		if err := p.ReleaseLease(ctx, name, winner); err != nil {
			t.Fatal(err)
		}
		if ok, err := other.TakeLease(ctx, name, rival, time.Minute); err != nil || !ok {
			t.Errorf("round %d: %s after the release = %v, %v; want true", round, rival, ok, err)
		}
	}
}

// TestPostgresMigratesVersion1: a schema an older pdbot made (version 1,
// without LiveStore's tables) gets them on open and keeps its records.
func TestPostgresMigratesVersion1(t *testing.T) {
	dsn, admin := pgSchema(t)
	ctx := context.Background()
	ring, _ := storetest.NewKeyRing(t, 1)
	s := openPG(t, dsn, ring)
	if err := s.SetLink(ctx, "T1", "C1", "PABC123"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `
		DROP TABLE pdbot_subscriptions, pdbot_live_cards, pdbot_poll_cursors, pdbot_leases;
		UPDATE pdbot_schema_version SET version = 1`); err != nil {
		t.Fatal(err)
	}
	s = openPG(t, dsn, ring)
	if got, err := s.Link(ctx, "T1", "C1"); err != nil || got != "PABC123" {
		t.Errorf("Link after the migration = %q, %v", got, err)
	}
	if err := s.AddSubscription(ctx, store.Subscription{Team: "T1", Channel: "C1", ServiceID: "P1"}); err != nil {
		t.Errorf("AddSubscription after the migration: %v", err)
	}
	if ok, err := s.TakeLease(ctx, "poll:K1", "a", time.Minute); err != nil || !ok {
		t.Errorf("TakeLease after the migration = %v, %v", ok, err)
	}
	var version int
	if err := admin.QueryRow(ctx, `SELECT version FROM pdbot_schema_version`).Scan(&version); err != nil || version != 2 {
		t.Errorf("schema version = %d, %v; want 2", version, err)
	}
}

// Several replicas starting at once all migrate the same empty schema.
func TestPostgresConcurrentStart(t *testing.T) {
	dsn, admin := pgSchema(t)
	ring, _ := storetest.NewKeyRing(t, 1)
	const replicas = 6
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			s, err := store.OpenPostgres(context.Background(), dsn, ring)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent start: %v", err)
	}
	var version int
	if err := admin.QueryRow(context.Background(), `SELECT version FROM pdbot_schema_version`).Scan(&version); err != nil || version != 2 {
		t.Errorf("schema version = %d, %v; want 2", version, err)
	}
}

func TestPostgresExpiredClaimsAreSwept(t *testing.T) {
	p := freshPG(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := p.Claim(ctx, "Ev-old-"+strconv.Itoa(i), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	// A fresh replica sweeps on its first claim.
	s := openPG(t, p.dsn, p.ring)
	if _, err := s.Claim(ctx, "Ev-new", time.Minute); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := p.admin.QueryRow(ctx, `SELECT count(*) FROM pdbot_claims`).Scan(&n); err != nil || n != 1 {
		t.Errorf("claims left after the sweep = %d, %v; want 1", n, err)
	}
}

// Replicas re-sealing at once at start-up, during a rolling restart: two
// on NEW,OLD and one not yet restarted, on OLD alone. Each record is
// rewritten exactly once in total, all by the NEW,OLD replicas, and none
// goes back under OLD.
func TestPostgresReplicasResealOnce(t *testing.T) {
	dsn, _ := pgSchema(t)
	ringOld, old := storetest.NewKeyRing(t, 1)
	_, fresh := storetest.NewKeyRing(t, 1)
	seed := openPG(t, dsn, ringOld)
	const records = 40
	ctx := context.Background()
	for i := range records {
		if err := seed.SetAPIKey(ctx, "T1", "C"+strconv.Itoa(i), store.Secret("old-key-"+strconv.Itoa(i)), "U1"); err != nil {
			t.Fatal(err)
		}
	}
	both := storetest.MustParseKeyRing(t, fresh[0], old[0])
	replicas := []store.Store{openPG(t, dsn, both), openPG(t, dsn, both), seed}
	counts := make([]int, len(replicas))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range replicas {
		wg.Go(func() {
			<-start
			n, err := s.Reseal(ctx)
			// The OLD replica cannot open what the others already re-sealed.
			if err != nil && (i < 2 || !errors.Is(err, store.ErrCannotUnseal)) {
				t.Errorf("replica %d: Reseal: %v", i, err)
			}
			counts[i] = n
		})
	}
	close(start)
	wg.Wait()
	if counts[0]+counts[1] != records || counts[2] != 0 {
		t.Errorf("rewrites per replica %v: want the NEW,OLD replicas to sum to %d and the OLD one to rewrite none", counts, records)
	}
	newOnly := openPG(t, dsn, storetest.MustParseKeyRing(t, fresh[0]))
	c, err := newOnly.KeyCensus(ctx)
	if err != nil || c != (store.KeyCensus{Newest: records}) {
		t.Errorf("census under NEW alone = %+v, %v; want all %d under the newest", c, err, records)
	}
	for i := range records {
		got, err := newOnly.APIKey(ctx, "T1", "C"+strconv.Itoa(i))
		if err != nil || got.Reveal() != "old-key-"+strconv.Itoa(i) {
			t.Errorf("C%d under NEW alone: %v", i, err)
		}
	}
}
