package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// poller drives one replica's live engine: a tick starts a poll round, and
// rounds counts the rounds finished.
type poller struct {
	tick   chan time.Time
	rounds atomic.Int64
	ticks  int64 // sent by the test goroutine
	bot    *bot.Bot
	stop   context.CancelFunc
	done   chan struct{}
}

// livePoller tunes a replica's configuration for a poller driven by ticks.
func livePoller(p *poller) func(*bot.Config) {
	return func(c *bot.Config) {
		c.PollInterval = time.Second // the lease's life; rounds come from ticks
		c.PollTick = p.tick
		c.Polled = func() { p.rounds.Add(1) }
	}
}

// startPoller starts a replica (with a context of its own, so a test can
// stop it as SIGTERM would) whose poll rounds the test drives.
func (h *harness) startPoller() *poller {
	h.t.Helper()
	p := &poller{tick: make(chan time.Time), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(h.ctx)
	p.stop = func() {
		cancel()
		<-p.done
	}
	st := h.st
	if h.dsn != "" && h.bot != nil {
		var err error
		if st, err = store.OpenPostgres(context.Background(), h.dsn, h.ring); err != nil {
			h.t.Fatal(err)
		}
		h.replicaStores = append(h.replicaStores, st)
	}
	cfg := h.replicaConfig(st)
	livePoller(p)(&cfg)
	b, err := bot.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	p.bot = b
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer close(p.done)
		if err := b.Run(ctx); err != nil {
			h.t.Errorf("bot.Run: %v", err)
		}
	}()
	h.waitFor("the bot to connect", func() bool { return b.Ready() })
	h.t.Cleanup(func() { cancel() })
	return p
}

// poll runs one whole poll round of each poller (at once) and waits for
// their ends.
func (h *harness) poll(ps ...*poller) {
	h.t.Helper()
	for _, p := range ps {
		select {
		case p.tick <- time.Now():
		case <-time.After(30 * time.Second):
			h.t.Fatal("the poller took no tick")
		}
		p.ticks++
	}
	// Each tick makes exactly one round: the round of tick k is the k-th
	// to finish.
	h.waitFor("a poll round", func() bool {
		for _, p := range ps {
			if p.rounds.Load() < p.ticks {
				return false
			}
		}
		return true
	})
}

// subscribe saves a subscription directly (the commands are not the
// engine's).
func (h *harness) subscribe(channel, serviceID, urgency string) {
	h.t.Helper()
	if err := h.st.AddSubscription(context.Background(), store.Subscription{Team: demoworld.TeamID, Channel: channel, ServiceID: serviceID, Urgency: urgency, CreatedBy: alice}); err != nil {
		h.t.Fatal(err)
	}
}

// cards returns the bot's top-level card messages in a channel.
func (h *harness) cards(channel string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.sf.Messages(channel) {
		if m.User == h.sf.BotUserID() && (m.ThreadTS == "" || m.ThreadTS == m.TS) && strings.Contains(string(m.Blocks), "card_actions") {
			out = append(out, m)
		}
	}
	return out
}

// cardFor waits for the one card of incident id in channel.
func (h *harness) cardFor(channel, id string) slackfake.Message {
	h.t.Helper()
	var card slackfake.Message
	h.waitFor("the card of "+id, func() bool {
		for _, m := range h.cards(channel) {
			if strings.Contains(string(m.Blocks), id) {
				card = m
				return true
			}
		}
		return false
	})
	return card
}

