package bot

import (
	"context"
	"testing"
)

// A fast flow of requests whose senders wait on their answers (fewer than
// burstPending unfinished) is not a burst: its work never waits, however
// many envelopes a window holds. BenchmarkNotes at PagerDuty 0 ms ran at
// half its rate when it was (each wait stopped the flow it waited for).
func TestBurstSteadyFlowNeverWaits(t *testing.T) {
	g := newBurst()
	for range 10 * burstArrivals {
		g.start()
		g.busy()
		if g.bursting {
			t.Fatalf("a flow with %d unfinished requests counts as a burst", g.pending)
		}
		g.done()
	}
	g.wait(context.Background()) // returns at once: nothing to wait for
}

// A burst (many envelopes read within a window, many requests unfinished)
// holds acked work until the loop goes quiet.
func TestBurstHoldsWorkUntilQuiet(t *testing.T) {
	g := newBurst()
	for range burstPending + burstArrivals {
		g.start()
		g.busy()
	}
	if !g.bursting {
		t.Fatalf("%d unfinished requests read at once are not a burst", g.pending)
	}
	g.mu.Lock()
	q := g.quiet
	g.mu.Unlock()
	select {
	case <-q:
		t.Fatal("work may go ahead while the burst is being read")
	default:
	}
	g.idle()
	g.wait(context.Background()) // returns once the loop has been quiet
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bursting {
		t.Error("still bursting after the loop went quiet")
	}
}
