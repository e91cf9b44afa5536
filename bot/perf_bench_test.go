package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// The benchmarks in this file compare pdbot with the floor, on the same
// fakes in the same run (BENCHMARKS.md has the figures and the command):
//   - acks: a bare slack-go Socket Mode client that acks every envelope at
//     once, against pdbot, for a burst of slash commands;
//   - notes: a bare loop of go-pagerduty CreateIncidentNote calls (50 at a
//     time), against /pd note end to end (envelope sent → pdbot done).
// Everything runs in one process, so CPU figures include the fakes' share
// (slackfake's for pdbot only; pdfake's for both).

// benchKeys are extra channels with keys of their own, so a run can spread
// its notes over many API keys as a busy workspace does.
func benchKeys(h *harness, n int) []string {
	h.t.Helper()
	var channels []string
	for i := range n {
		ch := fmt.Sprintf("C0BENCH%03d", i)
		key := fmt.Sprintf("u+benchKey%03dCANARY", i)
		h.sf.AddChannel(slackfake.Channel{ID: ch, Name: fmt.Sprintf("bench-%d", i)})
		h.pd.AddKey(key, pdfake.AccountKey)
		if err := h.st.SetAPIKey(context.Background(), demoworld.TeamID, ch, store.Secret(key), demoworld.AliceID); err != nil {
			h.t.Fatal(err)
		}
		channels = append(channels, ch)
	}
	return channels
}

// benchIncidents adds n open incidents to pd, so a long run stays under
// PagerDuty's 2,000 notes an incident.
func benchIncidents(pd *pdfake.Server, n int) []string {
	var ids []string
	for i := range n {
		id := benchIncidentID(i)
		pd.AddIncident(pdfake.Incident{ID: id, Title: fmt.Sprintf("bench %d", i), ServiceID: demoworld.ServiceDBID, Assignees: []string{demoworld.PDBobID}})
		ids = append(ids, id)
	}
	return ids
}

// benchIncidentID is the ID of benchIncidents' i-th incident.
func benchIncidentID(i int) string { return fmt.Sprintf("Q0BENCH%07d", i) }

// completions tells when pdbot finished each envelope (bot.Config.Handled).
type completions struct {
	m sync.Map // envelope ID → chan struct{}
	n atomic.Int64
}

func (c *completions) ch(id string) chan struct{} {
	v, _ := c.m.LoadOrStore(id, make(chan struct{}))
	return v.(chan struct{})
}

func (c *completions) handled(id string) {
	close(c.ch(id))
	c.n.Add(1)
}

func (c *completions) wait(b *testing.B, id string) {
	select {
	case <-c.ch(id):
	case <-time.After(2 * time.Minute): // a safety net, not a measurement
		b.Fatalf("envelope %s never finished", id)
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floorSocket connects a bare slack-go Socket Mode client to sf that acks
// every envelope the moment it arrives (opts tune the client).
func floorSocket(b *testing.B, sf *slackfake.Fake, opts ...socketmode.Option) {
	ctx, cancel := context.WithCancel(context.Background())
	api := slack.New(sf.BotToken(), slack.OptionAppLevelToken(sf.AppToken()), slack.OptionAPIURL(sf.URL()))
	sm := socketmode.New(api, opts...)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
				}
			}
		}
	})
	wg.Go(func() { _ = sm.RunContext(ctx) })
	b.Cleanup(func() { cancel(); wg.Wait() })
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := sf.WaitFor(wctx, func() bool { return sf.Connections() == 1 }); err != nil {
		b.Fatal("the floor client did not connect")
	}
}

// burstAcks sends n slash commands at once (round-robin over channels) and
// returns their ack latencies and how many were answered "busy".
func burstAcks(b *testing.B, sf *slackfake.Fake, channels []string, n int, text func(i int) string) (lat []time.Duration, busy int) {
	ds := make([]*slackfake.Delivery, 0, n)
	for i := range n {
		d, err := sf.Slash(demoworld.AliceID, channels[i%len(channels)], text(i))
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, d := range ds {
		a, err := d.WaitAck(ctx)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, a.Latency)
		if strings.Contains(string(a.Payload), "too many requests") {
			busy++
		}
	}
	return lat, busy
}

