package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations build the PostgreSQL schema; entry i takes the schema from
// version i to i+1. Append only: a released entry never changes. Tables
// live in the connection's current schema (search_path), so one database can
// host several pdbot installations, and tests can isolate themselves.
var migrations = []string{
	`CREATE TABLE pdbot_api_keys (
		team       text        NOT NULL,
		channel    text        NOT NULL,
		sealed     bytea       NOT NULL,
		last4      text        NOT NULL,
		set_by     text        NOT NULL,
		updated_at timestamptz NOT NULL,
		PRIMARY KEY (team, channel)
	);
	CREATE TABLE pdbot_links (
		team        text        NOT NULL,
		channel     text        NOT NULL,
		incident_id text        NOT NULL,
		updated_at  timestamptz NOT NULL,
		PRIMARY KEY (team, channel)
	);
	CREATE TABLE pdbot_mappings (
		team       text        NOT NULL,
		slack_user text        NOT NULL,
		pd_user_id text        NOT NULL,
		email      text        NOT NULL,
		name       text        NOT NULL,
		override   boolean     NOT NULL,
		updated_at timestamptz NOT NULL,
		PRIMARY KEY (team, slack_user)
	);
	CREATE TABLE pdbot_audit (
		id         bigserial   PRIMARY KEY,
		time       timestamptz NOT NULL,
		team       text        NOT NULL,
		channel    text        NOT NULL,
		slack_user text        NOT NULL,
		incident   text        NOT NULL,
		action     text        NOT NULL,
		result     text        NOT NULL
	);
	CREATE INDEX pdbot_audit_team_time ON pdbot_audit (team, time DESC, id DESC);
	CREATE TABLE pdbot_claims (
		id         text        PRIMARY KEY,
		expires_at timestamptz NOT NULL
	);
	CREATE INDEX pdbot_claims_expires_at ON pdbot_claims (expires_at);`,
	// To version 2: LiveStore's tables (postgres_live.go).
	`CREATE TABLE IF NOT EXISTS pdbot_subscriptions (
		team         text        NOT NULL,
		channel      text        NOT NULL,
		service_id   text        NOT NULL,
		service_name text        NOT NULL,
		urgency      text        NOT NULL,
		created_by   text        NOT NULL,
		created_at   timestamptz NOT NULL,
		PRIMARY KEY (team, channel, service_id)
	);
	CREATE TABLE IF NOT EXISTS pdbot_live_cards (
		team        text        NOT NULL,
		channel     text        NOT NULL,
		ts          text        NOT NULL,
		incident_id text        NOT NULL,
		posted_at   timestamptz NOT NULL,
		resolved_at timestamptz,
		PRIMARY KEY (team, channel, ts)
	);
	CREATE TABLE IF NOT EXISTS pdbot_poll_cursors (
		key_id text        PRIMARY KEY,
		since  timestamptz NOT NULL,
		seen   text[]      NOT NULL
	);
	CREATE TABLE IF NOT EXISTS pdbot_leases (
		name    text        PRIMARY KEY,
		holder  text        NOT NULL,
		expires timestamptz NOT NULL
	);`,
}

// pgClaimSweepEvery spaces the lazy DELETE of expired claims per replica.
const pgClaimSweepEvery = time.Minute

// pgResealRetries bounds how often Reseal retries a record that changed
// under it (another replica set a new key meanwhile).
const pgResealRetries = 3

// pgAuditWriteTimeout bounds one audit batch's INSERT, so a database that
// hangs cannot hold Close for ever.
const pgAuditWriteTimeout = 30 * time.Second

type pgStore struct {
	pool      *pgxpool.Pool
	ring      *KeyRing
	lastSweep atomic.Int64 // unix ns of the last expired-claims DELETE
	audit     *auditQueue
}

