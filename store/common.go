package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
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

// Urgencies a Subscription may ask for; "" is any.
const (
	urgencyAny  = ""
	urgencyHigh = "high"
	urgencyLow  = "low"
)

// checkChannel checks a team and a channel, which here must name one.
func checkChannel(team, channel string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	if channel == "" {
		return errors.New("store: empty channel")
	}
	return nil
}

func checkSubscription(team, channel, serviceID string) error {
	if err := checkChannel(team, channel); err != nil {
		return err
	}
	if serviceID == "" {
		return errors.New("store: empty service id")
	}
	return nil
}

func checkUrgency(u string) error {
	switch u {
	case urgencyAny, urgencyHigh, urgencyLow:
		return nil
	}
	return fmt.Errorf("store: urgency %q, want \"\", %q or %q", u, urgencyHigh, urgencyLow)
}

func checkCard(team, channel, ts string) error {
	if err := checkChannel(team, channel); err != nil {
		return err
	}
	if ts == "" {
		return errors.New("store: empty message ts")
	}
	return nil
}

func checkKeyID(keyID string) error {
	if keyID == "" {
		return errors.New("store: empty key id")
	}
	return nil
}

func checkLease(name, holder string) error {
	if name == "" {
		return errors.New("store: empty lease name")
	}
	if holder == "" {
		return errors.New("store: empty lease holder")
	}
	return nil
}

func checkLeaseTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store: lease ttl %v, want > 0", ttl)
	}
	return nil
}

// subscriptionWhere names a subscription in errors.
func subscriptionWhere(team, channel, serviceID string) string {
	return "subscription of team " + team + " channel " + channel + " to service " + serviceID
}

// cardWhere names a live card in errors.
func cardWhere(team, channel, ts string) string {
	return "live card of team " + team + " channel " + channel + " ts " + ts
}

// sortSubscriptions orders subs by team, channel and service ID, bytewise
// (PostgreSQL's COLLATE "C").
func sortSubscriptions(subs []Subscription) {
	slices.SortFunc(subs, func(a, b Subscription) int {
		return cmp.Or(cmp.Compare(a.Team, b.Team), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.ServiceID, b.ServiceID))
	})
}

// sortCards orders cards by team, channel and TS, bytewise.
func sortCards(cards []LiveCard) {
	slices.SortFunc(cards, func(a, b LiveCard) int {
		return cmp.Or(cmp.Compare(a.Team, b.Team), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.TS, b.TS))
	})
}

// normCursor gives a cursor the shape both backends return: Since
// normalised, Seen never nil.
func normCursor(c PollCursor) PollCursor {
	c.Since = normTime(c.Since)
	if c.Seen == nil {
		c.Seen = []string{}
	}
	return c
}
