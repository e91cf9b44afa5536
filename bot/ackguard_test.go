package bot

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
)

// A send the transport cannot take gives up once the guard's bound has
// passed, the loop's next send is guarded afresh, and the request's own
// ack goes out later, once.
func TestAckGuardBoundsTheLoopsSend(t *testing.T) {
	g := newAckGuard(time.Millisecond)
	blocked := make(chan struct{}) // a transport whose queue is full: nobody reads
	taken := make(chan struct{}, 1)
	var sent []any
	send := func(ctx context.Context, payload any) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case blocked <- struct{}{}:
			return nil
		case taken <- struct{}{}:
			sent = append(sent, payload)
			return nil
		}
	}
	b := &Bot{log: zap.NewNop(), metrics: newMetrics(nil), now: time.Now}

	// The queue is full: without the guard this send would never return.
	taken <- struct{}{}
	e := &envelope{b: b, id: "E1", metrics: newMetrics(nil).kind("slash_commands"), received: time.Now(), send: send}
	if e.tryAck(nil, g) {
		t.Fatal("tryAck reported an ack the transport never took")
	}
	if e.acked {
		t.Fatal("an ack that was not queued counts as sent: the request would never be acked")
	}

	// The next send finds a fresh guard, and room.
	<-taken
	if err := g.Err(); err != nil {
		t.Fatalf("before arming, the guard is %v", err)
	}
	e2 := &envelope{b: b, id: "E2", metrics: newMetrics(nil).kind("slash_commands"), received: time.Now(), send: send}
	if !e2.tryAck("payload", g) {
		t.Fatal("a send with room was refused: the guard stayed expired")
	}
	<-taken
	if len(sent) != 1 || sent[0] != "payload" {
		t.Fatalf("sent %v, want the one payload", sent)
	}

	// The first request acks from its own goroutine, once.
	if !e.ack(nil) || e.ack(nil) {
		t.Fatal("the deferred ack was not sent exactly once")
	}
	if len(sent) != 2 {
		t.Fatalf("sent %d acks, want 2", len(sent))
	}
}

// A send that is taken at once leaves the guard unexpired, however many
// there are, and a timer that fires after its send was taken closes
// nothing the next send needs.
func TestAckGuardManySends(t *testing.T) {
	g := newAckGuard(time.Hour)
	q := make(chan struct{}, 1)
	for range 1000 {
		g.arm()
		select {
		case <-g.Done():
			t.Fatal("an armed guard was done before its bound")
		case q <- struct{}{}:
		}
		g.disarm()
		<-q
	}
	g.arm()
	g.expire() // as the timer would, late
	g.disarm()
	if err := g.Err(); err != nil {
		t.Fatalf("after an expiry the next guard starts done: %v", err)
	}
}
