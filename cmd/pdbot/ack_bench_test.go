package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// BenchmarkAckBurstProcess is bot's BenchmarkAckBurst with each client in a
// process of its own, as BenchmarkNotesProcess is BenchmarkNotes: 1,000
// `/pd note` commands sent at once, over twenty channels with a PagerDuty
// key each, PagerDuty answering after 500 ms. The fakes and the driver
// stay in the benchmark process; the floor is socketfloor (a bare slack-go
// client that acks every envelope at once), as slack-go makes it and with
// pdbot's socket receive buffer (floor-rcvbuf), pdbot is the release binary
// running `pdbot serve`, and barebot (TestHelperBareBot: acks each envelope
// from a goroutine of its own, then does its work there at once) shows what
// a bot that does the work, but does not hold it for a burst, makes of the
// acks. A client's collector then scans its own heap only, as in
// production, not the fakes' records too.
//
// The clients run side by side, each against fakes of its own, and take
// turns: each op is a round of one burst for each, in an order that
// rotates from round to round. A run measures every client through the
// same minutes of a shared machine, whose speed drifts by a third within
// the hour; one client after another, a run compared one minute with
// another as much as pdbot with the floor.
//
// It reports, for each client, the acks' p50 and p99 over the measured
// bursts, the p99 of a first, cold burst that is not among them, the
// median and the p90 of the bursts' own p99s (a typical burst, and the
// worst tenth: the pooled p99 is set by a few bursts with a hiccup, on
// every side), its peak resident memory, and its anonymous and
// file-backed resident memory after the last burst; for the bots, how
// many commands were answered "busy"; and pdbot's pooled p99 over each
// floor's. A bot's next burst starts once every command of the last one
// has its answer on the response_url, and ackSettle later.
func BenchmarkAckBurstProcess(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("socketfloor's receive buffer and pdbot's are Linux socket options")
	}
	floor := buildReleaseOf(b, "./testdata/socketfloor", "socketfloor")
	bin := buildRelease(b)
	clients := []*ackClient{
		startAckClient(b, "floor", floor, nil, false),
		startAckClient(b, "floor-rcvbuf", floor, []string{"SOCKETFLOOR_RCVBUF=" + fmt.Sprint(4<<20)}, false),
		startAckClient(b, "barebot", "", nil, true),
		startAckClient(b, "pdbot", bin, nil, true),
	}
	for _, c := range clients {
		c.cold = c.burst(b)
	}
	round := 0
	for b.Loop() {
		for i := range clients {
			c := clients[(i+round)%len(clients)]
			lat := c.burst(b)
			c.all = append(c.all, lat...)
			c.burstP99 = append(c.burstP99, pctOf(lat, 99))
		}
		round++
	}
	p99 := map[string]float64{}
	for _, c := range clients {
		p99[c.name] = msOf(pctOf(c.all, 99))
		b.ReportMetric(msOf(pctOf(c.all, 50)), c.name+"-p50-ms")
		b.ReportMetric(p99[c.name], c.name+"-p99-ms")
		b.ReportMetric(msOf(pctOf(c.cold, 99)), c.name+"-cold-p99-ms")
		b.ReportMetric(msOf(pctOf(c.burstP99, 50)), c.name+"-burst-p99-median-ms")
		b.ReportMetric(msOf(pctOf(c.burstP99, 90)), c.name+"-burst-p99-p90-ms")
		if c.isBot {
			b.ReportMetric(float64(c.busy), c.name+"-busy")
		}
		r := readResidency(b, c.p.cmd.Process.Pid)
		b.ReportMetric(r.peak, c.name+"-peak-rss-MiB")
		b.ReportMetric(r.anon, c.name+"-end-anon-MiB") // what it holds after the last burst
		b.ReportMetric(r.file, c.name+"-end-file-MiB") // pdbot's: its binary and the bolt file's pages
	}
	b.ReportMetric(p99["pdbot"]/p99["floor"], "pdbot/floor-p99")
	b.ReportMetric(p99["pdbot"]/p99["floor-rcvbuf"], "pdbot/floor-rcvbuf-p99")
}

const (
	ackBurst    = 1000
	ackChannels = 20
	ackLatency  = 500 * time.Millisecond
	// ackSettle follows each burst, on every side alike: pdbot writes a
	// burst's audit rows and claims after its answers (bot and store:
	// batches, 5 ms apart), and a burst sent the moment the last answer
	// came measured those writes as much as its own acks. Not a
	// measurement; it is outside the acks'.
	ackSettle = 300 * time.Millisecond
)

