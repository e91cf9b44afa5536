package bot

import (
	"slices"
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
	// burstReleaseBatch and burstReleaseGap pace the release of a burst's
	// held work: a thousand requests made runnable at once queue the read
	// loop behind them (Go's run queues are first come, first served), and
	// a burst that resumes then has its acks wait ~200 ms. Released a
	// batch at a time, the loop waits behind one batch at most, and a burst
	// that resumes stops the release until it is over.
	burstReleaseBatch = 32
	burstReleaseGap   = time.Millisecond
)

// burst holds work that was acked early while the Socket Mode read loop is
// still reading a burst, so every ack of the burst goes out before the work
// of the requests ahead of it takes the CPU (on a small machine the acks
// would otherwise queue behind hundreds of requests' work). Held work is
// kept as closures, not as goroutines waiting: a thousand goroutines
// started and parked in the middle of a burst would cost the loop the very
// CPU the hold is meant to leave it.
type burst struct {
	run       func(func()) // runs released work
	mu        sync.Mutex
	timer     *time.Timer // releases held work once the loop has been quiet for burstQuiet
	armed     bool        // timer is set; busy unsets it (an envelope came: not quiet)
	window    time.Time   // start of the current arrivals window
	arrivals  int         // envelopes read in it
	pending   int         // requests read and not yet finished
	bursting  bool        // a burst is being read: early-acked work is held
	held      []func()    // the held work, in arrival order
	releasing bool        // releaseBatches is running
	stopped   bool        // the bot is stopping: nothing is held any more
	deadline  *time.Timer // releases held work burstWaitMax after the first was held
}

func newBurst(run func(func())) *burst {
	g := &burst{run: run}
	// One timer, set again each time the loop goes idle in a burst: made
	// anew each time, it was a thousand timers (and closures) a burst.
	g.timer = time.AfterFunc(time.Hour, g.quiet)
	g.timer.Stop()
	return g
}

// busy records that the loop has read an envelope: the loop is not quiet.
func (g *burst) busy() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armed {
		g.timer.Stop()
		g.armed = false
	}
	if now := time.Now(); now.Sub(g.window) >= burstQuiet {
		g.window, g.arrivals = now, 0
	}
	g.arrivals++
	if g.arrivals >= burstArrivals && g.pending >= burstPending {
		g.bursting = true
	}
}

// idle records that the loop has nothing waiting: unless another envelope
// comes within burstQuiet, the burst is over and its held work goes ahead.
func (g *burst) idle() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armed || !g.bursting && len(g.held) == 0 {
		return // set already, or nothing waits for the quiet
	}
	g.armed = true
	g.timer.Reset(burstQuiet)
}

// quiet is the timer's: the loop has been idle for burstQuiet. A firing
// that lost the race with busy's Stop finds the timer unarmed and does
// nothing; one that comes after the next idle has set it again takes that
// quiet for its own and releases a little early, which costs no ack.
func (g *burst) quiet() {
	g.mu.Lock()
	if !g.armed { // an envelope came after all
		g.mu.Unlock()
		return
	}
	g.armed = false
	g.bursting = false
	if g.releasing || len(g.held) == 0 {
		g.mu.Unlock()
		return
	}
	g.releasing = true
	g.mu.Unlock()
	go g.releaseBatches()
}

// releaseBatches runs the held work a batch at a time while no new burst
// is being read.
func (g *burst) releaseBatches() {
	t := time.NewTimer(burstReleaseGap)
	defer t.Stop()
	for {
		g.mu.Lock()
		if g.bursting || len(g.held) == 0 {
			// A new burst: what is left waits for its end (or the deadline).
			g.releasing = false
			g.mu.Unlock()
			return
		}
		n := min(burstReleaseBatch, len(g.held))
		// The batch is copied out and its places cleared: the array
		// behind held would otherwise keep every released request (its
		// envelope, the command's text) until the next burst's.
		batch := slices.Clone(g.held[:n])
		clear(g.held[:n])
		g.held = g.held[n:]
		if len(g.held) == 0 {
			g.held = nil
			g.stopDeadlineLocked()
		}
		g.mu.Unlock()
		g.runAll(batch)
		t.Reset(burstReleaseGap)
		<-t.C
	}
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

// hold keeps f until the loop goes quiet (or burstWaitMax has passed) if a
// burst is being read, and reports whether it did; if not, the caller runs
// f itself, now.
func (g *burst) hold(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.bursting || g.stopped {
		return false
	}
	if len(g.held) == 0 {
		g.deadline = time.AfterFunc(burstWaitMax, g.release)
	}
	g.held = append(g.held, f)
	return true
}

// submit runs f now, unless a burst is being read: then f is held (hold).
// Work submitted before a burst is told apart from a busy flow (that takes
// burstPending requests) and not started by the time it is yields to the
// burst as if it had been held: on a small machine the first of a burst's
// requests would otherwise take the CPU from the acks of the rest
// (BENCHMARKS.md). Work is held once at most, so burstWaitMax still bounds
// its wait.
func (g *burst) submit(f func()) {
	held := true // set before job can run anywhere else
	var job func()
	job = func() {
		if !held {
			held = true
			if g.hold(job) {
				return
			}
		}
		f()
	}
	if g.hold(job) {
		return
	}
	held = false
	g.run(job)
}

// stop runs every held request now and holds nothing from then on: the bot
// is stopping, and work that a worker has yet to start must not wait for
// a burst's end (or burstWaitMax) to run.
func (g *burst) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.release()
}

// release runs every held request now (at burstWaitMax, and when the bot
// stops).
func (g *burst) release() {
	g.mu.Lock()
	jobs := g.takeLocked()
	g.mu.Unlock()
	g.runAll(jobs)
}

func (g *burst) takeLocked() []func() {
	jobs := g.held
	g.held = nil
	g.stopDeadlineLocked()
	return jobs
}

func (g *burst) stopDeadlineLocked() {
	if g.deadline != nil {
		g.deadline.Stop()
		g.deadline = nil
	}
}

func (g *burst) runAll(jobs []func()) {
	for _, f := range jobs {
		g.run(f)
	}
}