// OpenPostgres connects to PostgreSQL with a pgxpool and creates or migrates
// pdbot's tables in the current schema. Several replicas may start at once:
// migration runs in one transaction under an advisory lock. Errors never
// contain the DSN password.
func OpenPostgres(ctx context.Context, dsn string, ring *KeyRing) (Store, error) {
	if ring == nil || ring.Len() == 0 {
		return nil, errors.New("open postgres store: no master key ring")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx quotes the DSN with the password masked; mask it again in
		// case a future pgx does not.
		return nil, scrub(fmt.Errorf("open postgres store: %w", err), dsnPassword(dsn))
	}
	password := cfg.ConnConfig.Password
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, scrub(fmt.Errorf("open postgres store: %w", err), password)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, scrub(fmt.Errorf("open postgres store: %w", err), password)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, scrub(fmt.Errorf("open postgres store: migrate: %w", err), password)
	}
	s := &pgStore{pool: pool, ring: ring}
	s.audit = newAuditQueue(s.writeAudit)
	return s, nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// One lock per schema: replicas starting together queue here, and
		// the loser sees the winner's tables. DDL is transactional.
		if _, err := tx.Exec(ctx,
			`SELECT pg_advisory_xact_lock(hashtext('pdbot.migrate.' || coalesce(current_schema(), '')))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`CREATE TABLE IF NOT EXISTS pdbot_schema_version (version integer NOT NULL)`); err != nil {
			return err
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM pdbot_schema_version`).Scan(&version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO pdbot_schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this pdbot knows (%d)", version, len(migrations))
		}
		for i := version; i < len(migrations); i++ {
			// No arguments: pgx sends it with the simple protocol, which
			// allows several statements.
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("to version %d: %w", i+1, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE pdbot_schema_version SET version = $1`, len(migrations))
		return err
	})
}

// scrubbedError hides a password that an underlying error might quote.
// Unwrap keeps errors.Is and errors.As working.
type scrubbedError struct {
	err      error
	password string
}

func (e *scrubbedError) Error() string {
	if e.password == "" {
		return e.err.Error()
	}
	return strings.ReplaceAll(e.err.Error(), e.password, "xxxxx")
}

func (e *scrubbedError) Unwrap() error { return e.err }

func scrub(err error, password string) error { return &scrubbedError{err: err, password: password} }

// dsnPassword digs the password out of a URL DSN that pgx failed to parse.
func dsnPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

func (s *pgStore) SetAPIKey(ctx context.Context, team, channel string, key Secret, setBy string) error {
	if err := checkKeyArgs(team, key); err != nil {
		return err
	}
	sealed, err := s.ring.seal([]byte(key.Reveal()), team, channel)
	if err != nil {
		return fmt.Errorf("set api key of %s: %w", where(team, channel), err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO pdbot_api_keys (team, channel, sealed, last4, set_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (team, channel) DO UPDATE SET
			sealed = EXCLUDED.sealed, last4 = EXCLUDED.last4,
			set_by = EXCLUDED.set_by, updated_at = EXCLUDED.updated_at`,
		team, channel, sealed, key.Last4(), setBy, now())
	if err != nil {
		return fmt.Errorf("set api key of %s: %w", where(team, channel), err)
	}
	return nil
}

