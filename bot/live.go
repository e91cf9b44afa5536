package bot

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/pdbot/pdbot/internal/live"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// liveEngine builds the engine that keeps live cards true (internal/live),
// or nil when PagerDuty → Slack is off (PollInterval zero).
func (b *Bot) liveEngine() *live.Engine {
	if b.cfg.PollInterval <= 0 {
		return nil
	}
	replica := b.cfg.Replica
	if replica == "" {
		var p [8]byte
		_, _ = rand.Read(p[:])
		replica = hex.EncodeToString(p[:])
	}
	eng, err := live.New(live.Config{
		Store: b.store,
		Slack: b.api,
		Client: func(key store.Secret, sent func()) *pdapi.Client {
			return b.pdClient(key, true, "", sent)
		},
		Logger:   b.log.Named("live"),
		Interval: b.cfg.PollInterval,
		Replica:  replica,
		Now:      b.now,
		Tick:     b.cfg.PollTick,
		Polled:   b.cfg.Polled,
	})
	if err != nil {
		b.log.Error("live cards are off", zapErr(err))
		return nil
	}
	return eng
}

// PagerDutyChanged tells the bot that something changed in PagerDuty (a
// verified webhook delivery): live cards are brought up to date now, by
// the same reading of log entries as a poll, instead of at the next tick.
// It does nothing while live cards are off.
func (b *Bot) PagerDutyChanged() {
	if eng := b.live.Load(); eng != nil {
		eng.PollSoon()
	}
}