func threadText(ms []slackfake.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func logEntryRequests(pd *pdfake.Server) int {
	n := 0
	for _, r := range pd.Requests() {
		if r.Path == "/log_entries" {
			n++
		}
	}
	return n
}

// TestLiveCardForSubscribedIncident: with the real interval (1 s), a
// subscription gets a card with buttons for a new incident on its service
// at its urgency, and nothing for other services or urgencies.
func TestLiveCardForSubscribedIncident(t *testing.T) {
	h := newHarness(t)
	h.subscribe(opsCh, demoworld.ServiceDBID, "high")
	var rounds atomic.Int64
	h.startReplicaWith(func(c *bot.Config) {
		c.PollInterval = time.Second
		c.Polled = func() { rounds.Add(1) }
	})
	h.waitFor("a first poll", func() bool { return rounds.Load() > 0 })
	if _, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Replica lag low", "low", pdfake.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pd.TriggerIncident(demoworld.ServiceWebID, "Checkout slow", "high", pdfake.Actor{}); err != nil {
		t.Fatal(err)
	}
	inc, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Orders DB down", "high", pdfake.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	card := h.cardFor(opsCh, inc.ID)
	contains(t, card.PlainText(), "Orders DB down", "Acknowledge", "Resolve", "Add note")
	// Two more rounds: still one card, none for the others.
	r := rounds.Load()
	h.waitFor("two more rounds", func() bool { return rounds.Load() >= r+2 })
	if got := h.cards(opsCh); len(got) != 1 {
		t.Errorf("%d cards in the channel, want 1: %v", len(got), threadText(got))
	}
	for _, c := range []string{incCh, demoworld.Inc43ChannelID} {
		if got := h.cards(c); len(got) != 0 {
			t.Errorf("%d cards in %s, which subscribes to nothing", len(got), c)
		}
	}
}

// liveCard sets up a subscribed channel with the card of a new incident,
// polled by p.
func liveCard(t *testing.T, h *harness, p *poller) (pdfake.Incident, slackfake.Message) {
	t.Helper()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	inc, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Orders DB down", "high", pdfake.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	card := h.cardFor(opsCh, inc.ID)
	if n := len(h.sf.History(opsCh, card.TS)); n != 1 {
		t.Fatalf("a new card has %d versions, want 1", n)
	}
	return inc, card
}

// TestLiveCardFollowsChanges: changes made outside Slack update the same
// message and put one line each in its thread, naming who and through what.
func TestLiveCardFollowsChanges(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	inc, card := liveCard(t, h, p)
	if th := h.sf.Thread(opsCh, card.TS); len(th) != 0 {
		t.Errorf("a new card's thread has %q", threadText(th))
	}

	if err := h.pd.Acknowledge(inc.ID, pdfake.FromMobile(demoworld.PDBobID)); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	th := h.sf.Thread(opsCh, card.TS)
	if diff := slices.Compare(threadText(th), []string{"Acknowledged by Bob Jones (mobile)"}); diff != 0 {
		t.Errorf("thread after the ack: %q", threadText(th))
	}
	m, _ := h.sf.Message(opsCh, card.TS)
	if m.Edits != 1 {
		t.Errorf("card edited %d times, want 1", m.Edits)
	}
	contains(t, m.PlainText(), "Acknowledged", "Resolve")
	if strings.Contains(string(m.Blocks), `"card_ack"`) {
		t.Error("an acknowledged card still offers Acknowledge")
	}

	if _, err := h.pd.AddNoteAs(inc.ID, pdfake.FromWeb(demoworld.PDAliceID), "Failing over to <!channel> replica & back"); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	th = h.sf.Thread(opsCh, card.TS)
	if len(th) != 2 || th[1].Text != "Note from Alice Smith (web): Failing over to &lt;!channel&gt; replica &amp; back" {
		t.Errorf("thread after the note: %q", threadText(th))
	}

	if err := h.pd.Escalate(inc.ID, demoworld.PDCarolID); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	th = h.sf.Thread(opsCh, card.TS)
	if len(th) != 3 || !strings.Contains(th[2].Text, "by PagerDuty (timeout)") || !strings.HasPrefix(th[2].Text, "Escalated") {
		t.Errorf("thread after the escalation: %q", threadText(th))
	}

	if err := h.pd.Resolve(inc.ID, pdfake.FromWeb(demoworld.PDBobID), "replica promoted"); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	th = h.sf.Thread(opsCh, card.TS)
	if len(th) != 4 || th[3].Text != "Resolved by Bob Jones (web): replica promoted" {
		t.Errorf("thread after the resolve: %q", threadText(th))
	}
	m, _ = h.sf.Message(opsCh, card.TS)
	for _, gone := range []string{`"card_ack"`, `"card_resolve"`, `"card_reassign"`, `"card_escalate"`} {
		if strings.Contains(string(m.Blocks), gone) {
			t.Errorf("a resolved card still has %s", gone)
		}
	}
	contains(t, string(m.Blocks), `"card_note"`)
	lc := followed(t, h, opsCh, card.TS)
	if lc.ResolvedAt.IsZero() {
		t.Error("a resolved card has no ResolvedAt")
	}

	if err := h.pd.Reopen(inc.ID, pdfake.FromWeb(demoworld.PDAliceID)); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	if lc := followed(t, h, opsCh, card.TS); !lc.ResolvedAt.IsZero() {
		t.Error("a reopened card keeps its ResolvedAt")
	}
	if got := h.cards(opsCh); len(got) != 1 {
		t.Errorf("%d cards after a reopen, want the one", len(got))
	}
}

