package live

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// logEntry is the part of a PagerDuty log entry the engine reads.
type logEntry struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Summary   string `json:"summary"`
	CreatedAt string `json:"created_at"`
	Agent     ref    `json:"agent"`
	Channel   struct {
		Type    string `json:"type"`
		Summary string `json:"summary"`
	} `json:"channel"`
	Service   ref    `json:"service"`
	Incident  ref    `json:"incident"`
	Note      string `json:"note"`
	Assignees []ref  `json:"assignees"`

	at time.Time // CreatedAt parsed
}

type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

// PagerDuty's log entry types that the engine treats apart.
const (
	typeTrigger = "trigger_log_entry"
	typeResolve = "resolve_log_entry"
	// typeNotify entries (a user paged) change nothing on the card and
	// would drown its thread: they are skipped.
	typeNotify = "notify_log_entry"
)

// pollKey runs one poll of one key when this replica holds its lease.
func (e *Engine) pollKey(ctx context.Context, w *keyWork) {
	log := e.log.With(zap.String("key_id", w.id))
	if used := e.budgetOf(w.id).used(e.now()); used >= pollerShare-1 {
		log.Debug("live: poll skipped, the poller's share of the key's budget is spent", zap.Int("sent_last_minute", used))
		return
	}
	p := &poll{e: e, w: w, log: log, lease: "poll:" + w.id}
	if !p.renew(ctx) {
		return
	}
	done := make(chan struct{})
	var kept sync.WaitGroup
	kept.Go(func() { p.keepLease(ctx, done) })
	defer kept.Wait()
	defer close(done)
	if err := p.run(ctx); err != nil && ctx.Err() == nil {
		log.Warn("live: poll failed", logsafe.Err(err))
	}
}

// poll is one poll of one key.
type poll struct {
	e     *Engine
	w     *keyWork
	log   *zap.Logger
	lease string
	lost  atomic.Bool // set by keepLease
}

// renew takes or extends the key's lease; it reports whether this replica
// holds it.
func (p *poll) renew(ctx context.Context) bool {
	ok, err := p.e.cfg.Store.TakeLease(ctx, p.lease, p.e.cfg.Replica, p.e.leaseTTL())
	p.e.mu.Lock()
	switch {
	case ok && err == nil:
		p.e.held[p.lease] = true
	case err == nil:
		delete(p.e.held, p.lease) // another replica holds it
	}
	// After an error the lease may still be this replica's (the renewal
	// of a stopping poll fails with its context): it stays in held, so
	// that Run releases it at the end.
	p.e.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("live: lease not taken", logsafe.Err(err))
		}
		return false
	}
	return ok
}

// keepLease renews the lease every third of its life until done closes,
// so a poll held up by Slack's pace or a slow PagerDuty keeps its key
// however long it takes, and only a replica that died (or lost the
// store) has its key taken over. A failed renewal marks the poll lost:
// it stops at its next effect.
func (p *poll) keepLease(ctx context.Context, done <-chan struct{}) {
	t := time.NewTicker(p.e.leaseTTL() / 3)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			if !p.renew(ctx) {
				p.lost.Store(true)
				if ctx.Err() == nil {
					p.log.Info("live: lease lost during a poll; another replica goes on")
				}
				return
			}
		}
	}
}

// stillHeld is false once the lease is lost: another replica may have
// taken the key over, and this poll stops.
func (p *poll) stillHeld() bool { return !p.lost.Load() }

