package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

func (s *pgStore) AddSubscription(ctx context.Context, sub Subscription) error {
	if err := checkSubscription(sub.Team, sub.Channel, sub.ServiceID); err != nil {
		return err
	}
	if err := checkUrgency(sub.Urgency); err != nil {
		return err
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = now()
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pdbot_subscriptions (team, channel, service_id, service_name, urgency, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (team, channel, service_id) DO UPDATE SET
			service_name = EXCLUDED.service_name, urgency = EXCLUDED.urgency,
			created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at`,
		sub.Team, sub.Channel, sub.ServiceID, sub.ServiceName, sub.Urgency, sub.CreatedBy, normTime(sub.CreatedAt))
	if err != nil {
		return fmt.Errorf("add %s: %w", subscriptionWhere(sub.Team, sub.Channel, sub.ServiceID), err)
	}
	return nil
}

// pgSubscriptionColumns are what scanSubscription reads, in its order.
const pgSubscriptionColumns = `team, channel, service_id, service_name, urgency, created_by, created_at`

func scanSubscription(r pgx.CollectableRow) (Subscription, error) {
	var sub Subscription
	err := r.Scan(&sub.Team, &sub.Channel, &sub.ServiceID, &sub.ServiceName, &sub.Urgency, &sub.CreatedBy, &sub.CreatedAt)
	sub.CreatedAt = sub.CreatedAt.UTC()
	return sub, err
}

func (s *pgStore) Subscriptions(ctx context.Context, team, channel string) ([]Subscription, error) {
	if err := checkChannel(team, channel); err != nil {
		return nil, err
	}
	subs, err := s.subscriptions(ctx, `
		SELECT `+pgSubscriptionColumns+` FROM pdbot_subscriptions
		WHERE team = $1 AND channel = $2 ORDER BY service_id COLLATE "C"`, team, channel)
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", where(team, channel), err)
	}
	return subs, nil
}

func (s *pgStore) AllSubscriptions(ctx context.Context) ([]Subscription, error) {
	subs, err := s.subscriptions(ctx, `
		SELECT `+pgSubscriptionColumns+` FROM pdbot_subscriptions
		ORDER BY team COLLATE "C", channel COLLATE "C", service_id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("all subscriptions: %w", err)
	}
	return subs, nil
}

func (s *pgStore) subscriptions(ctx context.Context, sql string, args ...any) ([]Subscription, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	subs, err := pgx.CollectRows(rows, scanSubscription)
	if err != nil {
		return nil, err
	}
	if subs == nil {
		subs = []Subscription{}
	}
	return subs, nil
}

func (s *pgStore) DeleteSubscription(ctx context.Context, team, channel, serviceID string) error {
	if err := checkSubscription(team, channel, serviceID); err != nil {
		return err
	}
	return s.execOne(ctx, "delete "+subscriptionWhere(team, channel, serviceID),
		`DELETE FROM pdbot_subscriptions WHERE team = $1 AND channel = $2 AND service_id = $3`,
		team, channel, serviceID)
}

func (s *pgStore) SaveLiveCard(ctx context.Context, c LiveCard) error {
	if err := checkCard(c.Team, c.Channel, c.TS); err != nil {
		return err
	}
	if c.IncidentID == "" {
		return fmt.Errorf("save %s: store: empty incident id", cardWhere(c.Team, c.Channel, c.TS))
	}
	var resolved *time.Time // NULL while open
	if !c.ResolvedAt.IsZero() {
		t := normTime(c.ResolvedAt)
		resolved = &t
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pdbot_live_cards (team, channel, ts, incident_id, posted_at, resolved_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (team, channel, ts) DO UPDATE SET
			incident_id = EXCLUDED.incident_id, posted_at = EXCLUDED.posted_at,
			resolved_at = EXCLUDED.resolved_at`,
		c.Team, c.Channel, c.TS, c.IncidentID, normTime(c.PostedAt), resolved)
	if err != nil {
		return fmt.Errorf("save %s: %w", cardWhere(c.Team, c.Channel, c.TS), err)
	}
	return nil
}

func (s *pgStore) LiveCards(ctx context.Context) ([]LiveCard, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT team, channel, ts, incident_id, posted_at, resolved_at FROM pdbot_live_cards
		ORDER BY team COLLATE "C", channel COLLATE "C", ts COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("live cards: %w", err)
	}
	cards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LiveCard, error) {
		var c LiveCard
		var resolved *time.Time
		err := r.Scan(&c.Team, &c.Channel, &c.TS, &c.IncidentID, &c.PostedAt, &resolved)
		c.PostedAt = c.PostedAt.UTC()
		if resolved != nil {
			c.ResolvedAt = resolved.UTC()
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("live cards: %w", err)
	}
	if cards == nil {
		cards = []LiveCard{}
	}
	return cards, nil
}

func (s *pgStore) DeleteLiveCard(ctx context.Context, team, channel, ts string) error {
	if err := checkCard(team, channel, ts); err != nil {
		return err
	}
	return s.execOne(ctx, "delete "+cardWhere(team, channel, ts),
		`DELETE FROM pdbot_live_cards WHERE team = $1 AND channel = $2 AND ts = $3`, team, channel, ts)
}

func (s *pgStore) PollCursor(ctx context.Context, keyID string) (PollCursor, error) {
	if err := checkKeyID(keyID); err != nil {
		return PollCursor{}, err
	}
	var c PollCursor
	err := s.pool.QueryRow(ctx, `SELECT since, seen FROM pdbot_poll_cursors WHERE key_id = $1`, keyID).
		Scan(&c.Since, &c.Seen)
	if err != nil {
		return PollCursor{}, pgErr("poll cursor of key "+keyID, err)
	}
	return normCursor(c), nil
}

func (s *pgStore) SetPollCursor(ctx context.Context, keyID string, c PollCursor) error {
	if err := checkKeyID(keyID); err != nil {
		return err
	}
	c = normCursor(c) // Seen non-nil: the column is NOT NULL
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pdbot_poll_cursors (key_id, since, seen) VALUES ($1, $2, $3)
		ON CONFLICT (key_id) DO UPDATE SET since = EXCLUDED.since, seen = EXCLUDED.seen`,
		keyID, c.Since, c.Seen)
	if err != nil {
		return fmt.Errorf("set poll cursor of key %s: %w", keyID, err)
	}
	return nil
}

// TakeLease is one statement, so it is atomic across replicas: a new row,
// a row of the same holder (a renewal) or an expired row taken over
// returns the holder; a live row of another holder returns none. Two
// replicas inserting the same name at once conflict on the primary key,
// and the second waits for the first to commit and then sees its live row.
// Expiry uses the database clock, which all replicas share.
func (s *pgStore) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder); err != nil {
		return false, err
	}
	if err := checkLeaseTTL(ttl); err != nil {
		return false, err
	}
	var got string
	err := s.pool.QueryRow(ctx, `
		INSERT INTO pdbot_leases (name, holder, expires)
		VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires = EXCLUDED.expires
		WHERE pdbot_leases.expires < now() OR pdbot_leases.holder = EXCLUDED.holder
		RETURNING holder`, name, holder, max(ttl.Microseconds(), 1)).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return got == holder, nil
}

func (s *pgStore) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM pdbot_leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
