package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// A stored key record that is garbage (not JSON in bbolt, not a sealed
// record in PostgreSQL) wraps ErrCannotUnseal, so the bot can tell the
// requester to set the key again rather than show "Something went wrong".

func TestBoltGarbageKeyRecordCannotBeUnsealed(t *testing.T) {
	for name, garbage := range map[string][]byte{
		"NotJSON":         []byte("{this is not json"),
		"GarbageSealed":   []byte(`{"sealed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g","last4":"0001"}`),
		"SealedNotBase64": []byte(`{"sealed":"!!!","last4":"0001"}`),
	} {
		t.Run(name, func(t *testing.T) {
			s := freshBolt(t)
			ctx := context.Background()
			if err := s.SetAPIKey(ctx, "T1", "C1", storetest.Canary, "U1"); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(s.path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(store.BoltAPIKeysBucket).Put(store.RecordKey("T1", "C1"), garbage)
			})
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			r := openBolt(t, s.path, s.ring)
			_, err = r.APIKey(ctx, "T1", "C1")
			if !errors.Is(err, store.ErrCannotUnseal) {
				t.Fatalf("APIKey of a garbage record = %v, want ErrCannotUnseal", err)
			}
			if strings.Contains(err.Error(), storetest.Canary) {
				t.Errorf("error holds the key: %v", err)
			}
		})
	}
}

func TestPostgresGarbageKeyRecordCannotBeUnsealed(t *testing.T) {
	for name, garbage := range map[string][]byte{
		"Empty":   {},
		"Short":   []byte("garbage"),
		"Garbage": []byte(strings.Repeat("\x01garbage-ciphertext", 4)),
	} {
		t.Run(name, func(t *testing.T) {
			p := freshPG(t)
			ctx := context.Background()
			if err := p.SetAPIKey(ctx, "T1", "C1", storetest.Canary, "U1"); err != nil {
				t.Fatal(err)
			}
			tag, err := p.admin.Exec(ctx, `UPDATE pdbot_api_keys SET sealed = $1 WHERE team = 'T1' AND channel = 'C1'`, garbage)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("overwrite ciphertext: %v, %d rows", err, tag.RowsAffected())
			}
			_, err = p.APIKey(ctx, "T1", "C1")
			if !errors.Is(err, store.ErrCannotUnseal) {
				t.Fatalf("APIKey of a garbage record = %v, want ErrCannotUnseal", err)
			}
		})
	}
}