func (p *poll) run(ctx context.Context) error {
	st := p.e.cfg.Store
	now := p.e.now()
	p.expireResolved(ctx, now)
	cur, err := st.PollCursor(ctx, p.w.id)
	first := errors.Is(err, store.ErrNotFound)
	if first {
		// The first poll of a key starts where its work began (a
		// subscription made a moment ago still sees the incident that
		// followed it), never further back than firstLookBack.
		cur = store.PollCursor{Since: later(p.w.since, now.Add(-firstLookBack)).UTC().Truncate(time.Second)}
	} else if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	listed, err := p.list(ctx, cur.Since)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, id := range cur.Seen {
		seen[id] = true
	}
	var fresh []*logEntry
	for _, le := range listed {
		if !seen[le.ID] {
			fresh = append(fresh, le)
		}
	}
	done := map[string]bool{}
	if len(fresh) > 0 {
		p.apply(ctx, fresh, done)
	}
	next := advance(cur, listed, seen, done)
	if !first && next.Since.Equal(cur.Since) && slices.Equal(next.Seen, cur.Seen) {
		return nil
	}
	// Stored even when ctx has ended: the effects done are not redone.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := st.SetPollCursor(sctx, p.w.id, next); err != nil {
		return fmt.Errorf("store cursor: %w", err)
	}
	return nil
}

// list reads the log entries since since (inclusive), oldest first.
// PagerDuty lists them newest first with whole-second times; within one
// second its order is reversed here, so the entries of one incident keep
// the order they were made in.
func (p *poll) list(ctx context.Context, since time.Time) ([]*logEntry, error) {
	q := url.Values{}
	q.Set("since", since.UTC().Format(time.RFC3339))
	q.Set("is_overview", "false")
	var out []*logEntry
	ids := map[string]bool{}
	err := pdapi.List(ctx, p.w.pd, []string{"log_entries"}, q, "log_entries", func(le logEntry) bool {
		// Offset pages shift as entries arrive: the same entry may come
		// twice, never not at all.
		if le.ID == "" || ids[le.ID] {
			return true
		}
		t, err := time.Parse(time.RFC3339, le.CreatedAt)
		if err != nil {
			return true
		}
		ids[le.ID] = true
		le.at = t.UTC()
		out = append(out, &le)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list log entries: %w", err)
	}
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b *logEntry) int { return a.at.Compare(b.at) })
	return out, nil
}

