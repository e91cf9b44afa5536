package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// boltUnderTest remembers the file a store was opened on, for reopen.
type boltUnderTest struct {
	store.Store
	path string
	ring *store.KeyRing
}

func openBolt(t testing.TB, path string, ring *store.KeyRing) *boltUnderTest {
	t.Helper()
	s, err := store.OpenBolt(path, ring)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &boltUnderTest{Store: s, path: path, ring: ring}
}

func freshBolt(t testing.TB) *boltUnderTest {
	t.Helper()
	ring, _ := storetest.NewKeyRing(t, 1)
	return openBolt(t, filepath.Join(t.TempDir(), "pdbot.db"), ring)
}

func TestBoltConformance(t *testing.T) {
	storetest.Run(t,
		func(t *testing.T) store.Store { return freshBolt(t) },
		func(t *testing.T, s store.Store, ring *store.KeyRing) store.Store {
			b := s.(*boltUnderTest)
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			return openBolt(t, b.path, ring)
		})
}

func TestBoltFileHoldsNoPlaintextKey(t *testing.T) {
	s := freshBolt(t)
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2", store.DefaultChannel} {
		if err := s.SetAPIKey(ctx, "T1", ch, storetest.Canary, "U1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, needle := range []string{storetest.Canary, strings.ToLower(storetest.Canary), storetest.Canary[:12]} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Errorf("bbolt file holds %q in plaintext", needle)
		}
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %v, want 0600", mode)
	}
}

// copyRawKey copies the raw API-key record of (fromTeam, fromChannel) over
// that of (toTeam, toChannel) in a closed bbolt file, as someone with access
// to the file could.
func copyRawKey(t *testing.T, path, fromTeam, fromChannel, toTeam, toChannel string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(store.BoltAPIKeysBucket)
		v := b.Get(store.RecordKey(fromTeam, fromChannel))
		if v == nil {
			return errors.New("source record missing")
		}
		return b.Put(store.RecordKey(toTeam, toChannel), bytes.Clone(v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBoltMovedCiphertextFailsToOpen(t *testing.T) {
	for _, tc := range []struct {
		name              string
		toTeam, toChannel string
		hadKey            bool
	}{
		{"OtherChannel", "T1", "C2", true},
		{"NewChannel", "T1", "C9", false},
		{"WorkspaceDefault", "T1", store.DefaultChannel, true},
		{"OtherTeam", "T2", "C1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := freshBolt(t)
			ctx := context.Background()
			if err := s.SetAPIKey(ctx, "T1", "C1", storetest.Canary, "U1"); err != nil {
				t.Fatal(err)
			}
			if tc.hadKey {
				if err := s.SetAPIKey(ctx, tc.toTeam, tc.toChannel, "victim-key-0000", "U1"); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			copyRawKey(t, s.path, "T1", "C1", tc.toTeam, tc.toChannel)

			s = openBolt(t, s.path, s.ring)
			got, err := s.APIKey(ctx, tc.toTeam, tc.toChannel)
			if !errors.Is(err, store.ErrCannotUnseal) {
				t.Fatalf("APIKey of the record holding a moved ciphertext = key ending %q, %v; want ErrCannotUnseal", got.Last4(), err)
			}
			if strings.Contains(err.Error(), storetest.Canary) {
				t.Errorf("error holds the key: %v", err)
			}
			// The original still opens.
			if got, err := s.APIKey(ctx, "T1", "C1"); err != nil || got.Reveal() != storetest.Canary {
				t.Errorf("original record: key ending %q, %v", got.Last4(), err)
			}
		})
	}
}

func TestBoltLockedFile(t *testing.T) {
	defer store.SetBoltOpenTimeout(100 * time.Millisecond)()
	s := freshBolt(t)
	ring, _ := storetest.NewKeyRing(t, 1)
	second, err := store.OpenBolt(s.path, ring)
	if err == nil {
		second.Close()
		t.Fatal("second OpenBolt of a locked file succeeded")
	}
	if !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("error %q does not say the file is locked", err)
	}
}

func TestBoltMissingDirectory(t *testing.T) {
	ring, _ := storetest.NewKeyRing(t, 1)
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "pdbot.db")
	if _, err := store.OpenBolt(path, ring); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("OpenBolt in a missing directory: %v, want an error naming the path", err)
	}
}

