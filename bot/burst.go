package bot

import (
	"context"
	"sync"
	"time"
)

// Burst handling: how acked work yields to the read loop.
const (
	// burstWaitMax bounds how long acked work waits for the read loop to
	// go quiet: a steady stream of envelopes must not hold work back long.
	burstWaitMax = time.Second
	// burstQuiet is how long the loop must have had nothing to read before
	// work goes ahead: a burst's envelopes arrive microseconds to a few
	// milliseconds apart, so an empty queue for an instant is not its end.
	// Only a burst's work waits (burstArrivals); BENCHMARKS.md has the
	// figures of 2 ms, 10 ms for every request, and this.
	burstQuiet = 10 * time.Millisecond
	// burstArrivals is how many envelopes read within one burstQuiet window
	// make a burst: a steady flow, even a busy one, is tens a window and
	// its work never waits; a burst is hundreds.
	burstArrivals = 50
	// burstPending is how many requests must be unfinished as well: a few
	// dozen people (or a client) waiting on their answers send again as
	// each finishes, fast enough to look like a burst, but holding their
	// work back would only slow them (each wait would end the flow it
	// waits for). A burst piles up far more than this.
	burstPending = 64
)

// burst lets work that was acked early wait while the Socket Mode read loop
// is still reading a burst, so every ack of the burst goes out before the
// work of the requests ahead of it takes the CPU (on a small machine the
// acks would otherwise queue behind hundreds of requests' work).
type burst struct {
	mu       sync.Mutex
	quiet    chan struct{} // closed once the loop has been idle for burstQuiet
	timer    *time.Timer   // closes quiet when it fires
	window   time.Time     // start of the current arrivals window
	arrivals int           // envelopes read in it
	pending  int           // requests read and not yet finished
	bursting bool          // a burst is being read: work waits for quiet
}

func newBurst() *burst {
	q := make(chan struct{})
	close(q)
	return &burst{quiet: q}
}

// busy records that the loop has read an envelope: work waits again.
func (g *burst) busy() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	if now := time.Now(); now.Sub(g.window) >= burstQuiet {
		g.window, g.arrivals = now, 0
	}
	g.arrivals++
	if g.arrivals >= burstArrivals && g.pending >= burstPending {
		g.bursting = true
	}
	select {
	case <-g.quiet:
		g.quiet = make(chan struct{})
	default:
	}
}

// idle records that the loop has nothing waiting: unless another envelope
// comes within burstQuiet, work goes ahead.
func (g *burst) idle() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timer != nil {
		return
	}
	q := g.quiet
	g.timer = time.AfterFunc(burstQuiet, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.quiet == q {
			select {
			case <-q:
			default:
				close(q)
			}
			g.bursting = false
		}
		g.timer = nil
	})
}

// start records a request read from the loop, and done its end: pending
// requests tell a burst from a fast but steady flow.
func (g *burst) start() {
	g.mu.Lock()
	g.pending++
	g.mu.Unlock()
}

func (g *burst) done() {
	g.mu.Lock()
	g.pending--
	g.mu.Unlock()
}

// wait returns at once unless a burst is being read; then once the loop
// has gone quiet, after burstWaitMax, or when ctx ends.
func (g *burst) wait(ctx context.Context) {
	g.mu.Lock()
	q, bursting := g.quiet, g.bursting
	g.mu.Unlock()
	if !bursting {
		return
	}
	select {
	case <-q:
		return
	default:
	}
	t := time.NewTimer(burstWaitMax)
	defer t.Stop()
	select {
	case <-q:
	case <-t.C:
	case <-ctx.Done():
	}
}