// BenchmarkAckBurst: 1,000 slash commands arrive at once while PagerDuty
// takes 500 ms an answer; each op is one burst. It reports the acks'
// p50/p99 for the floor and for pdbot, and pdbot's "busy" answers.
func BenchmarkAckBurst(b *testing.B) {
	const burst = 1000
	// Each burst's notes go to twenty incidents: PagerDuty takes 2,000 an
	// incident, and a run of bursts on one would end in errors.
	const incidents = 20
	note := func(i int) string {
		return fmt.Sprintf("/pd note %s burst %d", benchIncidentID((i+incidents)%incidents), i)
	}
	floor := func(b *testing.B, opts ...socketmode.Option) {
		sf, err := slackfake.New(demoworld.SlackOptions())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(sf.Close)
		pd, err := pdfake.New(pdfake.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pd.Close)
		demoworld.Seed(sf, pd)
		benchIncidents(pd, incidents)
		floorSocket(b, sf, opts...)
		cold, _ := burstAcks(b, sf, []string{demoworld.IncChannelID}, burst, note)
		var all []time.Duration
		for b.Loop() {
			lat, _ := burstAcks(b, sf, []string{demoworld.IncChannelID}, burst, note)
			all = append(all, lat...)
			time.Sleep(burstSettle) // as pdbot's run does
			sf.ResetRecords()
		}
		reportAcks(b, cold, all)
	}
	// The bare client as slack-go makes it; in some bursts its receive
	// window closes and its acks wait ~200 ms for TCP's probe.
	b.Run("floor", func(b *testing.B) { floor(b) })
	// The bare client with pdbot's receive buffer: the floor without the stall.
	b.Run("floor-rcvbuf", func(b *testing.B) { floor(b, socketmode.OptionDialer(bot.SocketDialer())) })
	b.Run("pdbot", func(b *testing.B) {
		var done completions
		h := newHarness(b, asBenchmarked(), tuned(func(c *bot.Config) { c.Handled = done.handled }))
		channels := benchKeys(h, 20)
		benchIncidents(h.pd, incidents)
		h.pd.SetRateLimit(0, 0, true)
		for _, ch := range channels { // learn who Alice is under each key
			h.slash(alice, ch, note(-1))
		}
		h.pd.SetLatency(500 * time.Millisecond)
		busy := 0
		oneBurst := func() []time.Duration {
			start := done.n.Load()
			lat, bz := burstAcks(b, h.sf, channels, burst, note)
			busy += bz
			h.waitWithin(5*time.Minute, "the burst's work", func() bool { return done.n.Load()-start >= burst })
			time.Sleep(burstSettle)
			// The fakes forget what they recorded, so their heap (in this
			// process, as pdbot's is) does not grow from burst to burst.
			h.sf.ResetRecords()
			h.pd.ResetRequests()
			return lat
		}
		cold := oneBurst()
		var all []time.Duration
		for b.Loop() {
			all = append(all, oneBurst()...)
		}
		reportAcks(b, cold, all)
		b.ReportMetric(float64(busy), "busy")
		h.pd.SetLatency(0)
		h.sf.ResetRecords()
	})
}

// burstSettle follows each burst, on every side alike: a burst's audit rows
// and claims, queued when its work was done, are written before the next
// burst, which measures its own acks (cmd/pdbot's ackSettle). It is not a
// measurement.
const burstSettle = 300 * time.Millisecond

// reportAcks reports the acks' p50 and p99 over the measured bursts, and the
// p99 of the first, cold burst (the one that also opens pdbot's connections
// to PagerDuty and grows its heap), which is not among them: b.Loop, unlike
// a b.N loop, runs no warm-up round of its own.
func reportAcks(b *testing.B, cold, all []time.Duration) {
	b.ReportMetric(ms(pct(all, 50)), "ack-p50-ms")
	b.ReportMetric(ms(pct(all, 99)), "ack-p99-ms")
	b.ReportMetric(ms(pct(cold, 99)), "cold-p99-ms")
}

// BenchmarkNotes: notes end to end, 50 in flight, with PagerDuty answering
// at once or after 200 ms, on one key or spread over twenty; each op is one
// note. The floor is a bare go-pagerduty loop against the same fake.
func BenchmarkNotes(b *testing.B) {
	const inFlight = 50
	for _, lat := range []time.Duration{0, 200 * time.Millisecond} {
		for _, keys := range []int{1, 20} {
			name := fmt.Sprintf("pd=%v/keys=%d", lat, keys)
			b.Run("floor/"+name, func(b *testing.B) { floorNotes(b, lat, keys, inFlight) })
			b.Run("pdbot/"+name, func(b *testing.B) { pdbotNotes(b, lat, keys, inFlight) })
		}
	}
}

