package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// DefaultChannel is the channel value that names a workspace's default API key.
const DefaultChannel = ""

// Secret is a plaintext credential. It prints, formats and marshals as
// "<secret>" so that it cannot leak into logs, errors or JSON by accident;
// Reveal returns the value for the one place that must send it.
type Secret string

// Reveal returns the plaintext. Call it only where the value leaves the
// process for its owner (an Authorization header).
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return "<secret>" }

// GoString implements fmt.GoStringer so %#v is safe too.
func (s Secret) GoString() string { return "<secret>" }

// Format implements fmt.Formatter so that every verb prints "<secret>".
// Without it a verb that does not fit a string (%d, %t) would print the
// plaintext inside fmt's "%!d(store.Secret=…)" error text.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("<secret>")) }

// MarshalJSON keeps secrets out of JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"<secret>"`), nil }

// MarshalText keeps secrets out of text encodings (zap, yaml).
func (s Secret) MarshalText() ([]byte, error) { return []byte("<secret>"), nil }

// Last4 returns the last four characters, the only part ever shown.
func (s Secret) Last4() string {
	if len(s) <= 4 {
		return "****"
	}
	return string(s[len(s)-4:])
}

// KeyInfo describes a stored API key without revealing it.
type KeyInfo struct {
	Last4     string
	SetBy     string // Slack user ID
	UpdatedAt time.Time
}

// Mapping ties a Slack user to the PagerDuty user they act as.
type Mapping struct {
	PDUserID  string
	Email     string
	Name      string
	Override  bool // set by an admin with /pd map; never replaced by lookup
	UpdatedAt time.Time
}

// UserMapping is a stored mapping and the Slack user it is for.
type UserMapping struct {
	SlackUser string
	Mapping   Mapping
}

// AuditEntry is one action taken through pdbot. It never holds a key.
type AuditEntry struct {
	Time     time.Time
	Team     string
	Channel  string
	User     string // Slack user ID
	Incident string
	Action   string
	Result   string // "ok" or a short error text
}

// KeyCensus counts the stored API keys by the master key they are sealed
// under, relative to the ring the store was opened with. Store.KeyCensus
// reads each record's key-id byte (see seal.go) and opens none of them,
// except to tell apart two ring keys that share an id.
type KeyCensus struct {
	// Newest counts the keys sealed under the newest master key: nothing
	// to do.
	Newest int
	// Older counts the keys sealed under an older key of the ring: Reseal
	// rewrites them, and until then that master key must stay in the ring.
	Older int
	// Unknown counts the keys sealed under no key of the ring (or records
	// that are not sealed keys at all): they do not open.
	Unknown int
}

// Total is the number of stored API keys.
func (c KeyCensus) Total() int { return c.Newest + c.Older + c.Unknown }

// Store is everything pdbot keeps. Implementations are safe for concurrent use.
//
// Shared rules of every implementation (the storetest suite checks them):
//   - A lookup or delete of a record that does not exist returns an error
//     that errors.Is ErrNotFound.
//   - team must not be empty; neither may slackUser nor a Claim id.
//   - Times are stored in UTC with microsecond precision.
//   - Only sealed API keys are written; an API key that does not open wraps
//     ErrCannotUnseal.
type Store interface {
	// LiveStore keeps what PagerDuty → Slack needs: subscriptions, live
	// cards, the poller's cursors and leases (live.go).
	LiveStore

	// SetAPIKey seals and stores the key of a channel (or of the workspace
	// when channel is DefaultChannel).
	SetAPIKey(ctx context.Context, team, channel string, key Secret, setBy string) error
	// APIKey opens the key stored for exactly that team and channel.
	APIKey(ctx context.Context, team, channel string) (Secret, error)
	// APIKeyInfo describes the stored key without opening it.
	APIKeyInfo(ctx context.Context, team, channel string) (KeyInfo, error)
	// DeleteAPIKey removes exactly that key; the workspace default and
	// other channels are untouched.
	DeleteAPIKey(ctx context.Context, team, channel string) error

	SetLink(ctx context.Context, team, channel, incidentID string) error
	Link(ctx context.Context, team, channel string) (string, error)
	DeleteLink(ctx context.Context, team, channel string) error

	// SetMapping stores m. A mapping with Override false never replaces an
	// existing override (the call succeeds and the override stands); an
	// override replaces anything. A zero UpdatedAt is set to now.
	SetMapping(ctx context.Context, team, slackUser string, m Mapping) error
	Mapping(ctx context.Context, team, slackUser string) (Mapping, error)
	DeleteMapping(ctx context.Context, team, slackUser string) error
	// Overrides returns a team's admin overrides (mappings with Override
	// set), ordered by Slack user; none is an empty list, not an error.
	Overrides(ctx context.Context, team string) ([]UserMapping, error)

	// AppendAudit records e. A zero Time is set to now. It returns once e
	// is queued for the store's writer, which writes queued rows in
	// batches; it waits (bounded by ctx) only while the queue is full.
	// Close writes every queued row; a crash loses the last batch at most.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit returns the newest entries of a team, newest first (by Time,
	// then by order of appending), at most limit of them; limit <= 0
	// returns none. It sees every row appended through this store before
	// the call.
	Audit(ctx context.Context, team string, limit int) ([]AuditEntry, error)

	// Claim records id as seen for ttl. It returns true for the first caller
	// (across all replicas sharing the store) and false while the record lives;
	// once ttl has passed the next caller gets true again. ttl must be
	// positive. Expired records are removed lazily.
	Claim(ctx context.Context, id string, ttl time.Duration) (bool, error)

	// Reseal opens every sealed key with the ring and seals it again under the
	// newest master key. It returns how many records were rewritten; records
	// already sealed under the newest key are left alone, so a second run
	// rewrites none. Each record is rewritten atomically, so the store stays
	// in use meanwhile. Records that fail are skipped and reported in the
	// joined error, each naming its team and channel; one that the ring
	// cannot open wraps ErrCannotUnseal.
	//
	// Reseal stops between records when ctx ends, returning what it did so
	// far. Replicas may reseal at once: every record is re-read inside the
	// write that replaces it, so each is rewritten once in total, and a
	// store whose newest key is older than the record's (a replica not yet
	// given the new key) leaves it alone.
	Reseal(ctx context.Context) (int, error)

	// KeyCensus counts the stored API keys by the master key they are
	// sealed under; see KeyCensus.
	KeyCensus(ctx context.Context) (KeyCensus, error)

	// Close writes what is still queued (audit rows, bolt's claims), stops
	// the store's goroutine and releases the file or the pool.
	Close() error
}
