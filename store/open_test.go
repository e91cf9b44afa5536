package store_test

import (
	"context"
	"errors"
	"fmt"
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

	spec, err := store.ParseSpec("bolt:" + filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatalf("ParseSpec(bolt:…): %v", err)
	}
	s, err := store.Open(ctx, spec, ring)
	if err != nil {
		t.Fatalf("Open(bolt:…): %v", err)
	}
	s.Close()

	for _, tc := range []struct {
		spec, want string
	}{
		{"", "empty"},
		{"bolt:", "bolt: needs a file path"},
		{"pdbot.db", "unsupported store (no scheme)"},
		{"mysql://root:hunter2pw@db/pdbot", `unsupported store scheme "mysql"`},
		{"redis:hunter2pw@x", `unsupported store scheme "redis"`},
		{"postgres:/hunter2pw", `unsupported store scheme "postgres"`},
		{"postgres://u:hunter2pw@/db", "the postgres:// URL names no host"},
		{"postgres://u:hunter2pw@h:port%/db", "not a valid postgres:// URL"},
	} {
		_, err := store.ParseSpec(tc.spec)
		if !errors.Is(err, store.ErrSpec) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseSpec(%q) error %v, want prefix %q wrapping ErrSpec", tc.spec, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2pw") {
			t.Errorf("ParseSpec(%q) error holds the password: %v", tc.spec, err)
		}
	}
	pg, err := store.ParseSpec("postgres://u:hunter2pw@db.internal/pdbot")
	if err != nil || pg.PostgresURL.Reveal() != "postgres://u:hunter2pw@db.internal/pdbot" {
		t.Errorf("ParseSpec(postgres://…) = %+v, %v", pg, err)
	}
	if got := fmt.Sprintf("%v %+v %#v", pg, pg, pg); strings.Contains(got, "hunter2pw") {
		t.Errorf("a Spec prints its password: %s", got)
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
		_, err := store.Open(ctx, store.Spec{PostgresURL: store.Secret(dsn)}, ring)
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
