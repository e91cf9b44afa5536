package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The bbolt buckets of LiveStore, still format 1: OpenBolt creates them in
// a file an older pdbot wrote. A subscription's or card's key nests
// recordKey twice, team then channel, so no two triples share a key; the
// value holds the other fields only, so a record's identity is its key.
var (
	bktSubscriptions = []byte("subscriptions") // team,(channel,service ID) → JSON boltSubscription
	bktLiveCards     = []byte("live_cards")    // team,(channel,ts) → JSON boltLiveCard
	bktPollCursors   = []byte("poll_cursors")  // key ID → JSON boltPollCursor
	bktLeases        = []byte("leases")        // name → JSON boltLease
)

type boltSubscription struct {
	ServiceName string    `json:"service_name"`
	Urgency     string    `json:"urgency"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

type boltLiveCard struct {
	IncidentID string    `json:"incident_id"`
	PostedAt   time.Time `json:"posted_at"`
	ResolvedAt time.Time `json:"resolved_at"`
}

type boltPollCursor struct {
	Since time.Time `json:"since"`
	Seen  []string  `json:"seen"`
}

type boltLease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// tripleKey is the key of a team's (channel, name) record.
func tripleKey(team, channel, name string) []byte {
	return recordKey(team, string(recordKey(channel, name)))
}

// splitTripleKey undoes tripleKey.
func splitTripleKey(k []byte) (team, channel, name string, ok bool) {
	team, rest, ok := splitRecordKey(k)
	if !ok {
		return "", "", "", false
	}
	channel, name, ok = splitRecordKey([]byte(rest))
	return team, channel, name, ok
}

func (s *boltStore) AddSubscription(ctx context.Context, sub Subscription) error {
	if err := checkSubscription(sub.Team, sub.Channel, sub.ServiceID); err != nil {
		return err
	}
	if err := checkUrgency(sub.Urgency); err != nil {
		return err
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = now()
	}
	v, err := json.Marshal(boltSubscription{
		ServiceName: sub.ServiceName, Urgency: sub.Urgency,
		CreatedBy: sub.CreatedBy, CreatedAt: normTime(sub.CreatedAt),
	})
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktSubscriptions).Put(tripleKey(sub.Team, sub.Channel, sub.ServiceID), v)
	})
}

func (s *boltStore) Subscriptions(ctx context.Context, team, channel string) ([]Subscription, error) {
	if err := checkChannel(team, channel); err != nil {
		return nil, err
	}
	subs, err := s.subscriptions(ctx, tripleKey(team, channel, ""))
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", where(team, channel), err)
	}
	return subs, nil
}

func (s *boltStore) AllSubscriptions(ctx context.Context) ([]Subscription, error) {
	subs, err := s.subscriptions(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("all subscriptions: %w", err)
	}
	return subs, nil
}

// subscriptions reads the subscriptions whose keys start with prefix, in
// the contract's order.
func (s *boltStore) subscriptions(ctx context.Context, prefix []byte) ([]Subscription, error) {
	out := []Subscription{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktSubscriptions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			team, channel, service, ok := splitTripleKey(k)
			if !ok {
				return fmt.Errorf("malformed subscription key %q", k)
			}
			var rec boltSubscription
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%s: corrupt record: %w", subscriptionWhere(team, channel, service), err)
			}
			out = append(out, Subscription{
				Team: team, Channel: channel, ServiceID: service,
				ServiceName: rec.ServiceName, Urgency: rec.Urgency,
				CreatedBy: rec.CreatedBy, CreatedAt: rec.CreatedAt.UTC(),
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Keys sort by the length of the team and channel first; the contract
	// sorts by their bytes.
	sortSubscriptions(out)
	return out, nil
}

func (s *boltStore) DeleteSubscription(ctx context.Context, team, channel, serviceID string) error {
	if err := checkSubscription(team, channel, serviceID); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return deleteExisting(tx.Bucket(bktSubscriptions), tripleKey(team, channel, serviceID),
			"delete "+subscriptionWhere(team, channel, serviceID))
	})
}

func (s *boltStore) SaveLiveCard(ctx context.Context, c LiveCard) error {
	if err := checkCard(c.Team, c.Channel, c.TS); err != nil {
		return err
	}
	if c.IncidentID == "" {
		return fmt.Errorf("save %s: store: empty incident id", cardWhere(c.Team, c.Channel, c.TS))
	}
	rec := boltLiveCard{IncidentID: c.IncidentID, PostedAt: normTime(c.PostedAt)}
	if !c.ResolvedAt.IsZero() {
		rec.ResolvedAt = normTime(c.ResolvedAt)
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktLiveCards).Put(tripleKey(c.Team, c.Channel, c.TS), v)
	})
}

func (s *boltStore) LiveCards(ctx context.Context) ([]LiveCard, error) {
	out := []LiveCard{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktLiveCards).ForEach(func(k, v []byte) error {
			team, channel, ts, ok := splitTripleKey(k)
			if !ok {
				return fmt.Errorf("malformed live card key %q", k)
			}
			var rec boltLiveCard
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%s: corrupt record: %w", cardWhere(team, channel, ts), err)
			}
			c := LiveCard{Team: team, Channel: channel, TS: ts, IncidentID: rec.IncidentID, PostedAt: rec.PostedAt.UTC()}
			if !rec.ResolvedAt.IsZero() {
				c.ResolvedAt = rec.ResolvedAt.UTC()
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("live cards: %w", err)
	}
	sortCards(out)
	return out, nil
}

func (s *boltStore) DeleteLiveCard(ctx context.Context, team, channel, ts string) error {
	if err := checkCard(team, channel, ts); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return deleteExisting(tx.Bucket(bktLiveCards), tripleKey(team, channel, ts), "delete "+cardWhere(team, channel, ts))
	})
}

func (s *boltStore) PollCursor(ctx context.Context, keyID string) (PollCursor, error) {
	if err := checkKeyID(keyID); err != nil {
		return PollCursor{}, err
	}
	var rec boltPollCursor
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bktPollCursors).Get([]byte(keyID))
		if v == nil {
			return fmt.Errorf("poll cursor of key %s: %w", keyID, ErrNotFound)
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("poll cursor of key %s: corrupt record: %w", keyID, err)
		}
		return nil
	})
	if err != nil {
		return PollCursor{}, err
	}
	return normCursor(PollCursor(rec)), nil
}

func (s *boltStore) SetPollCursor(ctx context.Context, keyID string, c PollCursor) error {
	if err := checkKeyID(keyID); err != nil {
		return err
	}
	v, err := json.Marshal(boltPollCursor(normCursor(c)))
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktPollCursors).Put([]byte(keyID), v)
	})
}

// TakeLease decides in one write transaction, which bbolt runs one at a
// time. Only one process opens the file, so the holder is always of this
// process; the lease still has a holder and an expiry, so the poller runs
// the same on either backend. Expiry uses this host's wall clock.
func (s *boltStore) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder); err != nil {
		return false, err
	}
	if err := checkLeaseTTL(ttl); err != nil {
		return false, err
	}
	var held bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bktLeases)
		t := time.Now()
		if v := b.Get([]byte(name)); v != nil {
			var cur boltLease
			if err := json.Unmarshal(v, &cur); err != nil {
				return fmt.Errorf("corrupt record: %w", err)
			}
			if cur.Holder != holder && !cur.Expires.Before(t) {
				return nil // another holder's, and it lives
			}
		}
		v, err := json.Marshal(boltLease{Holder: holder, Expires: normTime(t.Add(ttl))})
		if err != nil {
			return err
		}
		held = true
		return b.Put([]byte(name), v)
	})
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return held, nil
}

func (s *boltStore) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return err
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bktLeases)
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		var cur boltLease
		if err := json.Unmarshal(v, &cur); err != nil {
			return fmt.Errorf("corrupt record: %w", err)
		}
		if cur.Holder != holder {
			return nil
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
