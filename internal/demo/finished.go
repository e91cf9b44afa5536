package demo

import (
	"context"
	"sync"
)

// finished records the envelopes the bot is done with, as bot.Config.Handled
// reports them, so that an interaction can wait for its own envelope. The
// bot may finish an envelope before the demo asks about it, so it keeps what
// it was told until someone waited for it.
type finished struct {
	mu   sync.Mutex
	done map[string]chan struct{} // by envelope ID; closed once handled
}

func newFinished() *finished { return &finished{done: map[string]chan struct{}{}} }

func (f *finished) chanLocked(id string) chan struct{} {
	c, ok := f.done[id]
	if !ok {
		c = make(chan struct{})
		f.done[id] = c
	}
	return c
}

// handled is bot.Config.Handled: the bot finished the envelope's work.
func (f *finished) handled(envelopeID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chanLocked(envelopeID)
	select {
	case <-c: // a redelivered envelope is handled again
	default:
		close(c)
	}
}

// wait returns once the bot finished the envelope, or with ctx's error.
func (f *finished) wait(ctx context.Context, envelopeID string) error {
	f.mu.Lock()
	c := f.chanLocked(envelopeID)
	f.mu.Unlock()
	select {
	case <-c:
		f.mu.Lock()
		delete(f.done, envelopeID)
		f.mu.Unlock()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