// advance is the cursor after a poll: entries before its Since are all
// done, and Seen holds the entries at or after it that are done (or were
// seen before), so what failed or was not reached comes again.
func advance(cur store.PollCursor, listed []*logEntry, seen, done map[string]bool) store.PollCursor {
	since := cur.Since
	if len(listed) > 0 {
		since = later(since, listed[len(listed)-1].at.Add(-overlap))
	}
	for _, le := range listed {
		if !seen[le.ID] && !done[le.ID] && le.at.Before(since) {
			since = le.at
		}
	}
	next := store.PollCursor{Since: since, Seen: []string{}}
	for _, le := range listed {
		if (seen[le.ID] || done[le.ID]) && !le.at.Before(since) {
			next.Seen = append(next.Seen, le.ID)
		}
	}
	return next
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// expireResolved stops following the cards of incidents resolved more
// than followResolved ago.
func (p *poll) expireResolved(ctx context.Context, now time.Time) {
	kept := p.w.cards[:0]
	for _, c := range p.w.cards {
		if !c.ResolvedAt.IsZero() && now.Sub(c.ResolvedAt) > followResolved {
			if err := p.e.cfg.Store.DeleteLiveCard(ctx, c.Team, c.Channel, c.TS); err != nil && !errors.Is(err, store.ErrNotFound) {
				p.log.Warn("live: resolved card not dropped", logsafe.Err(err))
			}
			continue
		}
		kept = append(kept, c)
	}
	p.w.cards = kept
}

// apply carries out the effects of fresh entries, incident by incident in
// the order of their first entry, and marks in done the entries whose
// effects are finished (or that need none). It stops between incidents
// when ctx ends or the lease is lost.
func (p *poll) apply(ctx context.Context, fresh []*logEntry, done map[string]bool) {
	var incidents []string
	byIncident := map[string][]*logEntry{}
	for _, le := range fresh {
		id := le.Incident.ID
		if !pdapi.ValidIncidentID(id) {
			done[le.ID] = true
			continue
		}
		if _, ok := byIncident[id]; !ok {
			incidents = append(incidents, id)
		}
		byIncident[id] = append(byIncident[id], le)
	}
	for _, id := range incidents {
		if ctx.Err() != nil || !p.stillHeld() {
			return
		}
		entries := byIncident[id]
		if p.incident(ctx, id, entries) {
			for _, le := range entries {
				done[le.ID] = true
			}
		}
	}
}

// incident applies one incident's fresh entries: new cards for subscribed
// channels, then for every card one re-render and one thread line per
// entry. It reports whether every effect is done (a failure that may pass
// leaves the entries for the next poll; claims keep what was done from
// being done twice).
func (p *poll) incident(ctx context.Context, id string, entries []*logEntry) bool {
	var cards []store.LiveCard
	for _, c := range p.w.cards {
		if c.IncidentID == id {
			cards = append(cards, c)
		}
	}
	subs := p.subscribers(entries, cards)
	if len(cards) == 0 && len(subs) == 0 {
		return true
	}
	if p.e.budgetOf(p.w.id).used(p.e.now()) >= pollerShare {
		p.log.Debug("live: incident left for the next poll, the poller's share of the key's budget is spent")
		return false
	}
	inc, err := p.w.pd.GetIncident(ctx, id)
	if err != nil {
		var ae pagerduty.APIError
		if errors.As(err, &ae) && ae.NotFound() {
			return true // gone (merged away, deleted): nothing to show
		}
		p.log.Warn("live: incident not read", zap.String("incident", id), logsafe.Err(err))
		return false
	}
	ok := true
	// New cards first: a trigger's card is posted as the incident is now,
	// and later entries of this poll go into its thread like any card's.
	posted := map[string]time.Time{} // new card → its trigger's time
	for _, s := range subs {
		if inc.Urgency != "" && s.sub.Urgency != "" && s.sub.Urgency != inc.Urgency {
			continue
		}
		c, err := p.postCard(ctx, s, inc)
		if err != nil {
			ok = false
			continue
		}
		if c.TS != "" {
			posted[c.Channel+"/"+c.TS] = s.entry.at
			cards = append(cards, c)
			p.w.cards = append(p.w.cards, c)
		}
	}
	for _, c := range cards {
		trigger, fresh := posted[c.Channel+"/"+c.TS]
		if !p.followCard(ctx, c, inc, entries, fresh, trigger) {
			ok = false
		}
	}
	return ok
}

// subscription is a channel's subscription that a trigger entry matches.
type subscription struct {
	sub   store.Subscription
	entry *logEntry
}

// subscribers returns the subscriptions a trigger entry among entries
// matches, once per channel, leaving out channels that already follow a
// card of the incident (a reopen updates that card).
func (p *poll) subscribers(entries []*logEntry, cards []store.LiveCard) []subscription {
	has := map[teamChannel]bool{}
	for _, c := range cards {
		has[teamChannel{c.Team, c.Channel}] = true
	}
	var out []subscription
	for _, le := range entries {
		if le.Type != typeTrigger {
			continue
		}
		for _, s := range p.w.subs {
			tc := teamChannel{s.Team, s.Channel}
			if s.ServiceID != le.Service.ID || has[tc] {
				continue
			}
			has[tc] = true
			out = append(out, subscription{sub: s, entry: le})
		}
	}
	return out
}

// postCard posts the card of a new incident in a subscribed channel and
// starts following it. The claim comes first (as late as Slack's pace
// allows): a crash between claim and post loses that card (at most once)
// rather than posting it twice; a claim already taken means another
// replica or an earlier run posted it.
func (p *poll) postCard(ctx context.Context, s subscription, inc *pagerduty.Incident) (store.LiveCard, error) {
	claim := func() (bool, error) {
		return p.e.cfg.Store.Claim(ctx, "live:"+s.entry.ID+":"+s.sub.Channel, claimTTL)
	}
	ts, err := p.e.post(ctx, s.sub.Channel, "", cardText(inc), cardBlocks(inc, p.e.now()), claim)
	switch {
	case errors.Is(err, errClaimed):
		return store.LiveCard{}, nil
	case err != nil && gone(err):
		p.log.Info("live: subscribed channel cannot be posted in", zap.String("channel", s.sub.Channel), logsafe.Err(err))
		return store.LiveCard{}, nil
	case errors.Is(err, errNotClaimed):
		if ctx.Err() == nil {
			p.log.Warn("live: claim not recorded; the card waits for the next poll", logsafe.Err(err))
		}
		return store.LiveCard{}, err
	case err != nil:
		p.log.Warn("live: card not posted", zap.String("channel", s.sub.Channel), zap.String("incident", inc.ID), logsafe.Err(err))
		return store.LiveCard{}, nil // claimed: not retried
	}
	c := store.LiveCard{Team: s.sub.Team, Channel: s.sub.Channel, TS: ts, IncidentID: inc.ID, PostedAt: p.e.now()}
	if inc.Status == "resolved" {
		c.ResolvedAt = p.e.now()
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.e.cfg.Store.SaveLiveCard(sctx, c); err != nil {
		p.log.Warn("live: posted card not saved; it will not be followed", zap.String("channel", c.Channel), logsafe.Err(err))
	}
	return c, nil
}

// followCard brings one card up to date: one chat.update from the
// incident's current state (unless the card was just posted from it), its
// ResolvedAt, and one thread line per entry.
//
// A fresh card (posted in this poll, at its incident's trigger) skips the
// entries of its trigger's second: the trigger and PagerDuty's first
// assignment are what the card shows.
func (p *poll) followCard(ctx context.Context, c store.LiveCard, inc *pagerduty.Incident, entries []*logEntry, fresh bool, trigger time.Time) bool {
	log := p.log.With(zap.String("channel", c.Channel), zap.String("ts", c.TS), zap.String("incident", c.IncidentID))
	drop := func(err error) bool {
		log.Info("live: card is gone; no longer followed", logsafe.Err(err))
		if derr := p.e.cfg.Store.DeleteLiveCard(context.WithoutCancel(ctx), c.Team, c.Channel, c.TS); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			log.Warn("live: gone card not dropped", logsafe.Err(derr))
		}
		return true
	}
	var lines []*logEntry
	for _, le := range entries {
		if le.Type == typeNotify {
			continue
		}
		if fresh && !le.at.After(trigger) {
			// Claimed as done, so that a replay of these entries (a cursor
			// that lost its progress) does not post them after all.
			if _, err := p.e.cfg.Store.Claim(ctx, "live:"+le.ID+":"+c.Channel+c.TS, claimTTL); err != nil {
				log.Warn("live: claim not recorded", logsafe.Err(err))
			}
			continue
		}
		lines = append(lines, le)
	}
	if !fresh {
		if len(lines) == 0 {
			return true
		}
		if err := p.e.update(ctx, c.Channel, c.TS, cardText(inc), cardBlocks(inc, p.e.now())); err != nil {
			if gone(err) {
				return drop(err)
			}
			log.Warn("live: card not updated", logsafe.Err(err))
			if !permanent(err) {
				return false
			}
		}
	}
	resolved := inc.Status == "resolved"
	if resolved != !c.ResolvedAt.IsZero() {
		if resolved {
			c.ResolvedAt = p.e.now()
		} else {
			c.ResolvedAt = time.Time{} // reopened
		}
		if err := p.e.cfg.Store.SaveLiveCard(context.WithoutCancel(ctx), c); err != nil {
			log.Warn("live: card state not saved", logsafe.Err(err))
		}
	}
	for _, le := range lines {
		if ctx.Err() != nil || !p.stillHeld() {
			return false
		}
		// Claimed just before it is posted: a crash between the two loses
		// this one line (at most once), never posts it twice.
		claim := func() (bool, error) {
			return p.e.cfg.Store.Claim(ctx, "live:"+le.ID+":"+c.Channel+c.TS, claimTTL)
		}
		_, err := p.e.post(ctx, c.Channel, c.TS, line(le), nil, claim)
		switch {
		case err == nil || errors.Is(err, errClaimed):
		case gone(err):
			return drop(err)
		case errors.Is(err, errNotClaimed):
			if ctx.Err() == nil {
				log.Warn("live: claim not recorded; the line waits for the next poll", logsafe.Err(err))
			}
			return false
		default:
			log.Warn("live: thread line not posted", zap.String("entry", le.ID), logsafe.Err(err))
		}
	}
	return true
}
