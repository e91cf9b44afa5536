package store

import (
	"context"
	"time"
)

// Subscription asks for a live card in a channel for every new incident on
// one PagerDuty service (`/pd subscribe`). The channel's key (else the
// workspace default) decides the PagerDuty account.
type Subscription struct {
	Team, Channel string
	ServiceID     string
	// ServiceName is the service's name when it was subscribed, for lists.
	ServiceName string
	// Urgency is "" (any), "high" or "low".
	Urgency   string
	CreatedBy string // Slack user ID
	CreatedAt time.Time
}

// LiveCard is a channel message pdbot posted for an incident and keeps true
// (DESIGN.md, "Live cards"): it is followed until 24 h after its incident
// resolved.
type LiveCard struct {
	Team, Channel string
	// TS is the message's timestamp: with Channel, its identity in Slack.
	TS         string
	IncidentID string
	PostedAt   time.Time
	// ResolvedAt is when the incident was seen resolved; zero while open
	// (a reopen sets it back to zero).
	ResolvedAt time.Time
}

// PollCursor is where the poller of one API key stands in PagerDuty's log
// entries: entries at or after Since that are not in Seen are new.
// PagerDuty's times are whole seconds and its since is inclusive, so the
// entries of the second Since names are remembered by ID.
type PollCursor struct {
	Since time.Time
	Seen  []string // log entry IDs created at Since
}

// LiveStore is what PagerDuty → Slack (subscriptions, live cards and the
// poller) keeps. Every Store implements it; the storetest suite checks it.
//
// Shared rules: a lookup or delete of a record that does not exist returns
// an error that errors.Is ErrNotFound; lists are never nil.
type LiveStore interface {
	// AddSubscription stores s, replacing the subscription of the same
	// team, channel and service. A zero CreatedAt is set to now.
	AddSubscription(ctx context.Context, s Subscription) error
	// Subscriptions returns a channel's subscriptions, by service ID.
	Subscriptions(ctx context.Context, team, channel string) ([]Subscription, error)
	// AllSubscriptions returns every subscription of every team (the
	// poller's work list), by team, channel and service ID.
	AllSubscriptions(ctx context.Context) ([]Subscription, error)
	// DeleteSubscription removes exactly that subscription.
	DeleteSubscription(ctx context.Context, team, channel, serviceID string) error

	// SaveLiveCard stores c, replacing the card of the same team, channel
	// and TS.
	SaveLiveCard(ctx context.Context, c LiveCard) error
	// LiveCards returns every card still followed, by team, channel and TS.
	LiveCards(ctx context.Context) ([]LiveCard, error)
	// DeleteLiveCard stops following exactly that card.
	DeleteLiveCard(ctx context.Context, team, channel, ts string) error

	// PollCursor returns the cursor of the key with fingerprint keyID.
	PollCursor(ctx context.Context, keyID string) (PollCursor, error)
	// SetPollCursor stores the cursor of keyID.
	SetPollCursor(ctx context.Context, keyID string, c PollCursor) error

	// TakeLease gives holder the lease called name until ttl from now when
	// it is free, expired or already holder's, and reports whether holder
	// holds it. Across every replica sharing the store, at most one holder
	// holds a lease at a time. ttl must be positive.
	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees the lease if holder holds it (and does nothing
	// otherwise), so another replica can take it over at once.
	ReleaseLease(ctx context.Context, name, holder string) error
}
