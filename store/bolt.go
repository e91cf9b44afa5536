package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// boltOpenTimeout bounds how long OpenBolt waits for the file lock that
// another process (a second pdbot on the same file) may hold.
var boltOpenTimeout = 2 * time.Second

// boltClaimSweep caps how many expired claims one Claim removes, so the
// clean-up cost stays flat however many have piled up.
const boltClaimSweep = 64

// appendFill is how full bbolt fills a page before it splits one, for the
// buckets whose keys grow with time (audit rows, the claims' expiry index):
// bbolt's default, half, leaves every page half empty when keys come in
// order, for twice the pages to write.
const appendFill = 0.9

// The bbolt layout, format 1. Record keys of team and channel (or user) are
// uvarint(len(team)) || team || name, so no two pairs share a key.
// LiveStore's buckets are in bolt_live.go; OpenBolt creates them all.
var (
	bktMeta        = []byte("meta")         // "format" → boltFormat
	bktAPIKeys     = []byte("apikeys")      // team,channel → JSON boltKeyRecord
	bktLinks       = []byte("links")        // team,channel → incident ID
	bktMappings    = []byte("mappings")     // team,user → JSON Mapping
	bktAudit       = []byte("audit")        // team → bucket: time(8) || seq(8) → JSON AuditEntry
	bktClaims      = []byte("claims")       // no longer written: id → expiry; migrated on open
	bktClaimExpiry = []byte("claim_expiry") // expiry(8) || id → nil: the claims, in expiry order

	metaFormat = []byte("format")
)

const boltFormat = 1

