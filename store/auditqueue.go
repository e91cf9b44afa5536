package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// auditQueueLen bounds the audit rows waiting for the writer. A burst
	// beyond it makes AppendAudit wait (bounded by its ctx) instead of
	// dropping rows or letting memory grow: bot appends after it has
	// answered the user, so the wait delays no reply.
	auditQueueLen = 4096
	// auditBatchMax caps the rows one write transaction carries, so a
	// transaction stays short however long the queue is.
	auditBatchMax = 512
	// auditLinger is how long the writer waits for more rows after the
	// first of a batch: under load, one write carries many rows; a crash
	// loses at most this much more.
	auditLinger = 5 * time.Millisecond
	// auditCommitGap is the least time between a busy writer's commits: a
	// steady flow of commands (more than 20 a second) is written every 50 ms,
	// each commit carrying all of them, instead of a row or two per commit
	// and an fsync each: at 250 notes/s, 20 commits a second instead of
	// about 125, and pdbot's CPU a note 8–18% lower (BENCHMARKS.md). A row
	// after a quiet spell still waits only auditLinger; a crash loses at
	// most this much more.
	auditCommitGap = 50 * time.Millisecond
)

// errClosed is returned by calls on a store after Close.
var errClosed = errors.New("store: closed")

// queued is one item of the audit queue: a row, or (flushed set) a flush
// marker, which gets the result of the batch that wrote every row queued
// before it.
type queued struct {
	e       AuditEntry
	flushed chan error
}

// writeFunc writes rows (possibly none) in one transaction, with whatever
// else the backend keeps behind (bolt's claims). It reports whether it
// ran a transaction at all.
type writeFunc func(rows []AuditEntry) (wrote bool, err error)

// auditQueue turns audit rows into batches: AppendAudit queues a row and
// returns, and one goroutine, owned by the store and stopped by Close,
// writes whatever has queued meanwhile in one transaction. Under load one
// fsync carries many rows instead of one each.
//
// What that costs: a row is durable only once its batch commits. Close
// writes everything queued, so a clean stop loses nothing; a crash loses the
// rows of the batch in flight and those queued behind it.
type auditQueue struct {
	items chan queued
	kick  chan struct{} // wakes the writer for work that is not a row
	// urgent ends a linger: a flush is queued, or a batch's worth of rows.
	// Nothing else wakes a lingering writer: rows and claims that come
	// meanwhile are taken when the linger ends, not one wake-up each.
	urgent chan struct{}
	quit   chan struct{}
	done   chan struct{}
	write  writeFunc
	// linger is auditLinger (tests lengthen it), gap auditCommitGap.
	linger, gap time.Duration

	// mu is held for reading by every sender, so Close (which takes it for
	// writing) knows no send is under way once it has set closed.
	mu     sync.RWMutex
	closed bool

	// txs counts write transactions (tests compare it with rows).
	txs atomic.Int64
	// beforeWrite, when set (tests only), runs before each batch is drained.
	beforeWrite atomic.Pointer[func()]
	// onLinger, when set (tests only), runs when the writer starts to
	// linger for a batch.
	onLinger atomic.Pointer[func()]

	lostMu  sync.Mutex
	lost    int   // rows that could not be written since last reported
	lostErr error // why the last of them failed
}

func newAuditQueue(write writeFunc) *auditQueue {
	q := &auditQueue{
		items:  make(chan queued, auditQueueLen),
		kick:   make(chan struct{}, 1),
		urgent: make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		write:  write,
		linger: auditLinger,
		gap:    auditCommitGap,
	}
	go q.run()
	return q
}

// append queues e. It waits, bounded by ctx, only while the queue is full.
// A row that failed to be written earlier is reported here (the store does
// not log): the caller logs the error, and e itself is queued all the same.
func (q *auditQueue) append(ctx context.Context, e AuditEntry) error {
	if err := q.send(ctx, queued{e: e}); err != nil {
		return fmt.Errorf("append audit of team %s: %w", e.Team, err)
	}
	return q.takeLost()
}

// flush returns once every row queued before it is written, with the error
// of the last batch (nil when every row of it was written).
func (q *auditQueue) flush(ctx context.Context) error {
	m := make(chan error, 1)
	if err := q.send(ctx, queued{flushed: m}); err != nil {
		if errors.Is(err, errClosed) {
			return nil // Close wrote everything
		}
		return err
	}
	select {
	case err := <-m:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *auditQueue) send(ctx context.Context, it queued) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return errClosed
	}
	select {
	case q.items <- it:
		if it.flushed != nil || len(q.items) >= auditBatchMax {
			signal(q.urgent)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit queue full: %w", ctx.Err())
	}
}