// followed returns the live card channel/ts from the store.
func followed(t *testing.T, h *harness, channel, ts string) store.LiveCard {
	t.Helper()
	cards, err := h.st.LiveCards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cards {
		if c.Channel == channel && c.TS == ts {
			return c
		}
	}
	t.Fatalf("card %s/%s is not followed", channel, ts)
	return store.LiveCard{}
}

// TestLiveCoalescesChanges: ten changes between two polls make one
// chat.update and ten thread lines.
func TestLiveCoalescesChanges(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	inc, card := liveCard(t, h, p)
	for i := range 10 {
		if _, err := h.pd.AddNoteAs(inc.ID, pdfake.FromWeb(demoworld.PDAliceID), "step "+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	gets := len(h.pd.Requests())
	h.poll(p)
	if n := len(h.sf.History(opsCh, card.TS)) - 1; n != 1 {
		t.Errorf("%d chat.update for ten changes, want 1", n)
	}
	th := h.sf.Thread(opsCh, card.TS)
	if len(th) != 10 || th[0].Text != "Note from Alice Smith (web): step 0" || th[9].Text != "Note from Alice Smith (web): step 9" {
		t.Errorf("thread: %q", threadText(th))
	}
	incidentGets := 0
	for _, r := range h.pd.Requests()[gets:] {
		if r.Path == "/incidents/"+inc.ID {
			incidentGets++
		}
	}
	if incidentGets != 1 {
		t.Errorf("%d GET /incidents/%s in one poll, want 1", incidentGets, inc.ID)
	}
}

// TestLiveIdleKeyIsNotPolled: a key with nothing subscribed or linked
// costs no PagerDuty request.
func TestLiveIdleKeyIsNotPolled(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	for range 3 {
		h.poll(p)
	}
	if n := logEntryRequests(h.pd); n != 0 {
		t.Errorf("%d /log_entries requests with nothing to follow", n)
	}
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	h.poll(p)
	if n := logEntryRequests(h.pd); n != 1 {
		t.Errorf("%d /log_entries requests for one poll of a subscribed key", n)
	}
}

// TestLiveRestartHasNoDuplicates: a replica stopped (as by SIGTERM) and a
// new one on the same bolt file go on from the cursor: every change once.
func TestLiveRestartHasNoDuplicates(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	inc, card := liveCard(t, h, p)
	if err := h.pd.Acknowledge(inc.ID, pdfake.FromMobile(demoworld.PDBobID)); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	p.stop()
	if _, err := h.pd.AddNoteAs(inc.ID, pdfake.FromWeb(demoworld.PDAliceID), "while nobody polled"); err != nil {
		t.Fatal(err)
	}
	// A new process on the same bolt file.
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBolt(h.dbPath, h.ring)
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	h.replicaStores = append(h.replicaStores, st)
	p2 := h.startPoller()
	h.poll(p2)
	h.poll(p2)
	want := []string{"Acknowledged by Bob Jones (mobile)", "Note from Alice Smith (web): while nobody polled"}
	if got := threadText(h.sf.Thread(opsCh, card.TS)); !slices.Equal(got, want) {
		t.Errorf("thread after the restart: %q, want %q", got, want)
	}
	// Even a cursor that lost its progress (a crash before it was stored)
	// redoes nothing: every effect was claimed.
	if err := h.st.SetPollCursor(context.Background(), p2.bot.KeyIDForTest(demoworld.DemoPDKey), store.PollCursor{Since: time.Now().Add(-time.Minute).Truncate(time.Second)}); err != nil {
		t.Fatal(err)
	}
	h.poll(p2)
	if got := threadText(h.sf.Thread(opsCh, card.TS)); !slices.Equal(got, want) {
		t.Errorf("thread after a replay: %q, want %q", got, want)
	}
	if got := h.cards(opsCh); len(got) != 1 {
		t.Errorf("%d cards after the restart, want 1", len(got))
	}
}

// TestLiveReplicasOnPostgres: two replicas polling one key through a
// shared PostgreSQL store carry every effect out once.
func TestLiveReplicasOnPostgres(t *testing.T) {
	h := newHarness(t, onPostgres())
	p1, p2 := h.startPoller(), h.startPoller()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	var ids []string
	for i := range 3 {
		inc, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Disk full "+string(rune('a'+i)), "high", pdfake.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inc.ID)
	}
	h.poll(p1, p2)
	for _, id := range ids {
		h.cardFor(opsCh, id)
	}
	for _, id := range ids {
		if err := h.pd.Acknowledge(id, pdfake.FromMobile(demoworld.PDBobID)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		h.poll(p1, p2)
	}
	// The holder may stop: the other takes the key over at once.
	p1.stop()
	if err := h.pd.Resolve(ids[0], pdfake.FromWeb(demoworld.PDAliceID), ""); err != nil {
		t.Fatal(err)
	}
	h.poll(p2)
	cards := h.cards(opsCh)
	if len(cards) != len(ids) {
		t.Fatalf("%d cards for %d incidents", len(cards), len(ids))
	}
	for _, c := range cards {
		want := []string{"Acknowledged by Bob Jones (mobile)"}
		if strings.Contains(string(c.Blocks), ids[0]) {
			want = append(want, "Resolved by Alice Smith (web)")
		}
		if got := threadText(h.sf.Thread(opsCh, c.TS)); !slices.Equal(got, want) {
			t.Errorf("thread of %s: %q, want %q", c.TS, got, want)
		}
	}
}

// TestLiveGoneCardIsDropped: a card whose message was deleted is no longer
// followed.
func TestLiveGoneCardIsDropped(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true
	p := h.startPoller()
	inc, card := liveCard(t, h, p)
	h.sf.DeleteMessage(opsCh, card.TS)
	if err := h.pd.Acknowledge(inc.ID, pdfake.FromMobile(demoworld.PDBobID)); err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	cards, err := h.st.LiveCards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 0 {
		t.Errorf("a deleted card is still followed: %+v", cards)
	}
	if h.logs.FilterMessage("live: card is gone; no longer followed").Len() != 1 {
		t.Error("no log line for the dropped card")
	}
}

// TestLiveWaitsOutSlackRateLimits: a 429 from chat.postMessage is waited
// out (Retry-After) within the poll, and the card still comes.
func TestLiveWaitsOutSlackRateLimits(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true
	p := h.startPoller()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	h.sf.RateLimitMethod("chat.postMessage", 1, 2)
	inc, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Orders DB down", "high", pdfake.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	h.poll(p)
	h.cardFor(opsCh, inc.ID)
	if got := h.cards(opsCh); len(got) != 1 {
		t.Errorf("%d cards, want 1", len(got))
	}
}

// TestLivePollerKeepsToItsShare: however often it is asked to poll, the
// poller sends at most a tenth of the key's 960 requests a minute.
func TestLivePollerKeepsToItsShare(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	for range 120 {
		h.poll(p)
	}
	if n := len(h.pd.Requests()); n > 96 || n < 90 {
		t.Errorf("%d PagerDuty requests in 120 polls within a minute, want at most 96 (and close to it)", n)
	}
}

// TestLiveStopsFollowingResolvedCards: a card resolved more than 24 h ago
// is dropped; a younger one stays.
func TestLiveStopsFollowingResolvedCards(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	ctx := context.Background()
	now := time.Now()
	for _, c := range []store.LiveCard{
		{Team: demoworld.TeamID, Channel: opsCh, TS: "1700000000.000001", IncidentID: demoworld.Incident44ID, PostedAt: now.Add(-48 * time.Hour), ResolvedAt: now.Add(-25 * time.Hour)},
		{Team: demoworld.TeamID, Channel: opsCh, TS: "1700000000.000002", IncidentID: demoworld.Incident44ID, PostedAt: now.Add(-2 * time.Hour), ResolvedAt: now.Add(-time.Hour)},
	} {
		if err := h.st.SaveLiveCard(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	h.poll(p)
	cards, err := h.st.LiveCards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 || cards[0].TS != "1700000000.000002" {
		t.Errorf("followed after the poll: %+v", cards)
	}
}

// TestLiveBurstIsPaced: a burst of new incidents in one channel becomes
// posts paced to Slack's limit (about one a second, with short bursts),
// every card posted, none lost to a 429.
func TestLiveBurstIsPaced(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true // a 429 that is waited out is fine
	h.sf.EnableRateLimits(slackfake.RateLimits{})
	p := h.startPoller()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	const n = 6
	for i := range n {
		if _, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Shard down "+string(rune('a'+i)), "high", pdfake.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	h.poll(p)
	if got := h.cards(opsCh); len(got) != n {
		t.Errorf("%d cards for a burst of %d incidents", len(got), n)
	}
	for _, c := range h.sf.Calls("chat.postMessage") {
		if c.Error != "" && c.Error != "ratelimited" {
			t.Errorf("chat.postMessage refused: %s", c.Error)
		}
	}
}

// TestLiveStopDuringThePaceLosesNoCard: a replica stopped while it waits
// for Slack's pace has claimed nothing it has not posted (the claim comes
// after the wait), so the next one posts every card, each once.
func TestLiveStopDuringThePaceLosesNoCard(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	const n = 6 // more than the post burst (3): the fifth waits for its pace
	for i := range n {
		if _, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Shard down "+string(rune('a'+i)), "high", pdfake.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case p.tick <- time.Now():
	case <-time.After(30 * time.Second):
		t.Fatal("the poller took no tick")
	}
	h.waitFor("four cards", func() bool { return len(h.cards(opsCh)) >= 4 })
	p.stop()
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBolt(h.dbPath, h.ring)
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	h.replicaStores = append(h.replicaStores, st)
	p2 := h.startPoller()
	h.poll(p2)
	if got := h.cards(opsCh); len(got) != n {
		t.Errorf("%d cards after the restart, want %d", len(got), n)
	}
}

// A poll that cannot reach PagerDuty says why in the log without the
// request's URL past its host: the log_entries query is cut, as every URL
// in a logged error is (logsafe).
func TestLivePollErrorsLogNoURLPaths(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller()
	h.subscribe(opsCh, demoworld.ServiceDBID, "")
	h.pd.Close() // unreachable: the poll's request fails in transit, and net/http's error names its URL
	h.poll(p)
	entries := h.logs.FilterMessage("live: poll failed").All()
	if len(entries) == 0 {
		t.Fatal("a poll that could not reach PagerDuty logged nothing")
	}
	for _, e := range entries {
		msg, _ := e.ContextMap()["error"].(string)
		if msg == "" {
			t.Fatalf("logged without the error: %v", e.ContextMap())
		}
		// pdbot's own words name the operation (GET /log_entries); the
		// URL net/http quotes is cut to its host.
		if strings.Contains(msg, "?") || strings.Contains(msg, "since=") || !strings.Contains(msg, `/…"`) {
			t.Errorf("logged %q: the URL's query is in the log", msg)
		}
	}
}
