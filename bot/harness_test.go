package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// harness runs the real bot over slack-go's Socket Mode client against
// slackfake and the real go-pagerduty client against pdfake, seeded with the
// demo world.
type harness struct {
	t      testing.TB
	sf     *slackfake.Fake
	pd     *pdfake.Server
	st     store.Store
	dbPath string
	bot    *bot.Bot
	logs   *observer.ObservedLogs
	// allowSlackErrors is set by tests that make Slack fail on purpose.
	allowSlackErrors bool
	core             zapcore.Core
	dsn              string // PostgreSQL, when the test runs on it
	ring             *store.KeyRing
	replicaStores    []store.Store
	tune             func(*bot.Config)
	admins           []string
	wg               sync.WaitGroup
	ctx              context.Context
}

type harnessOpt func(*harnessConfig)

type harnessConfig struct {
	tune     func(*bot.Config)   // adjusts the bot's configuration
	before   func(dbPath string) // runs before the bot's store is opened
	postgres bool
	slack    slackfake.Options
	admins   []string
	noKey    bool
	bench    bool
}

func beforeStore(f func(dbPath string)) harnessOpt {
	return func(c *harnessConfig) { c.before = f }
}

// onPostgres keeps the state in PostgreSQL (a schema of the test's own), and
// gives every replica a store of its own on it, as separate processes have.
func onPostgres() harnessOpt { return func(c *harnessConfig) { c.postgres = true } }

func tuned(f func(*bot.Config)) harnessOpt { return func(c *harnessConfig) { c.tune = f } }

// asBenchmarked sets the harness up as the floors it is compared with are
// (BENCHMARKS.md): fakes that log nothing and validate nothing (the tests
// hold pdbot's requests to PagerDuty's document; the floor's are never
// validated), and pdbot logging at PDBOT_LOG_LEVEL's default, info.
func asBenchmarked() harnessOpt { return func(c *harnessConfig) { c.bench = true } }

func withoutKey() harnessOpt { return func(c *harnessConfig) { c.noKey = true } }

func withAdmins(ids ...string) harnessOpt { return func(c *harnessConfig) { c.admins = ids } }

func newHarness(t testing.TB, opts ...harnessOpt) *harness {
	t.Helper()
	cfg := harnessConfig{slack: demoworld.SlackOptions()}
	cfg.slack.AppToken = "xapp-1-A0DEMO-CANARYAPPTOKEN-0001"
	cfg.slack.BotToken = "xoxb-CANARYBOTTOKEN-0001"
	cfg.slack.Logf = t.Logf
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.bench {
		cfg.slack.Logf = nil
	}
	// Labels mark each side's goroutines (and those they start) in CPU
	// profiles: go tool pprof -tags tells pdbot's CPU (side=pdbot, its
	// store's writer included) from the fakes' and the test driver's.
	var sf *slackfake.Fake
	var err error
	labelled("slackfake", func() { sf, err = slackfake.New(cfg.slack) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	var pd *pdfake.Server
	labelled("pdfake", func() {
		if !cfg.bench {
			pd = pdfaketest.New(t)
			return
		}
		pd, err = pdfake.New(pdfake.Options{})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pd.Close)
	demoworld.Seed(sf, pd)

	mk, err := store.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := store.ParseKeyRing(mk)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "pdbot.db")
	if cfg.before != nil {
		cfg.before(dbPath)
	}
	var st store.Store
	var dsn string
	if cfg.postgres {
		dsn, _ = storetest.PostgresSchema(t)
		labelled("pdbot", func() { st, err = store.OpenPostgres(context.Background(), dsn, ring) })
	} else {
		labelled("pdbot", func() { st, err = store.OpenBolt(dbPath, ring) })
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if !cfg.noKey {
		if err := st.SetAPIKey(ctx, demoworld.TeamID, store.DefaultChannel, store.Secret(demoworld.DemoPDKey), demoworld.AliceID); err != nil {
			t.Fatal(err)
		}
	}
	level := zapcore.DebugLevel
	if cfg.bench {
		level = zapcore.InfoLevel
	}
	core, logs := observer.New(level)
	h := &harness{t: t, sf: sf, pd: pd, st: st, dbPath: dbPath, logs: logs, ctx: ctx, core: core, admins: cfg.admins, dsn: dsn, ring: ring, tune: cfg.tune}
	t.Cleanup(func() {
		cancel()
		h.wg.Wait()
		h.checkNoSecrets()
		for _, s := range h.replicaStores {
			s.Close()
		}
		st.Close()
		h.checkSlackAccepted()
	})
	b := h.startReplica()
	h.bot = b
	return h
}

// labelled runs f with the CPU-profile label side=name, which goroutines
// started in f inherit.
func labelled(name string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("side", name), func(context.Context) { f() })
}

// startReplica runs one more bot on the same Slack app, PagerDuty and store,
// as another replica would.
func (h *harness) startReplica() *bot.Bot {
	h.t.Helper()
	return h.startReplicaWith(nil)
}

// startReplicaWith starts a replica whose configuration tune adjusts further.
func (h *harness) startReplicaWith(tune func(*bot.Config)) *bot.Bot {
	h.t.Helper()
	st := h.st
	if h.dsn != "" && h.bot != nil {
		var err error
		labelled("pdbot", func() { st, err = store.OpenPostgres(context.Background(), h.dsn, h.ring) })
		if err != nil {
			h.t.Fatal(err)
		}
		h.replicaStores = append(h.replicaStores, st)
	}
	cfg := h.replicaConfig(st)
	if tune != nil {
		tune(&cfg)
	}
	b, err := bot.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		labelled("pdbot", func() {
			if err := b.Run(h.ctx); err != nil {
				h.t.Errorf("bot.Run: %v", err)
			}
		})
	}()
	h.waitFor("the bot to connect", func() bool { return b.Ready() })
	return b
}

// replicaConfig is a replica's configuration on st, tuned by the
// harness's options.
func (h *harness) replicaConfig(st store.Store) bot.Config {
	cfg := bot.Config{
		AppToken:        store.Secret(h.sf.AppToken()),
		BotToken:        store.Secret(h.sf.BotToken()),
		SlackAPIURL:     h.sf.URL(),
		PagerDutyAPIURL: h.pd.URL(),
		Admins:          h.admins,
		Store:           st,
		Logger:          zap.New(h.core),
		MetadataKey:     []byte("harness metadata key, shared by replicas"),
	}
	if h.tune != nil {
		h.tune(&cfg)
	}
	return cfg
}

// secrets are the canaries no log line, reply or audit row may hold.
func (h *harness) secrets() []string {
	return []string{demoworld.DemoPDKey, h.sf.AppToken(), h.sf.BotToken(), "CANARY"}
}

func (h *harness) checkNoSecrets() {
	h.t.Helper()
	var seen []string
	for _, e := range h.logs.All() {
		b, _ := json.Marshal(e.ContextMap())
		seen = append(seen, e.Message+" "+string(b))
	}
	for _, c := range []string{"", demoworld.IncChannelID, demoworld.OpsChannelID, demoworld.Inc43ChannelID} {
		for _, m := range h.sf.Messages(c) {
			seen = append(seen, m.Text+string(m.Blocks))
		}
	}
	audit, err := h.st.Audit(context.Background(), demoworld.TeamID, 10000)
	if err != nil {
		h.t.Errorf("read audit: %v", err)
	}
	for _, a := range audit {
		seen = append(seen, fmt.Sprintf("audit %+v", a))
	}
	for _, m := range h.sf.Ephemerals("", "") {
		seen = append(seen, m.Text+string(m.Blocks))
	}
	for _, c := range h.sf.Calls("") {
		// Everything the bot sent Slack to show, but not the request's own token.
		for _, k := range []string{"text", "blocks", "view", "attachments"} {
			seen = append(seen, c.Params.Get(k))
		}
	}
	for _, s := range seen {
		for _, secret := range h.secrets() {
			if strings.Contains(s, secret) {
				h.t.Errorf("a secret leaked into %q", s)
			}
		}
	}
}

// checkSlackAccepted fails the test if Slack (the fake) refused anything the
// bot sent — a Block Kit limit, an expired trigger — or an ack was late,
// doubled or malformed.
func (h *harness) checkSlackAccepted() {
	h.t.Helper()
	for _, c := range h.sf.Calls("") {
		if c.Error != "" && !h.allowSlackErrors {
			h.t.Errorf("Slack refused %s: %s", c.Method, c.Error)
		}
	}
	// Confirmations in channels mention nobody.
	for _, c := range []string{demoworld.IncChannelID, demoworld.OpsChannelID, demoworld.Inc43ChannelID} {
		for _, m := range h.sf.Messages(c) {
			if m.User != h.sf.BotUserID() {
				continue
			}
			for _, ping := range []string{"<@", "<!", "<#"} {
				// Slack's date token (<!date^…>) formats a time and pings nobody.
				if strings.Contains(strings.ReplaceAll(m.Text+string(m.Blocks), "<!date^", ""), ping) {
					h.t.Errorf("a channel message mentions someone (%s): %q", ping, m.Text)
				}
			}
		}
	}
	for _, a := range h.sf.Acks() {
		if a.Problem != "" || a.Count > 1 {
			h.t.Errorf("ack of %s %s: count %d, problem %q", a.Type, a.Kind, a.Count, a.Problem)
		}
	}
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.waitWithin(15*time.Second, what, cond)
}

func (h *harness) waitWithin(d time.Duration, what string, cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := h.sf.WaitFor(ctx, cond); err != nil {
		h.t.Fatalf("timed out waiting for %s", what)
	}
}

// seen is what a user sees in a channel: the channel's messages and their
// own ephemerals.
func (h *harness) seen(user, channel string) []slackfake.Message {
	return append(h.sf.Messages(channel), h.sf.Ephemerals(user, channel)...)
}

// slash runs a command and returns the newest thing the user then sees in
// the channel (a message or an ephemeral), after the bot acked.
func (h *harness) slash(user, channel, line string) slackfake.Message {
	h.t.Helper()
	before := h.snapshot(user, channel)
	d, err := h.sf.Slash(user, channel, line)
	if err != nil {
		h.t.Fatalf("slash %q: %v", line, err)
	}
	h.ack(d)
	return h.next(user, channel, before, line)
}

type msgKey struct {
	ts        string
	ephemeral bool
}

func (h *harness) snapshot(user, channel string) map[msgKey]bool {
	seen := map[msgKey]bool{}
	for _, m := range h.seen(user, channel) {
		seen[msgKey{m.TS, m.Ephemeral}] = true
	}
	return seen
}

// next waits for a message the user did not see before and returns the
// newest one.
func (h *harness) next(user, channel string, before map[msgKey]bool, what string) slackfake.Message {
	h.t.Helper()
	var fresh []slackfake.Message
	collect := func() bool {
		fresh = fresh[:0]
		for _, m := range h.seen(user, channel) {
			if !before[msgKey{m.TS, m.Ephemeral}] {
				fresh = append(fresh, m)
			}
		}
		return len(fresh) > 0
	}
	h.waitFor("a reply to "+what, collect)
	time.Sleep(20 * time.Millisecond) // let a second reply (if any) land
	collect()
	newest := fresh[0]
	for _, m := range fresh {
		if m.TS > newest.TS {
			newest = m
		}
	}
	return newest
}

func (h *harness) ack(d *slackfake.Delivery) slackfake.Ack {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := d.WaitAck(ctx)
	if err != nil {
		h.t.Fatalf("no ack for %s: %v", d.Kind, err)
	}
	if a.Count != 1 || a.Problem != "" {
		h.t.Fatalf("ack of %s: count %d, problem %q", d.Kind, a.Count, a.Problem)
	}
	return a
}

// writes returns PagerDuty's non-GET requests.
func (h *harness) writes() []pdfake.Request { return h.pd.Writes() }

// requireNoPD asserts PagerDuty saw nothing at all.
func (h *harness) requireNoPD() {
	h.t.Helper()
	if rs := h.pd.Requests(); len(rs) != 0 {
		h.t.Fatalf("PagerDuty got %d requests, want none; first %s %s", len(rs), rs[0].Method, rs[0].Path)
	}
}

// topView waits for the user's top modal to satisfy cond.
func (h *harness) topView(user string, cond func(slackfake.View) bool) slackfake.View {
	h.t.Helper()
	var v slackfake.View
	h.waitFor("a modal for "+user, func() bool {
		vs := h.sf.Views(user)
		if len(vs) == 0 {
			return false
		}
		v = vs[len(vs)-1]
		return cond(v)
	})
	return v
}

func contains(t testing.TB, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}