// wake asks the writer for a transaction without queuing a row: within
// auditLinger (or auditCommitGap of its last commit), with whatever else
// comes meanwhile.
func (q *auditQueue) wake() { signal(q.kick) }

// signal sends on a one-deep channel unless a signal is pending already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// takeSignal takes ch's pending signal, if any.
func takeSignal(ch chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// close stops new rows, writes every queued one and stops the writer.
func (q *auditQueue) close() error {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if already {
		return nil
	}
	close(q.quit)
	<-q.done
	return q.takeLost()
}

func (q *auditQueue) run() {
	defer close(q.done)
	var lastWrite time.Time // the last commit's start
	var rows []AuditEntry
	var markers []chan error
	add := func(it queued) {
		if it.flushed != nil {
			markers = append(markers, it.flushed)
		} else {
			rows = append(rows, it.e)
		}
	}
	for {
		stopping, kicked := false, false
		select {
		case it := <-q.items:
			add(it)
		case <-q.kick:
			kicked = true
		case <-q.quit:
			stopping = true
		}
		if hook := q.beforeWrite.Load(); hook != nil {
			(*hook)()
		}
		// Linger a moment for more rows (and, on bbolt, claims: a wake),
		// so a busy minute costs one write (one fsync on bbolt) per batch
		// rather than one per row or claim. What comes meanwhile waits in
		// the queue and is taken when the linger ends; a flush, a full
		// batch or a stop ends it at once.
		var linger <-chan time.Time
		var lingerTimer *time.Timer
		if !stopping && len(markers) == 0 && (len(rows) > 0 || kicked) {
			takeSignal(q.urgent) // for what is queued already: taken below
			lingerTimer = time.NewTimer(lingerFor(time.Since(lastWrite), q.linger, q.gap))
			linger = lingerTimer.C
			if hook := q.onLinger.Load(); hook != nil {
				(*hook)()
			}
		}
	drain:
		for len(rows) < auditBatchMax {
			select {
			case it := <-q.items:
				add(it)
				if it.flushed != nil {
					break drain
				}
				continue
			default:
			}
			if linger == nil {
				break
			}
			select {
			case <-linger:
				linger = nil // take what has queued, then write
			case <-q.urgent:
			case <-q.quit:
				stopping = true
				linger = nil
			}
		}
		if lingerTimer != nil {
			lingerTimer.Stop()
		}
		// The batch takes every claim made so far (writeBatch), so the
		// wakes for them are spent.
		takeSignal(q.kick)
		lastWrite = time.Now()
		err := q.writeBatch(rows)
		for _, m := range markers {
			m <- err
		}
		clear(rows)
		rows, markers = rows[:0], markers[:0]
		// After quit no sender is left (close holds them off), so the
		// queue only shrinks: stop once it is empty.
		if stopping && len(q.items) == 0 {
			return
		}
	}
}

// lingerFor is how long the writer waits for more of a batch when the last
// commit began since ago: linger, and at least until gap has passed since
// that commit.
func lingerFor(since, linger, gap time.Duration) time.Duration {
	return max(linger, gap-since)
}

// writeBatch writes rows in one transaction. When that fails it tries them
// one by one, so a row the database refuses costs only itself; rows that
// still fail are counted as lost and reported to the next caller.
func (q *auditQueue) writeBatch(rows []AuditEntry) error {
	wrote, err := q.write(rows)
	if wrote {
		q.txs.Add(1)
	}
	if err == nil {
		return nil
	}
	if len(rows) <= 1 {
		q.addLost(len(rows), err)
		return err
	}
	var errs []error
	for i := range rows {
		wrote, err := q.write(rows[i : i+1])
		if wrote {
			q.txs.Add(1)
		}
		if err != nil {
			q.addLost(1, err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (q *auditQueue) addLost(n int, err error) {
	q.lostMu.Lock()
	defer q.lostMu.Unlock()
	q.lost += n
	q.lostErr = err
}

// takeLost reports (once) the rows lost since it was last called.
func (q *auditQueue) takeLost() error {
	q.lostMu.Lock()
	defer q.lostMu.Unlock()
	if q.lost == 0 {
		return nil
	}
	err := fmt.Errorf("store: %d earlier audit rows were not written: %w", q.lost, q.lostErr)
	q.lost, q.lostErr = 0, nil
	return err
}
