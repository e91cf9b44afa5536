package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Open opens the store named by spec, the value of PDBOT_STORE:
// "bolt:PATH" for a bbolt file, or a "postgres://" or "postgresql://" URL.
// Errors never contain a DSN password.
func Open(ctx context.Context, spec string, ring *KeyRing) (Store, error) {
	switch {
	case strings.HasPrefix(spec, "bolt:"):
		path := strings.TrimPrefix(spec, "bolt:")
		if path == "" {
			return nil, errors.New("PDBOT_STORE: bolt: needs a file path (bolt:PATH)")
		}
		return OpenBolt(path, ring)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return OpenPostgres(ctx, spec, ring)
	case spec == "":
		return nil, errors.New("PDBOT_STORE: empty; want bolt:PATH or a postgres:// URL")
	default:
		// Only the scheme is echoed: the rest may hold a password.
		if u, err := url.Parse(spec); err == nil && u.Scheme != "" {
			return nil, fmt.Errorf("PDBOT_STORE: unsupported store scheme %q; want bolt:PATH or a postgres:// URL", u.Scheme)
		}
		return nil, errors.New("PDBOT_STORE: unsupported store (no scheme); want bolt:PATH or a postgres:// URL")
	}
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

// notFound wraps ErrNotFound with what was missing.
func notFound(what, team, name string) error {
	if name == "" && what == "api key" {
		return fmt.Errorf("%s of team %s (workspace default): %w", what, team, ErrNotFound)
	}
	return fmt.Errorf("%s of team %s, %s: %w", what, team, name, ErrNotFound)
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
