package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// keyWork is what one API key is polled for.
type keyWork struct {
	id    string // the key's fingerprint
	pd    *pdapi.Client
	subs  []store.Subscription
	cards []store.LiveCard
	// since is when the key's oldest work began: where its first poll
	// starts (no further back than firstLookBack).
	since time.Time
}

type teamChannel struct{ team, channel string }

// workList groups the subscriptions and followed cards by the API key of
// their channel (the channel's own, else the workspace default). A
// channel without a key is left out: nothing can be read for it.
func (e *Engine) workList(ctx context.Context) ([]*keyWork, error) {
	subs, err := e.cfg.Store.AllSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	cards, err := e.cfg.Store.LiveCards(ctx)
	if err != nil {
		return nil, fmt.Errorf("live cards: %w", err)
	}
	if len(subs) == 0 && len(cards) == 0 {
		return nil, nil
	}
	byKey := map[string]*keyWork{}
	clients := map[teamChannel]*keyWork{} // a lookup per channel per round
	var order []*keyWork
	workOf := func(team, channel string) *keyWork {
		tc := teamChannel{team, channel}
		if w, ok := clients[tc]; ok {
			return w
		}
		key, err := e.keyFor(ctx, team, channel)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				e.log.Warn("live: channel key not opened", zap.String("team", team), zap.String("channel", channel), logsafe.Err(err))
			}
			clients[tc] = nil
			return nil
		}
		var b *budget
		pd := e.cfg.Client(key, func() { b.add(e.now()) })
		b = e.budgetOf(pd.KeyID())
		w := byKey[pd.KeyID()]
		if w == nil {
			w = &keyWork{id: pd.KeyID(), pd: pd.InLane("poller")}
			byKey[w.id] = w
			order = append(order, w)
		}
		clients[tc] = w
		return w
	}
	began := func(w *keyWork, t time.Time) {
		if w.since.IsZero() || t.Before(w.since) {
			w.since = t
		}
	}
	for _, s := range subs {
		if w := workOf(s.Team, s.Channel); w != nil {
			w.subs = append(w.subs, s)
			began(w, s.CreatedAt)
		}
	}
	for _, c := range cards {
		if w := workOf(c.Team, c.Channel); w != nil {
			w.cards = append(w.cards, c)
			began(w, c.PostedAt)
		}
	}
	slices.SortFunc(order, func(a, b *keyWork) int { return strings.Compare(a.id, b.id) })
	return order, nil
}

// keyFor is the key a channel's requests use, as bot's pdFor picks it.
func (e *Engine) keyFor(ctx context.Context, team, channel string) (store.Secret, error) {
	key, err := e.cfg.Store.APIKey(ctx, team, channel)
	if errors.Is(err, store.ErrNotFound) {
		key, err = e.cfg.Store.APIKey(ctx, team, store.DefaultChannel)
	}
	return key, err
}
