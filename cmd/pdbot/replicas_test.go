package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// The load of TestReplicasSurviveKill9: every channel subscribes to a
// service of its own, so Slack's pacing (about a post a second per
// channel) is spread over the channels.
const (
	chaosChannels  = 5
	chaosIncidents = 50 // spread over the channels
	chaosReplicas  = 3
	// chaosOwnKeys channels have a key of their own; the others use the
	// workspace default.
	chaosOwnKeys = 3
	// chaosDeadline is the safety net of the whole run, not a measure.
	chaosDeadline = 2 * time.Minute
)

// chaosLines are the thread lines of each incident's three changes, in
// order (chaosChange makes them).
func chaosLines(i int) []string {
	return []string{
		"Acknowledged by Bob Jones (mobile)",
		fmt.Sprintf("Note from Alice Smith (web): step %d", i),
		"Resolved by Bob Jones (web)",
	}
}

// chaosChange makes the three changes of incident i outside Slack.
func chaosChange(t *testing.T, pd *pdfake.Server, id string, i int) {
	t.Helper()
	if err := pd.Acknowledge(id, pdfake.FromMobile(demoworld.PDBobID)); err != nil {
		t.Fatal(err)
	}
	if _, err := pd.AddNoteAs(id, pdfake.FromWeb(demoworld.PDAliceID), fmt.Sprintf("step %d", i)); err != nil {
		t.Fatal(err)
	}
	if err := pd.Resolve(id, pdfake.FromWeb(demoworld.PDBobID), ""); err != nil {
		t.Fatal(err)
	}
}

// replica is one `pdbot serve` process.
type replica struct {
	cmd    *exec.Cmd
	addr   string
	logs   *lockedBuffer // stdout and stderr
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
	// holder is the replica's name in the store's leases, from its
	// "live: polling" log line.
	holder string
}

func (r *replica) alive() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

// chaos is the world of TestReplicasSurviveKill9.
type chaos struct {
	t        *testing.T
	bin      string
	env      []string
	sf       *slackfake.Fake
	pd       *pdfake.Server
	admin    *pgx.Conn
	deadline time.Time
	replicas []*replica // every one started, dead ones included
	// onTimeout, if set, says what is missing when the safety net is hit.
	onTimeout func()
}