func (s *pgStore) APIKey(ctx context.Context, team, channel string) (Secret, error) {
	if err := checkTeam(team); err != nil {
		return "", err
	}
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT sealed FROM pdbot_api_keys WHERE team = $1 AND channel = $2`,
		team, channel).Scan(&sealed)
	if err != nil {
		return "", pgErr("api key of "+where(team, channel), err)
	}
	pt, _, err := s.ring.open(sealed, team, channel)
	if err != nil {
		return "", fmt.Errorf("api key of %s: %w", where(team, channel), err)
	}
	return Secret(pt), nil
}

// pgErr wraps err with what, turning "no rows" into ErrNotFound.
func pgErr(what string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (s *pgStore) APIKeyInfo(ctx context.Context, team, channel string) (KeyInfo, error) {
	var ki KeyInfo
	if err := checkTeam(team); err != nil {
		return ki, err
	}
	err := s.pool.QueryRow(ctx, `SELECT last4, set_by, updated_at FROM pdbot_api_keys WHERE team = $1 AND channel = $2`,
		team, channel).Scan(&ki.Last4, &ki.SetBy, &ki.UpdatedAt)
	if err != nil {
		return KeyInfo{}, pgErr("api key of "+where(team, channel), err)
	}
	ki.UpdatedAt = ki.UpdatedAt.UTC()
	return ki, nil
}

// execOne runs a statement that must touch a row; none is ErrNotFound.
func (s *pgStore) execOne(ctx context.Context, what, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

func (s *pgStore) DeleteAPIKey(ctx context.Context, team, channel string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	return s.execOne(ctx, "delete api key of "+where(team, channel),
		`DELETE FROM pdbot_api_keys WHERE team = $1 AND channel = $2`, team, channel)
}

func (s *pgStore) SetLink(ctx context.Context, team, channel, incidentID string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	if incidentID == "" {
		return errors.New("store: empty incident id")
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pdbot_links (team, channel, incident_id, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (team, channel) DO UPDATE SET incident_id = EXCLUDED.incident_id, updated_at = EXCLUDED.updated_at`,
		team, channel, incidentID, now())
	if err != nil {
		return fmt.Errorf("set link of %s: %w", where(team, channel), err)
	}
	return nil
}

func (s *pgStore) Link(ctx context.Context, team, channel string) (string, error) {
	if err := checkTeam(team); err != nil {
		return "", err
	}
	var id string
	err := s.pool.QueryRow(ctx, `SELECT incident_id FROM pdbot_links WHERE team = $1 AND channel = $2`,
		team, channel).Scan(&id)
	if err != nil {
		return "", pgErr("link of "+where(team, channel), err)
	}
	return id, nil
}

func (s *pgStore) DeleteLink(ctx context.Context, team, channel string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	return s.execOne(ctx, "delete link of "+where(team, channel),
		`DELETE FROM pdbot_links WHERE team = $1 AND channel = $2`, team, channel)
}

func (s *pgStore) SetMapping(ctx context.Context, team, slackUser string, m Mapping) error {
	if err := checkUser(team, slackUser); err != nil {
		return err
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = now()
	}
	// The WHERE keeps an admin override against a looked-up mapping, in one
	// statement, so a lookup racing /pd map cannot undo it.
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pdbot_mappings (team, slack_user, pd_user_id, email, name, override, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (team, slack_user) DO UPDATE SET
			pd_user_id = EXCLUDED.pd_user_id, email = EXCLUDED.email, name = EXCLUDED.name,
			override = EXCLUDED.override, updated_at = EXCLUDED.updated_at
		WHERE EXCLUDED.override OR NOT pdbot_mappings.override`,
		team, slackUser, m.PDUserID, m.Email, m.Name, m.Override, normTime(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("set mapping of team %s user %s: %w", team, slackUser, err)
	}
	return nil
}

func (s *pgStore) Mapping(ctx context.Context, team, slackUser string) (Mapping, error) {
	var m Mapping
	if err := checkUser(team, slackUser); err != nil {
		return m, err
	}
	err := s.pool.QueryRow(ctx, `
		SELECT pd_user_id, email, name, override, updated_at FROM pdbot_mappings
		WHERE team = $1 AND slack_user = $2`, team, slackUser).
		Scan(&m.PDUserID, &m.Email, &m.Name, &m.Override, &m.UpdatedAt)
	if err != nil {
		return Mapping{}, pgErr(fmt.Sprintf("mapping of team %s user %s", team, slackUser), err)
	}
	m.UpdatedAt = m.UpdatedAt.UTC()
	return m, nil
}

func (s *pgStore) DeleteMapping(ctx context.Context, team, slackUser string) error {
	if err := checkUser(team, slackUser); err != nil {
		return err
	}
	return s.execOne(ctx, fmt.Sprintf("delete mapping of team %s user %s", team, slackUser),
		`DELETE FROM pdbot_mappings WHERE team = $1 AND slack_user = $2`, team, slackUser)
}

func (s *pgStore) Overrides(ctx context.Context, team string) ([]UserMapping, error) {
	if err := checkTeam(team); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT slack_user, pd_user_id, email, name, override, updated_at FROM pdbot_mappings
		WHERE team = $1 AND override ORDER BY slack_user COLLATE "C"`, team)
	if err != nil {
		return nil, fmt.Errorf("overrides of team %s: %w", team, err)
	}
	defer rows.Close()
	out := []UserMapping{}
	for rows.Next() {
		var um UserMapping
		m := &um.Mapping
		if err := rows.Scan(&um.SlackUser, &m.PDUserID, &m.Email, &m.Name, &m.Override, &m.UpdatedAt); err != nil {
			return nil, fmt.Errorf("overrides of team %s: %w", team, err)
		}
		m.UpdatedAt = m.UpdatedAt.UTC()
		out = append(out, um)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overrides of team %s: %w", team, err)
	}
	return out, nil
}

