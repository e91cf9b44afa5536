package bot

import (
	"context"
	"sync"
	"time"
)

// ackGuard is the context the read loop queues its early acks under: it is
// done once one queueing has waited longer than its bound, so the loop
// never stalls on a slow socket. One guard serves every ack; a context and
// a timer made for each (context.WithTimeout) were a third of the loop's
// own CPU in a burst (BENCHMARKS.md).
//
// Only the read loop calls arm and disarm, one pair around each send.
type ackGuard struct {
	wait  time.Duration
	timer *time.Timer
	mu    sync.Mutex
	done  chan struct{} // what Done returns: closed when a send overran
	armed chan struct{} // done while a send is guarded; nil otherwise
}

var _ context.Context = (*ackGuard)(nil)

func newAckGuard(wait time.Duration) *ackGuard {
	g := &ackGuard{wait: wait, done: make(chan struct{})}
	g.timer = time.AfterFunc(time.Hour, g.expire)
	g.timer.Stop()
	return g
}

// arm starts the bound for one send.
func (g *ackGuard) arm() {
	g.mu.Lock()
	g.armed = g.done
	g.mu.Unlock()
	g.timer.Reset(g.wait)
}

// disarm ends it; a guard whose bound passed is made fresh for the next.
func (g *ackGuard) disarm() {
	g.timer.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armed == nil { // expired: done is closed
		g.done = make(chan struct{})
	}
	g.armed = nil
}

func (g *ackGuard) expire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A timer that fires late, after the send it guarded, finds nothing
	// armed, or the next send's: that one then gives up early and its
	// request's own goroutine acks instead, as after any overrun.
	if g.armed != nil {
		close(g.armed)
		g.armed = nil
	}
}

func (g *ackGuard) Deadline() (time.Time, bool) { return time.Time{}, false }

func (g *ackGuard) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.done
}

func (g *ackGuard) Err() error {
	select {
	case <-g.Done():
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (g *ackGuard) Value(any) any { return nil }
