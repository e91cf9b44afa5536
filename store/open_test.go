package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

func TestOpenSpec(t *testing.T) {
	ring, _ := storetest.NewKeyRing(t, 1)
	ctx := context.Background()

	s, err := store.Open(ctx, "bolt:"+filepath.Join(t.TempDir(), "x.db"), ring)
	if err != nil {
		t.Fatalf("Open(bolt:…): %v", err)
	}
	s.Close()

	for _, tc := range []struct {
		spec, want string
	}{
		{"", "PDBOT_STORE: empty"},
		{"bolt:", "PDBOT_STORE: bolt: needs a file path"},
		{"pdbot.db", "PDBOT_STORE: unsupported store (no scheme)"},
		{"mysql://root:hunter2pw@db/pdbot", `PDBOT_STORE: unsupported store scheme "mysql"`},
		{"redis:hunter2pw@x", `PDBOT_STORE: unsupported store scheme "redis"`},
		{"postgres:/hunter2pw", `PDBOT_STORE: unsupported store scheme "postgres"`},
	} {
		_, err := store.Open(ctx, tc.spec, ring)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Open(%q) error %v, want prefix %q", tc.spec, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2pw") {
			t.Errorf("Open(%q) error holds the password: %v", tc.spec, err)
		}
	}
}

func TestOpenPostgresErrorsHideThePassword(t *testing.T) {
	ring, _ := storetest.NewKeyRing(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://pdbot:hunter2pw@127.0.0.1:1/pdbot?connect_timeout=1", // nothing listens on port 1
		"postgresql://pdbot:hunter2pw@127.0.0.1:1/pdbot?sslmode=bogus",   // does not parse
	} {
		_, err := store.Open(ctx, dsn, ring)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		t.Logf("Open(…) error: %v", err)
		if strings.Contains(err.Error(), "hunter2pw") {
			t.Errorf("error holds the password: %v", err)
		}
	}
}

func TestOpenNeedsARing(t *testing.T) {
	if _, err := store.OpenBolt(filepath.Join(t.TempDir(), "x.db"), nil); err == nil {
		t.Error("OpenBolt without a ring succeeded")
	}
	if _, err := store.OpenPostgres(context.Background(), "postgres://127.0.0.1:1/x", nil); err == nil {
		t.Error("OpenPostgres without a ring succeeded")
	}
}