// AppendAudit queues e for the store's writer and returns; see auditQueue.
func (s *pgStore) AppendAudit(ctx context.Context, e AuditEntry) error {
	if err := checkTeam(e.Team); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = normTime(e.Time)
	return s.audit.append(ctx, e)
}

// writeAudit inserts a batch of rows with one statement (one round trip,
// one commit): the columns go as arrays and unnest turns them back into
// rows, in order, so ids (the tie-break of equal times) follow the order
// of appending.
func (s *pgStore) writeAudit(rows []AuditEntry) (bool, error) {
	if len(rows) == 0 {
		return false, nil
	}
	times := make([]time.Time, len(rows))
	cols := make([][]string, 6)
	for i := range cols {
		cols[i] = make([]string, len(rows))
	}
	for i, e := range rows {
		times[i] = e.Time
		cols[0][i], cols[1][i], cols[2][i] = e.Team, e.Channel, e.User
		cols[3][i], cols[4][i], cols[5][i] = e.Incident, e.Action, e.Result
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgAuditWriteTimeout)
	defer cancel()
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pdbot_audit (time, team, channel, slack_user, incident, action, result)
		SELECT time, team, channel, slack_user, incident, action, result
		FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
			WITH ORDINALITY AS r(time, team, channel, slack_user, incident, action, result, n)
		ORDER BY n`,
		times, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5])
	if err != nil {
		return true, fmt.Errorf("write audit batch: %w", err)
	}
	return true, nil
}

func (s *pgStore) Audit(ctx context.Context, team string, limit int) ([]AuditEntry, error) {
	if err := checkTeam(team); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	// Rows this replica appended before the call may still be queued.
	if err := s.audit.flush(ctx); err != nil {
		return nil, fmt.Errorf("audit of team %s: %w", team, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT time, team, channel, slack_user, incident, action, result FROM pdbot_audit
		WHERE team = $1 ORDER BY time DESC, id DESC LIMIT $2`, team, limit)
	if err != nil {
		return nil, fmt.Errorf("audit of team %s: %w", team, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.Time, &e.Team, &e.Channel, &e.User, &e.Incident, &e.Action, &e.Result)
		e.Time = e.Time.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit of team %s: %w", team, err)
	}
	return out, nil
}

func (s *pgStore) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if err := checkClaim(id, ttl); err != nil {
		return false, err
	}
	if err := s.sweepClaims(ctx); err != nil {
		return false, err
	}
	// One statement, one round trip, decides: a new row, or an expired row
	// taken over, wins. A concurrent insert of the same id waits for the
	// first to commit and then sees a live row, so exactly one caller gets
	// a row back. Expiry uses the database clock, which all replicas share.
	//
	// The statement commits asynchronously (synchronous_commit off, for
	// this transaction only): it returns without waiting for its WAL to
	// reach the disk, which the WAL writer flushes for many commits at once
	// within wal_writer_delay (200 ms by default). Locks and visibility are
	// as before, so exactly-once among replicas holds; what a crash of the
	// database server (not of a replica) can lose is the claims of that
	// last moment, and so, as with bolt (see boltStore.Claim), only an
	// envelope whose ack was lost in transit at that moment can run twice.
	var won bool
	err := s.pool.QueryRow(ctx, `
		INSERT INTO pdbot_claims (id, expires_at)
		SELECT $1::text, now() + $2::bigint * interval '1 microsecond'
		FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
		ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE pdbot_claims.expires_at <= now()
		RETURNING true`, id, ttl.Microseconds()).Scan(&won)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", id, err)
	}
	return won, nil
}