func floorNotes(b *testing.B, lat time.Duration, keys, inFlight int) {
	var pd *pdfake.Server
	var err error
	labelled("pdfake", func() { pd, err = pdfake.New(pdfake.Options{}) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pd.Close)
	demoworld.SeedWorld(mustSlack(b), pd, demoworld.New())
	pd.SetRateLimit(0, 0, true)
	var clients []*pagerduty.Client
	for i := range keys {
		key := fmt.Sprintf("u+floorKey%03d", i)
		pd.AddKey(key, pdfake.AccountKey)
		clients = append(clients, pagerduty.NewClient(key, pagerduty.WithAPIEndpoint(pd.URL())))
	}
	incs := benchIncidents(pd, 20)
	pd.SetLatency(lat)
	conns := pd.Connections()
	b.ReportAllocs()
	cpu0, t0 := cpuTime(), time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	n := int64(b.N)
	labelled("floor", func() {
		for range inFlight {
			wg.Go(func() {
				for i := next.Add(1); i <= n; i = next.Add(1) {
					note := pagerduty.IncidentNote{Content: fmt.Sprintf("floor %d", i)}
					note.User.Summary = demoworld.AliceEmail
					if _, err := clients[int(i)%keys].CreateIncidentNoteWithContext(context.Background(), incs[int(i)%len(incs)], note); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	})
	wg.Wait()
	report(b, t0, cpu0, pd.Connections()-conns)
	pd.SetLatency(0)
}

func pdbotNotes(b *testing.B, lat time.Duration, keys, inFlight int) {
	var done completions
	h := newHarness(b, asBenchmarked(), tuned(func(c *bot.Config) { c.Handled = done.handled }))
	channels := []string{incCh}
	if keys > 1 {
		channels = benchKeys(h, keys)
	}
	h.pd.SetRateLimit(0, 0, true)
	for _, ch := range channels {
		h.slash(alice, ch, "/pd note "+demoworld.Incident42ID+" warm-up")
	}
	incs := benchIncidents(h.pd, 20)
	h.pd.SetLatency(lat)
	conns := h.pd.Connections()
	b.ReportAllocs()
	cpu0, t0 := cpuTime(), time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	n := int64(b.N)
	for range inFlight {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				d, err := h.sf.Slash(alice, channels[int(i)%len(channels)], fmt.Sprintf("/pd note %s bench %d", incs[int(i)%len(incs)], i))
				if err != nil {
					b.Error(err)
					return
				}
				done.wait(b, d.EnvelopeID)
			}
		})
	}
	wg.Wait()
	report(b, t0, cpu0, h.pd.Connections()-conns)
	landed := 0
	for _, id := range incs {
		inc, _ := h.pd.Incident(id)
		landed += len(inc.Notes)
	}
	if landed != b.N {
		b.Fatalf("%d of %d notes reached PagerDuty", landed, b.N)
	}
	h.pd.SetLatency(0)
	h.sf.ResetRecords()
	h.pd.ResetRequests()
}

func report(b *testing.B, t0 time.Time, cpu0 time.Duration, conns int) {
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "notes/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/note")
	b.ReportMetric(float64(conns), "conns")
}

func mustSlack(b *testing.B) *slackfake.Fake {
	sf, err := slackfake.New(demoworld.SlackOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sf.Close)
	return sf
}

// BenchmarkCallsPerAction reports, for each action taken warm (the channel
// and the requester already seen), how many Slack Web API calls and
// PagerDuty requests it costs. Each op is one action.
func BenchmarkCallsPerAction(b *testing.B) {
	for _, tc := range []struct{ name, line string }{
		{"get", "/pd get"},
		{"note", "/pd note checking"},
		{"get_by_number", "/pd get #42"},
		{"whoami", "/pd whoami"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := newHarness(b)
			h.slash(bob, incCh, "/pd whoami")
			h.slash(bob, incCh, "/pd get")
			h.sf.ResetRecords()
			h.pd.ResetRequests()
			for b.Loop() {
				h.slash(bob, incCh, tc.line)
			}
			b.ReportMetric(float64(len(h.sf.Calls("")))/float64(b.N), "slack-calls/op")
			b.ReportMetric(float64(len(h.pd.Requests()))/float64(b.N), "pd-calls/op")
		})
	}
}

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }
