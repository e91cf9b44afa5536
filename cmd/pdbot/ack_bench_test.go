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
// key each, PagerDuty answering after 500 ms; each op is one burst. The
// fakes and the driver stay in the benchmark process; the floor is
// socketfloor (a bare slack-go client that acks every envelope at once),
// as slack-go makes it and with pdbot's socket receive buffer
// (floor-rcvbuf), pdbot is the release binary running `pdbot serve`, and
// barebot (TestHelperBareBot: acks each envelope from a goroutine of its
// own, then does its work there at once) shows what a bot that does the
// work, but does not hold it for a burst, makes of the acks.
// A client's collector then scans its own heap only, as in production, not
// the fakes' records too.
//
// It reports the acks' p50 and p99 over the measured bursts and the p99 of
// a first, cold burst that is not among them, and for pdbot how many
// commands were answered "busy". pdbot's next burst starts once every
// command of the last one has its answer on the response_url, and
// ackSettle later.
func BenchmarkAckBurstProcess(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("socketfloor's receive buffer and pdbot's are Linux socket options")
	}
	floor := buildReleaseOf(b, "./testdata/socketfloor", "socketfloor")
	bin := buildRelease(b)
	b.Run("floor", func(b *testing.B) { ackBurstProcess(b, floor, nil, false) })
	b.Run("floor-rcvbuf", func(b *testing.B) {
		ackBurstProcess(b, floor, []string{"SOCKETFLOOR_RCVBUF=" + fmt.Sprint(4<<20)}, false)
	})
	b.Run("barebot", func(b *testing.B) { ackBurstProcess(b, "", nil, true) })
	b.Run("pdbot", func(b *testing.B) { ackBurstProcess(b, bin, nil, true) })
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

// ackBurstProcess runs bin (socketfloor, or `pdbot serve` when isBot;
// barebot when bin is "") with env against fresh fakes and measures its
// bursts. A bot (isBot) answers every command; the floor only acks.
func ackBurstProcess(b *testing.B, bin string, env []string, isBot bool) {
	sf, pd, incs := notesWorld(b)
	dir := b.TempDir()
	dbPath := filepath.Join(dir, "pdbot.db")
	channels := ackBurstChannels(b, sf, pd, dbPath)
	env = append(env,
		"SLACK_APP_TOKEN="+canaryApp, "SLACK_BOT_TOKEN="+canaryBot,
		"SLACK_API_URL="+sf.URL(), "PAGERDUTY_API_URL="+pd.URL(),
		"PDBOT_STORE=bolt:"+dbPath, "PDBOT_MASTER_KEY="+canaryMaster)
	var p *clientProcess
	if bin == "" {
		p = startBareBot(b, sf, pd)
	} else {
		p = startServe(b, bin, dir, env) // socketfloor ignores the "serve" it is given
	}
	ctx, cancel := context.WithTimeout(context.Background(), notesSafetyNet)
	defer cancel()
	text := func(i int) string { return fmt.Sprintf("/pd note %s burst %d", incs[(i+len(incs))%len(incs)], i) }
	if isBot {
		for _, ch := range channels { // a bot learns who Alice is under each key
			d, err := sf.Slash(demoworld.AliceID, ch, text(-1))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.WaitResponse(ctx); err != nil {
				b.Fatalf("warm-up: %v\n%s", err, p.log())
			}
		}
	}
	pd.SetLatency(ackLatency)
	busy := 0
	burst := func() []time.Duration {
		ds := make([]*slackfake.Delivery, 0, ackBurst)
		for i := range ackBurst {
			d, err := sf.Slash(demoworld.AliceID, channels[i%len(channels)], text(i))
			if err != nil {
				b.Fatal(err)
			}
			ds = append(ds, d)
		}
		lat := make([]time.Duration, 0, ackBurst)
		for _, d := range ds {
			a, err := d.WaitAck(ctx)
			if err != nil {
				b.Fatalf("%v\n%s", err, p.log())
			}
			lat = append(lat, a.Latency)
			if strings.Contains(string(a.Payload), "too many requests") {
				busy++
			}
		}
		if isBot {
			for _, d := range ds {
				r, err := d.WaitResponse(ctx)
				if err != nil {
					b.Fatalf("%v\n%s", err, p.log())
				}
				if strings.Contains(r.Text, "too many requests") {
					busy++
				}
			}
		}
		// The burst's last writes (pdbot's audit rows and claims, in
		// batches) land before the next burst, which measures its own acks.
		time.Sleep(ackSettle)
		sf.ResetRecords() // the fake forgets the burst, so its heap does not grow
		pd.ResetRequests()
		return lat
	}
	cold := burst()
	var all []time.Duration
	for b.Loop() {
		all = append(all, burst()...)
	}
	b.ReportMetric(msOf(pctOf(all, 50)), "ack-p50-ms")
	b.ReportMetric(msOf(pctOf(all, 99)), "ack-p99-ms")
	b.ReportMetric(msOf(pctOf(cold, 99)), "cold-p99-ms")
	if isBot {
		b.ReportMetric(float64(busy), "busy")
	}
	pd.SetLatency(0)
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