// sweepClaims deletes expired claims, at most once per pgClaimSweepEvery
// per replica; the Claim statement itself never needs it.
func (s *pgStore) sweepClaims(ctx context.Context) error {
	last := s.lastSweep.Load()
	t := time.Now().UnixNano()
	if t-last < int64(pgClaimSweepEvery) || !s.lastSweep.CompareAndSwap(last, t) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM pdbot_claims WHERE expires_at <= now()`); err != nil {
		return fmt.Errorf("sweep expired claims: %w", err)
	}
	return nil
}

func (s *pgStore) Reseal(ctx context.Context) (int, error) {
	type rec struct {
		team, channel string
	}
	rows, err := s.pool.Query(ctx, `SELECT team, channel FROM pdbot_api_keys ORDER BY team, channel`)
	if err != nil {
		return 0, fmt.Errorf("reseal: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rec, error) {
		var x rec
		return x, r.Scan(&x.team, &x.channel)
	})
	if err != nil {
		return 0, fmt.Errorf("reseal: %w", err)
	}
	n := 0
	var errs []error
	for _, r := range recs {
		rewrote, err := s.resealOne(ctx, r.team, r.channel)
		if ctx.Err() != nil {
			return n, fmt.Errorf("reseal: %w", ctx.Err())
		}
		if err != nil {
			errs = append(errs, resealFailed(r.team, r.channel, err))
			continue
		}
		if rewrote {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// resealOne rewrites one record with compare-and-swap on the sealed bytes,
// so a key set meanwhile by another replica is never overwritten with the
// old one. The UPDATE is its own transaction and re-checks the bytes under
// the row lock: when two replicas reseal at once, the second one's UPDATE
// waits for the first, then matches no row, and its retry finds the record
// under the newest key already — so each record is rewritten once in total.
func (s *pgStore) resealOne(ctx context.Context, team, channel string) (bool, error) {
	for range pgResealRetries {
		var sealed []byte
		err := s.pool.QueryRow(ctx, `SELECT sealed FROM pdbot_api_keys WHERE team = $1 AND channel = $2`,
			team, channel).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil // deleted meanwhile
		}
		if err != nil {
			return false, err
		}
		pt, idx, err := s.ring.open(sealed, team, channel)
		if err != nil {
			return false, err
		}
		if idx == 0 {
			return false, nil
		}
		fresh, err := s.ring.seal(pt, team, channel)
		if err != nil {
			return false, err
		}
		tag, err := s.pool.Exec(ctx, `
			UPDATE pdbot_api_keys SET sealed = $3 WHERE team = $1 AND channel = $2 AND sealed = $4`,
			team, channel, fresh, sealed)
		if err != nil {
			return false, err
		}
		if tag.RowsAffected() == 1 {
			return true, nil
		}
	}
	return false, fmt.Errorf("record kept changing; gave up after %d tries", pgResealRetries)
}

func (s *pgStore) KeyCensus(ctx context.Context) (KeyCensus, error) {
	var c KeyCensus
	rows, err := s.pool.Query(ctx, `SELECT team, channel, sealed FROM pdbot_api_keys`)
	if err != nil {
		return c, fmt.Errorf("key census: %w", err)
	}
	var team, channel string
	var sealed []byte
	_, err = pgx.ForEachRow(rows, []any{&team, &channel, &sealed}, func() error {
		c.count(s.ring.age(sealed, team, channel))
		return nil
	})
	if err != nil {
		return KeyCensus{}, fmt.Errorf("key census: %w", err)
	}
	return c, nil
}

// Close writes every queued audit row, stops the writer and closes the pool.
func (s *pgStore) Close() error {
	err := s.audit.close()
	s.pool.Close()
	return err
}
