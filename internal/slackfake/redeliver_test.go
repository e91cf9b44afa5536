package slackfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// TestRedeliverSendsTheSameEnvelopeAgain: a redelivered envelope keeps its
// envelope_id, reaches the client again, and each ack is counted.
func TestRedeliverSendsTheSameEnvelopeAgain(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, err := f.Slash("U0ALICE", "C0INC", "/pd help")
	if err != nil {
		t.Fatal(err)
	}
	first := b.next(t)
	b.ack(t, first, nil)
	waitAck(t, d)
	if err := f.Redeliver(d); err != nil {
		t.Fatal(err)
	}
	again := b.next(t)
	if again.Request.EnvelopeID != d.EnvelopeID {
		t.Fatalf("redelivered envelope %s, want %s", again.Request.EnvelopeID, d.EnvelopeID)
	}
	b.ack(t, again, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.WaitFor(ctx, func() bool {
		for _, a := range f.Acks() {
			if a.EnvelopeID == d.EnvelopeID && a.Count == 2 {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal("the second ack was not counted")
	}
}
