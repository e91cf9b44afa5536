package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Spec names a store: a bbolt file or a PostgreSQL URL. ParseSpec reads
// one from PDBOT_STORE's grammar; it prints without the URL's password.
type Spec struct {
	// BoltPath is the bbolt file, when the spec is bolt:PATH.
	BoltPath string
	// PostgresURL is the postgres:// (or postgresql://) URL otherwise; it
	// may carry a password.
	PostgresURL Secret
}

// String names the backend without anything secret.
func (s Spec) String() string {
	if s.BoltPath != "" {
		return "bolt:" + s.BoltPath
	}
	return "postgres (URL not shown)"
}

// ErrSpec is wrapped by every ParseSpec error. The errors say what is wrong
// and never repeat the value beyond its scheme: it may hold a password.
var ErrSpec = errors.New("want bolt:PATH or a postgres:// URL")

// ParseSpec reads "bolt:PATH", or a "postgres://" or "postgresql://" URL
// that names a host.
func ParseSpec(spec string) (Spec, error) {
	switch {
	case spec == "":
		return Spec{}, fmt.Errorf("empty; %w", ErrSpec)
	case strings.HasPrefix(spec, "bolt:"):
		path := strings.TrimPrefix(spec, "bolt:")
		if path == "" {
			return Spec{}, fmt.Errorf("bolt: needs a file path; %w", ErrSpec)
		}
		return Spec{BoltPath: path}, nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		u, err := url.Parse(spec)
		if err != nil {
			return Spec{}, fmt.Errorf("not a valid postgres:// URL; %w", ErrSpec)
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return Spec{}, fmt.Errorf("the postgres:// URL names no host; %w", ErrSpec)
		}
		return Spec{PostgresURL: Secret(spec)}, nil
	}
	if u, err := url.Parse(spec); err == nil && u.Scheme != "" {
		return Spec{}, fmt.Errorf("unsupported store scheme %q; %w", u.Scheme, ErrSpec)
	}
	return Spec{}, fmt.Errorf("unsupported store (no scheme); %w", ErrSpec)
}

// Open opens the store spec names. Errors never contain a password.
func Open(ctx context.Context, spec Spec, ring *KeyRing) (Store, error) {
	switch {
	case spec.BoltPath != "":
		return OpenBolt(spec.BoltPath, ring)
	case spec.PostgresURL != "":
		return OpenPostgres(ctx, spec.PostgresURL.Reveal(), ring)
	}
	return nil, fmt.Errorf("no store named; %w", ErrSpec)
}

// now returns the current time the way records store it.
func now() time.Time { return normTime(time.Now()) }

// normTime keeps what both backends can hold: UTC, microseconds.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func checkTeam(team string) error {
	if team == "" {
		return errors.New("store: empty team")
	}
	return nil
}

func checkKeyArgs(team string, key Secret) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	if key == "" {
		return errors.New("store: empty api key")
	}
	return nil
}

func checkUser(team, slackUser string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	if slackUser == "" {
		return errors.New("store: empty slack user")
	}
	return nil
}

func checkClaim(id string, ttl time.Duration) error {
	if id == "" {
		return errors.New("store: empty claim id")
	}
	if ttl <= 0 {
		return fmt.Errorf("store: claim ttl %v, want > 0", ttl)
	}
	return nil
}

// where names a key record in errors.
func where(team, channel string) string {
	if channel == DefaultChannel {
		return "team " + team + " (workspace default)"
	}
	return "team " + team + " channel " + channel
}

// resealFailed reports a record Reseal could not open.
func resealFailed(team, channel string, err error) error {
	return fmt.Errorf("reseal %s: %w", where(team, channel), err)
}