// boltKeyRecord is a stored API key: sealed, with what APIKeyInfo shows.
type boltKeyRecord struct {
	Sealed    []byte    `json:"sealed"`
	Last4     string    `json:"last4"`
	SetBy     string    `json:"set_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

type boltStore struct {
	db     *bolt.DB
	cache  readCache // records read, until the next write (bolt_cache.go)
	ring   *KeyRing
	claims *memClaims
	audit  *auditQueue
	closed atomic.Bool
}

// OpenBolt opens (creating if needed, mode 0600) the bbolt file at path. A
// file locked by another process fails after a short wait with an error
// that says so. bbolt allows one process per file: use PostgreSQL for
// several replicas.
func OpenBolt(path string, ring *KeyRing) (Store, error) {
	if ring == nil || ring.Len() == 0 {
		return nil, errors.New("open bolt store: no master key ring")
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: boltOpenTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open bolt store %s: file is locked by another process (is another pdbot running on it?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open bolt store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{
			bktMeta, bktAPIKeys, bktLinks, bktMappings, bktAudit, bktClaimExpiry,
			bktSubscriptions, bktLiveCards, bktPollCursors, bktLeases,
		} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if err := dropClaimsByID(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bktMeta)
		switch v := meta.Get(metaFormat); {
		case v == nil:
			return meta.Put(metaFormat, []byte{boltFormat})
		case len(v) != 1 || v[0] != boltFormat:
			return fmt.Errorf("unknown file format %v (this pdbot knows %d)", v, boltFormat)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open bolt store %s: %w", path, err)
	}
	s := &boltStore{db: db, ring: ring, claims: newMemClaims()}
	if err := s.loadClaims(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open bolt store %s: %w", path, err)
	}
	s.audit = newAuditQueue(s.writeBatch)
	return s, nil
}

func recordKey(team, name string) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(team)+len(name))
	b = binary.AppendUvarint(b, uint64(len(team)))
	b = append(b, team...)
	return append(b, name...)
}

// splitRecordKey undoes recordKey.
func splitRecordKey(k []byte) (team, name string, ok bool) {
	n, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) < n {
		return "", "", false
	}
	return string(k[w : w+int(n)]), string(k[w+int(n):]), true
}

// sortableTime encodes t so that byte order is time order, before 1970 too.
func sortableTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

func (s *boltStore) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *boltStore) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.cache.invalidate() // after the commit (or its failure)
	return s.db.Update(fn)
}

func (s *boltStore) SetAPIKey(ctx context.Context, team, channel string, key Secret, setBy string) error {
	if err := checkKeyArgs(team, key); err != nil {
		return err
	}
	sealed, err := s.ring.seal([]byte(key.Reveal()), team, channel)
	if err != nil {
		return fmt.Errorf("set api key of %s: %w", where(team, channel), err)
	}
	rec, err := json.Marshal(boltKeyRecord{Sealed: sealed, Last4: key.Last4(), SetBy: setBy, UpdatedAt: now()})
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktAPIKeys).Put(recordKey(team, channel), rec)
	})
}

func (s *boltStore) keyRecord(ctx context.Context, team, channel string) (boltKeyRecord, error) {
	if err := checkTeam(team); err != nil {
		return boltKeyRecord{}, err
	}
	if err := ctx.Err(); err != nil {
		return boltKeyRecord{}, err
	}
	k := recordKey(team, channel)
	return cached(&s.cache, "k"+string(k), func() (boltKeyRecord, error) { return s.readKeyRecord(ctx, k, team, channel) })
}

func (s *boltStore) readKeyRecord(ctx context.Context, k []byte, team, channel string) (boltKeyRecord, error) {
	var rec boltKeyRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bktAPIKeys).Get(k)
		if v == nil {
			return fmt.Errorf("api key of %s: %w", where(team, channel), ErrNotFound)
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			// A record that is not even JSON cannot be opened either: the
			// bot gives the same advice (set the key again).
			return fmt.Errorf("api key of %s: corrupt record: %w: %w", where(team, channel), ErrCannotUnseal, err)
		}
		return nil
	})
	return rec, err
}

func (s *boltStore) APIKey(ctx context.Context, team, channel string) (Secret, error) {
	rec, err := s.keyRecord(ctx, team, channel)
	if err != nil {
		return "", err
	}
	pt, _, err := s.ring.open(rec.Sealed, team, channel)
	if err != nil {
		return "", fmt.Errorf("api key of %s: %w", where(team, channel), err)
	}
	return Secret(pt), nil
}

func (s *boltStore) APIKeyInfo(ctx context.Context, team, channel string) (KeyInfo, error) {
	rec, err := s.keyRecord(ctx, team, channel)
	if err != nil {
		return KeyInfo{}, err
	}
	return KeyInfo{Last4: rec.Last4, SetBy: rec.SetBy, UpdatedAt: rec.UpdatedAt.UTC()}, nil
}

func (s *boltStore) DeleteAPIKey(ctx context.Context, team, channel string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return deleteExisting(tx.Bucket(bktAPIKeys), recordKey(team, channel), "api key of "+where(team, channel))
	})
}

func deleteExisting(b *bolt.Bucket, key []byte, what string) error {
	if b.Get(key) == nil {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return b.Delete(key)
}

func (s *boltStore) SetLink(ctx context.Context, team, channel, incidentID string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	if incidentID == "" {
		return errors.New("store: empty incident id")
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktLinks).Put(recordKey(team, channel), []byte(incidentID))
	})
}

func (s *boltStore) Link(ctx context.Context, team, channel string) (string, error) {
	if err := checkTeam(team); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	k := recordKey(team, channel)
	return cached(&s.cache, "l"+string(k), func() (string, error) {
		var id string
		err := s.view(ctx, func(tx *bolt.Tx) error {
			v := tx.Bucket(bktLinks).Get(k)
			if v == nil {
				return fmt.Errorf("link of %s: %w", where(team, channel), ErrNotFound)
			}
			id = string(v)
			return nil
		})
		return id, err
	})
}

func (s *boltStore) DeleteLink(ctx context.Context, team, channel string) error {
	if err := checkTeam(team); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return deleteExisting(tx.Bucket(bktLinks), recordKey(team, channel), "link of "+where(team, channel))
	})
}

func (s *boltStore) SetMapping(ctx context.Context, team, slackUser string, m Mapping) error {
	if err := checkUser(team, slackUser); err != nil {
		return err
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = now()
	}
	m.UpdatedAt = normTime(m.UpdatedAt)
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bktMappings)
		k := recordKey(team, slackUser)
		if !m.Override {
			if old := b.Get(k); old != nil {
				var prev Mapping
				if err := json.Unmarshal(old, &prev); err == nil && prev.Override {
					return nil // an admin override stands
				}
			}
		}
		return b.Put(k, v)
	})
}

func (s *boltStore) Mapping(ctx context.Context, team, slackUser string) (Mapping, error) {
	if err := checkUser(team, slackUser); err != nil {
		return Mapping{}, err
	}
	if err := ctx.Err(); err != nil {
		return Mapping{}, err
	}
	k := recordKey(team, slackUser)
	return cached(&s.cache, "m"+string(k), func() (Mapping, error) {
		var m Mapping
		err := s.view(ctx, func(tx *bolt.Tx) error {
			v := tx.Bucket(bktMappings).Get(k)
			if v == nil {
				return fmt.Errorf("mapping of team %s user %s: %w", team, slackUser, ErrNotFound)
			}
			return json.Unmarshal(v, &m)
		})
		if err != nil {
			return Mapping{}, err
		}
		m.UpdatedAt = m.UpdatedAt.UTC()
		return m, nil
	})
}

func (s *boltStore) DeleteMapping(ctx context.Context, team, slackUser string) error {
	if err := checkUser(team, slackUser); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return deleteExisting(tx.Bucket(bktMappings), recordKey(team, slackUser),
			fmt.Sprintf("mapping of team %s user %s", team, slackUser))
	})
}

func (s *boltStore) Overrides(ctx context.Context, team string) ([]UserMapping, error) {
	if err := checkTeam(team); err != nil {
		return nil, err
	}
	out := []UserMapping{}
	prefix := recordKey(team, "")
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktMappings).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			_, user, ok := splitRecordKey(k)
			if !ok {
				continue
			}
			var m Mapping
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("mapping of team %s user %s: corrupt record: %w", team, user, err)
			}
			if m.Override {
				m.UpdatedAt = m.UpdatedAt.UTC()
				out = append(out, UserMapping{SlackUser: user, Mapping: m})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("overrides of team %s: %w", team, err)
	}
	return out, nil
}

// AppendAudit queues e for the store's writer and returns; see auditQueue.
func (s *boltStore) AppendAudit(ctx context.Context, e AuditEntry) error {
	if err := checkTeam(e.Team); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = normTime(e.Time)
	return s.audit.append(ctx, e)
}

// writeBatch is the writer's one transaction per batch: the audit rows, the
// claims made since the last batch, and a bounded sweep of expired claims
// from the file. It runs no transaction when there is nothing to write.
func (s *boltStore) writeBatch(rows []AuditEntry) (bool, error) {
	claims := s.claims.takePending()
	if len(rows) == 0 && len(claims) == 0 {
		return false, nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := putAudit(tx, rows); err != nil {
			return err
		}
		return putClaims(tx, claims, time.Now())
	})
	if err != nil {
		s.claims.restorePending(claims)
		return true, fmt.Errorf("write audit batch: %w", err)
	}
	return true, nil
}

func putAudit(tx *bolt.Tx, rows []AuditEntry) error {
	for _, e := range rows {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b, err := tx.Bucket(bktAudit).CreateBucketIfNotExists([]byte(e.Team))
		if err != nil {
			return err
		}
		b.FillPercent = appendFill
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(sortableTime(e.Time), seq), v); err != nil {
			return err
		}
	}
	return nil
}

func (s *boltStore) Audit(ctx context.Context, team string, limit int) ([]AuditEntry, error) {
	if err := checkTeam(team); err != nil {
		return nil, err
	}
	var out []AuditEntry
	if limit <= 0 {
		return out, nil
	}
	// Rows appended before this call may still be queued: write them first.
	if err := s.audit.flush(ctx); err != nil {
		return nil, fmt.Errorf("audit of team %s: %w", team, err)
	}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bktAudit).Bucket([]byte(team))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit of team %s: corrupt entry: %w", team, err)
			}
			e.Time = e.Time.UTC()
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Claim decides in memory (memClaims): bbolt's file lock means no other
// process shares this store, so no transaction is needed to be the first.
// The claim is written to the file with the writer's next batch, and
// loaded again on open, so redeliveries after a restart are still known.
//
// What a crash (kill -9) can lose: the claims made since the last batch
// committed, a few milliseconds' worth. That matters only for an envelope
// that Slack redelivers, and Slack redelivers only envelopes it saw no ack
// for, while bot claims only after it has acked: so only an envelope whose
// ack was sent but lost in transit, and whose claim was lost in a crash in
// the same moment, can be carried out twice.
func (s *boltStore) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if err := checkClaim(id, ttl); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if s.closed.Load() {
		return false, errClosed
	}
	t := time.Now()
	won, err := s.claims.claim(id, t.UnixNano(), t.Add(ttl).UnixNano())
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", id, err)
	}
	if won {
		s.audit.wake()
	}
	return won, nil
}

// loadClaims reads the live claims of the file into memory. An id claimed
// again after its claim expired has two entries until the sweep removes the
// old one; keys go in expiry order, so the later one is kept.
func (s *boltStore) loadClaims() error {
	t := time.Now().UnixNano()
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktClaimExpiry).ForEach(func(k, _ []byte) error {
			if len(k) <= 8 { // a key is expiry(8) || id, never shorter
				return nil
			}
			if exp, _ := unsortableTime(k[:8]); exp > t {
				s.claims.load(string(k[8:]), exp)
			}
			return nil
		})
	})
}

// dropClaimsByID removes the claims bucket that files written by earlier
// versions have, keyed by id. Decisions are made in memory, so the file
// needs only the expiry-ordered index, where a batch's claims go on the end
// of the tree rather than scattered over it by their random ids (which cost
// the writer a page read and a page write for most claims). Every claim it
// holds has its entry in the index already: both were always written, and
// swept, together; an entry missing from the index is put back all the
// same.
func dropClaimsByID(tx *bolt.Tx) error {
	old := tx.Bucket(bktClaims)
	if old == nil {
		return nil
	}
	expiry := tx.Bucket(bktClaimExpiry)
	err := old.ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return nil
		}
		if ik := append(bytes.Clone(v), k...); expiry.Get(ik) == nil {
			return expiry.Put(ik, nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bktClaims)
}

// unsortableTime undoes sortableTime, to unix ns.
func unsortableTime(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), true
}

// putClaims writes claims to the file's expiry index, and first removes a
// bounded number of expired ones, oldest first: as many as are written and
// boltClaimSweep more, so the file does not grow. A re-claimed id's old
// entry has expired, so the sweep removes it in its turn.
func putClaims(tx *bolt.Tx, recs []claimRec, t time.Time) error {
	expiry := tx.Bucket(bktClaimExpiry)
	expiry.FillPercent = appendFill
	nowKey := sortableTime(t)
	c := expiry.Cursor()
	for i, k := 0, firstKey(c); i < len(recs)+boltClaimSweep && k != nil && bytes.Compare(k[:8], nowKey) <= 0; i, k = i+1, firstKey(c) {
		if err := expiry.Delete(k); err != nil {
			return err
		}
	}
	for _, r := range recs {
		if err := expiry.Put(append(sortableTime(time.Unix(0, r.exp)), r.id...), nil); err != nil {
			return err
		}
	}
	return nil
}

// firstKey returns a copy of the cursor's first key, or nil when the bucket
// is empty. Keys shorter than a timestamp are never written.
func firstKey(c *bolt.Cursor) []byte {
	k, _ := c.First()
	if len(k) < 8 {
		return nil
	}
	return bytes.Clone(k)
}

func (s *boltStore) Reseal(ctx context.Context) (int, error) {
	// Collect the record keys first, then rewrite each in its own short
	// transaction so other requests interleave, a kill loses nothing but
	// the record in flight (still sealed under its old key), and an ended
	// ctx stops between records. Each transaction re-reads its record, so
	// concurrent calls rewrite it once.
	var keys [][]byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktAPIKeys).ForEach(func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("reseal: %w", err)
	}
	n := 0
	var errs []error
	for _, k := range keys {
		team, channel, ok := splitRecordKey(k)
		if !ok {
			errs = append(errs, fmt.Errorf("reseal: malformed record key %q", k))
			continue
		}
		var rewrote bool
		err := s.update(ctx, func(tx *bolt.Tx) error {
			b := tx.Bucket(bktAPIKeys)
			v := b.Get(k)
			if v == nil {
				return nil // deleted meanwhile
			}
			var rec boltKeyRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("corrupt record: %w", err)
			}
			pt, idx, err := s.ring.open(rec.Sealed, team, channel)
			if err != nil {
				return err
			}
			if idx == 0 {
				return nil
			}
			if rec.Sealed, err = s.ring.seal(pt, team, channel); err != nil {
				return err
			}
			v, err = json.Marshal(rec)
			if err != nil {
				return err
			}
			rewrote = true
			return b.Put(k, v)
		})
		if ctx.Err() != nil {
			return n, fmt.Errorf("reseal: %w", ctx.Err())
		}
		if err != nil {
			errs = append(errs, resealFailed(team, channel, err))
			continue
		}
		if rewrote {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (s *boltStore) KeyCensus(ctx context.Context) (KeyCensus, error) {
	var c KeyCensus
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bktAPIKeys).ForEach(func(k, v []byte) error {
			team, channel, ok := splitRecordKey(k)
			var rec boltKeyRecord
			if !ok || json.Unmarshal(v, &rec) != nil {
				c.count(ageUnknown) // not a record any key opens
				return nil
			}
			c.count(s.ring.age(rec.Sealed, team, channel))
			return nil
		})
	})
	if err != nil {
		return KeyCensus{}, fmt.Errorf("key census: %w", err)
	}
	return c, nil
}

// Close writes every queued audit row and pending claim, stops the writer
// and closes the file.
func (s *boltStore) Close() error {
	s.closed.Store(true)
	return errors.Join(s.audit.close(), s.db.Close())
}
