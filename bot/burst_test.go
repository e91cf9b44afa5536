package bot

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// runNow runs released work on the caller's goroutine, in order.
func runNow(f func()) { f() }

// A fast flow of requests whose senders wait on their answers (fewer than
// burstPending unfinished) is not a burst: its work is never held, however
// many envelopes a window holds. BenchmarkNotes at PagerDuty 0 ms ran at
// half its rate when it was (each hold stopped the flow it waited for).
func TestBurstSteadyFlowIsNeverHeld(t *testing.T) {
	g := newBurst(runNow)
	for range 10 * burstArrivals {
		g.start()
		g.busy()
		if g.hold(func() { t.Error("held work ran") }) {
			t.Fatalf("a flow with %d unfinished requests counts as a burst", g.pending)
		}
		g.done()
	}
}

// A burst (many envelopes read within a window, many requests unfinished)
// holds acked work, in arrival order, until the loop goes quiet.
func TestBurstHoldsWorkUntilQuiet(t *testing.T) {
	ran := make(chan int, burstPending+burstArrivals)
	g := newBurst(func(f func()) { f() })
	n := 0
	for i := range burstPending + burstArrivals {
		g.start()
		g.busy()
		if g.hold(func() { ran <- i }) {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%d unfinished requests read at once are not a burst", g.pending)
	}
	select {
	case i := <-ran:
		t.Fatalf("request %d ran while the burst was being read", i)
	default:
	}
	g.idle() // the loop has nothing more: after burstQuiet the work goes
	first := <-ran
	for range n - 1 {
		if i := <-ran; i <= first {
			t.Fatalf("request %d ran after %d: not in arrival order", i, first)
		} else {
			first = i
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bursting || len(g.held) != 0 {
		t.Errorf("after the quiet: bursting %v, %d still held", g.bursting, len(g.held))
	}
}

// An envelope read after the loop went idle, but before the quiet period
// ended, keeps the burst's work held: release (the bot stopping) lets it go.
func TestBurstQuietIsReset(t *testing.T) {
	g := newBurst(runNow)
	for range burstPending + burstArrivals {
		g.start()
		g.busy()
	}
	g.idle()
	g.busy() // more of the burst
	ran := false
	if !g.hold(func() { ran = true }) {
		t.Fatal("work not held during the burst")
	}
	g.quiet() // the timer of the earlier idle, firing late
	if ran {
		t.Fatal("a stale quiet timer released the burst's work")
	}
	g.release()
	if !ran {
		t.Fatal("release did not run the held work")
	}
}

// A burst's held work is released a batch at a time, and a burst that
// resumes mid-release stops it: what is left waits for that burst's end.
func TestBurstReleasesInBatches(t *testing.T) {
	const n = 3*burstReleaseBatch + 4
	firstRan := make(chan struct{})
	goOn := make(chan struct{})
	var ran atomic.Int64
	first := true
	g := newBurst(func(f func()) {
		if first { // the releaser's first job: let the test start a new burst
			first = false
			close(firstRan)
			<-goOn
		}
		f()
	})
	for range burstPending + burstArrivals {
		g.start()
		g.busy()
	}
	for range n {
		if !g.hold(func() { ran.Add(1) }) {
			t.Fatal("work not held during the burst")
		}
	}
	g.idle() // quiet: the release begins
	<-firstRan
	for range burstArrivals { // the burst resumes during the first batch
		g.busy()
	}
	close(goOn)
	for g.releasingNow() {
		runtime.Gosched()
	}
	if got := ran.Load(); got != burstReleaseBatch {
		t.Fatalf("%d of %d held requests ran before the new burst stopped the release, want one batch (%d)", got, n, burstReleaseBatch)
	}
	g.idle() // the second burst ends: the rest goes
	for ran.Load() < n {
		runtime.Gosched()
	}
}

func (g *burst) releasingNow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.releasing
}

// Work submitted before a burst was told apart, and not yet started when
// it was, waits for the burst's end as held work does; work that was held
// already runs when released, even if a burst is being read again.
func TestBurstWorkNotStartedYieldsToTheBurst(t *testing.T) {
	var queued []func() // submitted to a worker, not started
	g := newBurst(func(f func()) { queued = append(queued, f) })
	var ran []int
	g.start()
	g.busy()
	g.submit(func() { ran = append(ran, 0) })
	if len(queued) != 1 {
		t.Fatalf("work submitted outside a burst was not run: %d queued", len(queued))
	}
	for range burstPending + burstArrivals { // a burst is read meanwhile
		g.start()
		g.busy()
	}
	if !g.bursting {
		t.Fatal("no burst")
	}
	queued[0]() // the worker starts it now
	if len(ran) != 0 {
		t.Fatal("work not started when a burst was told apart ran during the burst")
	}
	g.mu.Lock()
	held := len(g.held)
	g.mu.Unlock()
	if held != 1 {
		t.Fatalf("%d held, want the one that yielded", held)
	}
	// Released (the deadline or the bot stopping) with a burst still being
	// read: it is not held a second time.
	queued = nil
	g.release()
	for _, f := range queued {
		f()
	}
	if len(ran) != 1 {
		t.Fatalf("released work ran %d times, want once, though a burst is read", len(ran))
	}
}

// When the bot stops, held work runs at once, and work a worker starts
// after that (submitted during the burst, not started when it stopped) is
// not held again: it runs at once instead of waiting out burstWaitMax.
func TestBurstStopHoldsNothingMore(t *testing.T) {
	var queued []func()
	g := newBurst(func(f func()) { queued = append(queued, f) })
	ran := 0
	g.start()
	g.busy()
	g.submit(func() { ran++ }) // to a worker, not started
	for range burstPending + burstArrivals {
		g.start()
		g.busy()
		g.submit(func() { ran++ }) // to a worker until the burst is told apart, then held
	}
	g.mu.Lock()
	held := len(g.held)
	g.mu.Unlock()
	if !g.bursting || held == 0 || len(queued) == 0 {
		t.Fatalf("bursting %v, %d held, %d sent to a worker", g.bursting, held, len(queued))
	}
	g.stop()
	for len(queued) > 0 {
		f := queued[0]
		queued = queued[1:]
		f()
	}
	if want := 1 + burstPending + burstArrivals; ran != want {
		t.Fatalf("%d of %d requests ran after the stop", ran, want)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.held) != 0 || g.deadline != nil {
		t.Errorf("after the stop: %d held, deadline %v", len(g.held), g.deadline != nil)
	}
}

// The loop goes idle after most envelopes of a burst: setting the quiet
// timer again allocates nothing (one timer serves every quiet).
func TestBurstIdleAllocatesNothing(t *testing.T) {
	g := newBurst(runNow)
	for range burstPending + burstArrivals {
		g.start()
		g.busy()
	}
	if n := testing.AllocsPerRun(1000, func() { g.busy(); g.idle() }); n != 0 {
		t.Errorf("an envelope and an idle in a burst allocate %v times, want 0", n)
	}
}

// The gate keeps none of a burst's work once it has released it, even when
// a new burst stops the release part-way and the rest stays held: the
// released requests (their envelopes, the commands' text) can be collected
// meanwhile.
func TestBurstKeepsNothingReleased(t *testing.T) {
	var ran atomic.Int64
	firstBatch, resume := make(chan struct{}), make(chan struct{})
	g := newBurst(func(f func()) {
		f()
		if ran.Add(1) == burstReleaseBatch { // the first batch is out: a new burst begins
			close(firstBatch)
			<-resume
		}
	})
	collected := make(chan struct{}, 8*burstPending)
	n := 0
	for range 8 * burstPending {
		g.start()
		g.busy()
		req := new([64]byte) // stands for what a held request holds
		if g.hold(func() { _ = req[0] }) {
			runtime.AddCleanup(req, func(ch chan struct{}) { ch <- struct{}{} }, collected)
			n++
		}
	}
	if n <= burstReleaseBatch {
		t.Fatalf("%d requests held, want more than a release batch (%d)", n, burstReleaseBatch)
	}
	g.idle() // the burst is over: after burstQuiet its work goes, a batch at a time
	<-firstBatch
	for range burstArrivals { // a new burst: the release stops, the rest stays held
		g.busy()
	}
	close(resume)
	for { // the release sees the new burst at its next batch and stops
		g.mu.Lock()
		releasing := g.releasing
		if !releasing {
			g.stopDeadlineLocked() // at burstWaitMax the rest would go too, and any trace of the first with it
		}
		g.mu.Unlock()
		if !releasing {
			break
		}
		runtime.Gosched()
	}
	released := int(ran.Load())
	got := 0
	// Cleanups run on a goroutine of their own after a collection: a
	// bounded number of collections, each given a moment, is a safety net
	// (all of them are collected in the first one or two).
	for attempt := 0; got < released && attempt < 20; attempt++ {
		runtime.GC()
		timeout := time.After(100 * time.Millisecond)
	drain:
		for got < released {
			select {
			case <-collected:
				got++
			case <-timeout:
				break drain
			}
		}
	}
	if released != burstReleaseBatch || got != released {
		t.Errorf("%d of the %d released requests were collected (%d held in all): the gate keeps the rest", got, released, n)
	}
	g.stop()
}
