package store

import (
	"fmt"
	"sync"
	"time"
)

// Exported for the external tests (package store_test), which cannot reach
// unexported names but must edit raw records.

// RecordKey is recordKey: the bbolt key of a team's channel or user record.
var RecordKey = recordKey

// BoltAPIKeysBucket names the bbolt bucket of sealed API keys.
var BoltAPIKeysBucket = bktAPIKeys

// SetBoltOpenTimeout shortens the lock wait for a test and restores it after.
func SetBoltOpenTimeout(d time.Duration) (restore func()) {
	old := boltOpenTimeout
	boltOpenTimeout = d
	return func() { boltOpenTimeout = old }
}

// AuditQueueLen is auditQueueLen: how many rows wait before AppendAudit does.
const AuditQueueLen = auditQueueLen

func auditQueueOf(s Store) *auditQueue {
	switch s := s.(type) {
	case *boltStore:
		return s.audit
	case *pgStore:
		return s.audit
	}
	panic(fmt.Sprintf("no audit queue in %T", s))
}

// AuditTxs returns how many write transactions s's audit writer has run.
func AuditTxs(s Store) int64 { return auditQueueOf(s).txs.Load() }

// HoldAuditWriter stops s's writer once it has taken its next item, before
// it drains the rest of the queue into a batch: held is closed when it
// waits, and release lets it go on (and never stops it again).
func HoldAuditWriter(s Store) (held <-chan struct{}, release func()) {
	h, r := make(chan struct{}), make(chan struct{})
	var once, releaseOnce sync.Once
	hook := func() {
		once.Do(func() {
			close(h)
			<-r
		})
	}
	auditQueueOf(s).beforeWrite.Store(&hook)
	return h, func() { releaseOnce.Do(func() { close(r) }) }
}

// LingerAudit makes s's writer linger d for a batch, and calls lingering
// (if not nil) each time it starts to. Call it before s is used.
func LingerAudit(s Store, d time.Duration, lingering func()) {
	q := auditQueueOf(s)
	q.linger = d
	if lingering != nil {
		q.onLinger.Store(&lingering)
	}
}

// LingerFor is the writer's wait for more of a batch (lingerFor).
var LingerFor = lingerFor

// AuditLinger and AuditCommitGap are the writer's defaults.
const AuditLinger, AuditCommitGap = auditLinger, auditCommitGap

// SetAuditCommitGap sets s's writer's commit gap. Call it before s is used.
func SetAuditCommitGap(s Store, d time.Duration) { auditQueueOf(s).gap = d }