// TestBoltOpensFormat1WithoutLiveBuckets: a file an older pdbot wrote
// (format 1, without LiveStore's buckets) opens, keeps its records and
// gets the new buckets; the format byte stays 1.
func TestBoltOpensFormat1WithoutLiveBuckets(t *testing.T) {
	s := freshBolt(t)
	ctx := context.Background()
	if err := s.SetLink(ctx, "T1", "C1", "PABC123"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"subscriptions", "live_cards", "poll_cursors", "leases"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	s = openBolt(t, s.path, s.ring)
	if got, err := s.Link(ctx, "T1", "C1"); err != nil || got != "PABC123" {
		t.Errorf("Link after reopen = %q, %v", got, err)
	}
	if err := s.AddSubscription(ctx, store.Subscription{Team: "T1", Channel: "C1", ServiceID: "P1"}); err != nil {
		t.Errorf("AddSubscription: %v", err)
	}
	if ok, err := s.TakeLease(ctx, "poll:K1", "a", time.Minute); err != nil || !ok {
		t.Errorf("TakeLease = %v, %v", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(s.path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("format")); !bytes.Equal(v, []byte{1}) {
			t.Errorf("format byte = %v, want [1]", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A file written by an earlier pdbot keeps its claims in two buckets, by
// id and in expiry order; this one writes the index alone. Opening such a
// file keeps every live claim (one that only the by-id bucket held too) and
// removes the old bucket.
func TestBoltMigratesClaimsByID(t *testing.T) {
	ring, _ := storetest.NewKeyRing(t, 1)
	path := filepath.Join(t.TempDir(), "pdbot.db")
	s := openBolt(t, path, ring)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	exp := func(d time.Duration) []byte { // sortableTime's encoding
		return binary.BigEndian.AppendUint64(nil, uint64(time.Now().Add(d).UnixNano())^(1<<63))
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		byID, err := tx.CreateBucket([]byte("claims"))
		if err != nil {
			return err
		}
		index := tx.Bucket([]byte("claim_expiry"))
		for id, e := range map[string][]byte{"Ev-both": exp(time.Hour), "Ev-expired": exp(-time.Hour)} {
			if err := byID.Put([]byte(id), e); err != nil {
				return err
			}
			if err := index.Put(append(e, id...), nil); err != nil {
				return err
			}
		}
		return byID.Put([]byte("Ev-by-id-only"), exp(time.Hour))
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	s = openBolt(t, path, ring)
	ctx := context.Background()
	for id, want := range map[string]bool{"Ev-both": false, "Ev-by-id-only": false, "Ev-expired": true} {
		if ok, err := s.Claim(ctx, id, time.Hour); err != nil || ok != want {
			t.Errorf("Claim(%s) after the migration = %v, %v; want %v", id, ok, err, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("claims")) != nil {
			t.Error("the claims-by-id bucket is still in the file")
		}
		return nil
	})
}

// An id claimed again once its claim expired is known after a restart by
// its new claim: the expiry index holds both until the sweep removes the
// old entry, and the later one counts.
func TestBoltReclaimSurvivesReopen(t *testing.T) {
	s := freshBolt(t)
	ctx := context.Background()
	if ok, err := s.Claim(ctx, "Ev-again", time.Millisecond); err != nil || !ok {
		t.Fatalf("first Claim = %v, %v", ok, err)
	}
	for { // the first claim expires after a millisecond of the wall clock
		ok, err := s.Claim(ctx, "Ev-again", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		runtime.Gosched()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := openBolt(t, s.path, s.ring)
	if ok, err := r.Claim(ctx, "Ev-again", time.Hour); err != nil || ok {
		t.Errorf("Claim after reopening = %v, %v; want false: the second claim was written", ok, err)
	}
}
