package bot

import (
	"context"
	"sync"
	"time"
)

// burstWaitMax bounds how long acked work waits for the read loop to catch
// up: a steady stream of envelopes must not hold work back for long.
const burstWaitMax = time.Second

// burst lets work that was acked early wait while the Socket Mode read loop
// still has envelopes to ack, so in a burst every ack goes out before the
// work of the requests ahead of it takes the CPU (on a small machine the
// acks would otherwise queue behind hundreds of requests' work).
type burst struct {
	mu    sync.Mutex
	quiet chan struct{} // closed while the loop has nothing waiting
}

func newBurst() *burst {
	q := make(chan struct{})
	close(q)
	return &burst{quiet: q}
}

// set records whether the loop has envelopes waiting.
func (g *burst) set(waiting bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.quiet:
		if waiting {
			g.quiet = make(chan struct{})
		}
	default:
		if !waiting {
			close(g.quiet)
		}
	}
}

// wait returns once the loop has nothing waiting, after burstWaitMax, or
// when ctx ends.
func (g *burst) wait(ctx context.Context) {
	g.mu.Lock()
	q := g.quiet
	g.mu.Unlock()
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