// ackClient is one client of BenchmarkAckBurstProcess, with its fakes and
// what its bursts measured.
type ackClient struct {
	name      string
	isBot     bool // it answers every command; the floor only acks
	sf        *slackfake.Fake
	pd        *pdfake.Server
	p         *clientProcess
	channels  []string
	incidents []string
	cold, all []time.Duration
	burstP99  []time.Duration // each measured burst's own p99
	busy      int
}

// startAckClient runs bin (socketfloor, or `pdbot serve` when isBot;
// barebot when bin is "") with env against fresh fakes, and for a bot
// warms it up: it learns who Alice is under each key.
func startAckClient(b *testing.B, name, bin string, env []string, isBot bool) *ackClient {
	b.Helper()
	sf, pd, incs := notesWorld(b)
	dir := b.TempDir()
	dbPath := filepath.Join(dir, "pdbot.db")
	c := &ackClient{name: name, isBot: isBot, sf: sf, pd: pd, incidents: incs}
	c.channels = ackBurstChannels(b, sf, pd, dbPath)
	env = append(env,
		"SLACK_APP_TOKEN="+canaryApp, "SLACK_BOT_TOKEN="+canaryBot,
		"SLACK_API_URL="+sf.URL(), "PAGERDUTY_API_URL="+pd.URL(),
		"PDBOT_STORE=bolt:"+dbPath, "PDBOT_MASTER_KEY="+canaryMaster)
	if bin == "" {
		c.p = startBareBot(b, sf, pd)
	} else {
		c.p = startServe(b, bin, dir, env) // socketfloor ignores the "serve" it is given
	}
	if isBot {
		ctx, cancel := context.WithTimeout(context.Background(), notesSafetyNet)
		defer cancel()
		for _, ch := range c.channels {
			d, err := sf.Slash(demoworld.AliceID, ch, c.text(-1))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.WaitResponse(ctx); err != nil {
				b.Fatalf("%s warm-up: %v\n%s", name, err, c.p.log())
			}
		}
	}
	pd.SetLatency(ackLatency)
	return c
}

func (c *ackClient) text(i int) string {
	return fmt.Sprintf("/pd note %s burst %d", c.incidents[(i+len(c.incidents))%len(c.incidents)], i)
}

// burst sends ackBurst commands at once and returns their acks' latencies,
// once a bot has answered them all and ackSettle has passed.
func (c *ackClient) burst(b *testing.B) []time.Duration {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), notesSafetyNet)
	defer cancel()
	ds := make([]*slackfake.Delivery, 0, ackBurst)
	for i := range ackBurst {
		d, err := c.sf.Slash(demoworld.AliceID, c.channels[i%len(c.channels)], c.text(i))
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
	}
	lat := make([]time.Duration, 0, ackBurst)
	for _, d := range ds {
		a, err := d.WaitAck(ctx)
		if err != nil {
			b.Fatalf("%s: %v\n%s", c.name, err, c.p.log())
		}
		lat = append(lat, a.Latency)
		if strings.Contains(string(a.Payload), "too many requests") {
			c.busy++
		}
	}
	if c.isBot {
		for _, d := range ds {
			r, err := d.WaitResponse(ctx)
			if err != nil {
				b.Fatalf("%s: %v\n%s", c.name, err, c.p.log())
			}
			if strings.Contains(r.Text, "too many requests") {
				c.busy++
			}
		}
	}
	// The burst's last writes (pdbot's audit rows and claims, in
	// batches) land before the next burst, which measures its own acks.
	time.Sleep(ackSettle)
	c.sf.ResetRecords() // the fake forgets the burst, so its heap does not grow
	c.pd.ResetRequests()
	return lat
}

// ackBurstChannels adds ackChannels channels to sf, each with a PagerDuty
// key of its own in pd and in the bolt store at dbPath (before pdbot opens
// it), and returns their IDs.
func ackBurstChannels(b *testing.B, sf *slackfake.Fake, pd *pdfake.Server, dbPath string) []string {
	b.Helper()
	keys := map[string]string{}
	var channels []string
	for i := range ackChannels {
		ch, key := fmt.Sprintf("C0BENCH%03d", i), fmt.Sprintf("u+benchKey%03dCANARY", i)
		sf.AddChannel(slackfake.Channel{ID: ch, Name: fmt.Sprintf("bench-%d", i)})
		pd.AddKey(key, pdfake.AccountKey)
		keys[ch] = key
		channels = append(channels, ch)
	}
	setChannelKeys(b, dbPath, keys)
	return channels
}

func pctOf(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func msOf(d time.Duration) float64 { return d.Seconds() * 1e3 }