// waitFor polls cond until it holds, failing the test at the run's safety
// net.
func (c *chaos) waitFor(what string, cond func() bool) {
	c.t.Helper()
	for !cond() {
		if time.Now().After(c.deadline) {
			if c.onTimeout != nil {
				c.onTimeout()
			}
			c.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// start runs a replica and waits until it is ready and polling.
func (c *chaos) start() *replica {
	c.t.Helper()
	r := &replica{addr: freeAddr(c.t), logs: &lockedBuffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(c.bin, "serve")
	r.cmd.Env = append(slices.Clone(c.env), "PDBOT_HTTP_ADDR="+r.addr)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	c.replicas = append(c.replicas, r)
	c.waitFor("replica "+r.addr+" to be ready", func() bool {
		if !r.alive() {
			c.t.Fatalf("pdbot serve exited early (%v):\n%s", r.err, r.logs.String())
		}
		return ready(r.addr)
	})
	c.waitFor("replica "+r.addr+" to poll", func() bool {
		r.holder = logField(r.logs.String(), "live: polling", "replica")
		return r.holder != ""
	})
	return r
}

// kill ends r with SIGKILL: no lease released, no cursor stored.
func (c *chaos) kill(r *replica) {
	c.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	<-r.exited
}

// stop ends r with SIGTERM and checks that it stopped cleanly.
func (c *chaos) stop(r *replica) {
	c.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	c.waitFor("replica "+r.addr+" to stop", func() bool { return !r.alive() })
	if r.err != nil {
		c.t.Errorf("replica %s after SIGTERM: %v\n%s", r.holder, r.err, r.logs.String())
	}
}

// logField returns field of the first JSON log line whose message is msg.
func logField(logs, msg, field string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != msg {
			continue
		}
		if s, ok := line[field].(string); ok {
			return s
		}
	}
	return ""
}

// grepLogs returns the log lines that hold any of subs.
func grepLogs(logs string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// leases returns the live poll leases: lease name → holder.
func (c *chaos) leases() map[string]string {
	c.t.Helper()
	rows, err := c.admin.Query(context.Background(), `SELECT name, holder FROM pdbot_leases WHERE expires > now()`)
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (l [2]string, err error) {
		err = r.Scan(&l[0], &l[1])
		return l, err
	})
	if err != nil {
		c.t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range out {
		m[l[0]] = l[1]
	}
	return m
}

// leaseExpiry returns when the lease name runs out, as the store has it.
func (c *chaos) leaseExpiry(name string) (expires, now time.Time) {
	c.t.Helper()
	err := c.admin.QueryRow(context.Background(), `SELECT expires, now() FROM pdbot_leases WHERE name = $1`, name).Scan(&expires, &now)
	if err != nil {
		c.t.Fatal(err)
	}
	return expires, now
}

// logPolls counts the GET /log_entries PagerDuty has answered.
func (c *chaos) logPolls() int {
	n := 0
	for _, r := range c.pd.Requests() {
		if r.Path == "/log_entries" {
			n++
		}
	}
	return n
}

// cards returns the bot's top-level messages in a channel.
func (c *chaos) cards(channel string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range c.sf.Messages(channel) {
		if m.User == c.sf.BotUserID() && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			out = append(out, m)
		}
	}
	return out
}

// cardOf returns the cards of incident id among cards.
func cardsOf(cards []slackfake.Message, id string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range cards {
		if strings.Contains(string(m.Blocks), id) {
			out = append(out, m)
		}
	}
	return out
}

func (c *chaos) thread(channel, ts string) []string {
	var out []string
	for _, m := range c.sf.Thread(channel, ts) {
		out = append(out, m.Text)
	}
	return out
}

// TestReplicasSurviveKill9 runs three `pdbot serve` processes (the release
// binary) on one PostgreSQL schema against the fakes. 50 incidents are
// triggered on five subscribed services and changed three times each
// outside Slack while the replica holding the most poll leases is killed
// with SIGKILL: another takes its keys over, and in the end every channel
// has exactly one card per incident and every card exactly one thread line
// per change. After all three are stopped (SIGTERM) and started again, a
// change made meanwhile shows once and nothing is repeated. No process logs
// a token or an API key.
func TestReplicasSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the three-replica kill -9 test (it builds the binary and runs for about a minute)")
	}
	dsn, admin := storetest.PostgresSchema(t) // skips without PDBOT_TEST_POSTGRES
	bin := buildRelease(t)
	ctx := context.Background()

	opts := demoworld.SlackOptions()
	opts.AppToken, opts.BotToken = canaryApp, canaryBot
	sf, err := slackfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	// The requests are validated, not logged: three pollers make thousands.
	pd := pdfaketest.NewWith(t, pdfake.Options{Logf: func(string, ...any) {}})
	demoworld.Seed(sf, pd)

	ring, err := store.ParseKeyRing(canaryMaster)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenPostgres(ctx, dsn, ring)
	if err != nil {
		t.Fatal(err)
	}
	channels := make([]string, chaosChannels)
	services := make([]string, chaosChannels)
	for i := range chaosChannels {
		channels[i] = fmt.Sprintf("C0CHAOS%02d", i)
		services[i] = fmt.Sprintf("PCHAOS%d", i)
		sf.AddChannel(slackfake.Channel{ID: channels[i], Name: fmt.Sprintf("chaos-%d", i)})
		pd.AddService(pdfake.Service{ID: services[i], Name: fmt.Sprintf("Chaos %d", i), EscalationPolicyID: demoworld.PolicyDBID})
		if i < chaosOwnKeys {
			key := fmt.Sprintf("u+chaosKeyCANARY-%04d", i)
			pd.AddKey(key, pdfake.AccountKey)
			if err := st.SetAPIKey(ctx, demoworld.TeamID, channels[i], store.Secret(key), demoworld.AliceID); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.AddSubscription(ctx, store.Subscription{Team: demoworld.TeamID, Channel: channels[i], ServiceID: services[i], ServiceName: fmt.Sprintf("Chaos %d", i), CreatedBy: demoworld.AliceID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetAPIKey(ctx, demoworld.TeamID, store.DefaultChannel, store.Secret(demoworld.DemoPDKey), demoworld.AliceID); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	keys := chaosOwnKeys + 1

	c := &chaos{
		t: t, bin: bin, sf: sf, pd: pd, admin: admin,
		deadline: time.Now().Add(chaosDeadline),
		env: []string{
			"SLACK_APP_TOKEN=" + canaryApp, "SLACK_BOT_TOKEN=" + canaryBot,
			"SLACK_API_URL=" + sf.URL(), "PAGERDUTY_API_URL=" + pd.URL(),
			"PDBOT_STORE=" + dsn, "PDBOT_MASTER_KEY=" + canaryMaster,
			"PDBOT_POLL_INTERVAL=1s", "PDBOT_LOG_LEVEL=debug",
		},
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			if r.alive() {
				_ = r.cmd.Process.Signal(syscall.SIGKILL)
				<-r.exited
			}
		}
		for _, r := range c.replicas {
			assertNoCanary(t, "the logs of replica "+r.holder, r.logs.String())
		}
	})
	began := time.Now()
	for range chaosReplicas {
		c.start()
	}
	c.waitFor("every key's lease to be taken", func() bool { return len(c.leases()) == keys })

	// The incidents, round-robin over the services; each is changed once
	// its card is in its channel.
	type incident struct {
		id, channel string
		changed     bool
	}
	incidents := make([]*incident, chaosIncidents)
	for i := range incidents {
		in, err := pd.TriggerIncident(services[i%chaosChannels], fmt.Sprintf("Chaos incident %d", i), "high", pdfake.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		incidents[i] = &incident{id: in.ID, channel: channels[i%chaosChannels]}
	}
	var (
		victim   *replica
		orphans  []string // the victim's leases
		killedAt time.Time
		tookOver bool
		changed  int
	)
	complete := func() bool {
		for i, in := range incidents {
			cards := cardsOf(c.cards(in.channel), in.id)
			if len(cards) == 0 || !in.changed || len(c.thread(in.channel, cards[0].TS)) < len(chaosLines(i)) {
				return false
			}
		}
		return true
	}
	c.onTimeout = func() {
		for i, in := range incidents {
			cards := cardsOf(c.cards(in.channel), in.id)
			var th []string
			if len(cards) > 0 {
				th = c.thread(in.channel, cards[0].TS)
			}
			if len(cards) != 1 || !slices.Equal(th, chaosLines(i)) {
				t.Logf("incident %d %s in %s: %d cards, changed %v, thread %q", i, in.id, in.channel, len(cards), in.changed, th)
			}
		}
		for _, r := range c.replicas {
			t.Logf("replica %s warnings:\n%s", r.holder, grepLogs(r.logs.String(), `"level":"warn"`, `"level":"error"`))
		}
	}
	c.waitFor("every card and thread line", func() bool {
		for i, in := range incidents {
			if !in.changed && len(cardsOf(c.cards(in.channel), in.id)) > 0 {
				chaosChange(t, pd, in.id, i)
				in.changed = true
				changed++
			}
		}
		if victim == nil && changed >= chaosIncidents/2 {
			// kill -9 the replica holding the most poll leases, partway.
			held := map[string][]string{}
			for name, holder := range c.leases() {
				held[holder] = append(held[holder], name)
			}
			for _, r := range c.replicas {
				if victim == nil || len(held[r.holder]) > len(orphans) {
					victim, orphans = r, held[r.holder]
				}
			}
			if len(orphans) == 0 {
				t.Fatalf("no replica holds a lease: %v", held)
			}
			expires, dbNow := c.leaseExpiry(orphans[0])
			c.kill(victim)
			killedAt = time.Now()
			t.Logf("%v: killed replica %s (SIGKILL) holding %d of %d leases, with %d incidents changed", killedAt.Sub(began).Round(time.Millisecond), victim.holder, len(orphans), keys, changed)
			// What makes a take-over come within 30 s: the dead holder's
			// lease runs out within its TTL.
			if left := expires.Sub(dbNow); left > 30*time.Second {
				t.Errorf("the killed replica's lease had %v left, more than 30 s", left)
			}
		}
		if victim != nil && !tookOver {
			now := c.leases()
			tookOver = true
			for _, name := range orphans {
				if h, ok := now[name]; !ok || h == victim.holder {
					tookOver = false
				}
			}
			if tookOver {
				t.Logf("the killed replica's %d leases taken over %v after the kill: %v", len(orphans), time.Since(killedAt).Round(time.Millisecond), now)
			}
		}
		return tookOver && complete()
	})
	t.Logf("%v: every card and thread line is in Slack", time.Since(began).Round(time.Millisecond))

	// A few more rounds of every key: nothing more comes.
	settle := func() {
		t.Helper()
		n := c.logPolls()
		c.waitFor("three more poll rounds", func() bool { return c.logPolls() >= n+3*keys })
	}
	settle()
	check := func(when string, extra map[string]string) {
		t.Helper()
		for _, ch := range channels {
			var want int
			for _, in := range incidents {
				if in.channel == ch {
					want++
				}
			}
			if got := c.cards(ch); len(got) != want {
				t.Errorf("%s: %d messages in %s, want %d cards", when, len(got), ch, want)
			}
		}
		for i, in := range incidents {
			cards := cardsOf(c.cards(in.channel), in.id)
			if len(cards) != 1 {
				t.Errorf("%s: %d cards of %s in %s, want 1", when, len(cards), in.id, in.channel)
				continue
			}
			want := chaosLines(i)
			if note, ok := extra[in.id]; ok {
				want = append(want, note)
			}
			if got := c.thread(in.channel, cards[0].TS); !slices.Equal(got, want) {
				t.Errorf("%s: thread of %s in %s:\n got %q\nwant %q", when, in.id, in.channel, got, want)
			}
		}
	}
	check("after the kill", nil)

	// Stop all, change one incident per channel meanwhile, start all again.
	for _, r := range c.replicas {
		if r.alive() {
			c.stop(r)
		}
	}
	if l := c.leases(); len(l) != 0 {
		t.Errorf("leases held after every replica stopped cleanly: %v", l)
	}
	extra := map[string]string{}
	for _, in := range incidents[:chaosChannels] {
		if _, err := pd.AddNoteAs(in.id, pdfake.FromWeb(demoworld.PDAliceID), "while every replica was down"); err != nil {
			t.Fatal(err)
		}
		extra[in.id] = "Note from Alice Smith (web): while every replica was down"
	}
	for range chaosReplicas {
		c.start()
	}
	c.waitFor("the notes made while down", func() bool {
		for _, in := range incidents[:chaosChannels] {
			cards := cardsOf(c.cards(in.channel), in.id)
			if len(cards) == 0 || len(c.thread(in.channel, cards[0].TS)) < len(chaosLines(0))+1 {
				return false
			}
		}
		return true
	})
	settle()
	check("after the restart", extra)
	t.Logf("%v: done", time.Since(began).Round(time.Millisecond))
}
