package bot_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
)

// BenchmarkLivePolling measures the live engine at the real interval (1 s)
// on a key with one subscription and one live card: the PagerDuty
// requests the key costs a minute in steady state with no change (over
// 20 s, extrapolated) and while the incident changes every second (50
// changes), and the delay from each change in PagerDuty to the card's
// chat.update (p50, p99). It runs for about 75 s; -benchtime=1x.
func BenchmarkLivePolling(b *testing.B) {
	const (
		interval = time.Second
		idleFor  = 20 * time.Second
		changes  = 50
	)
	for b.Loop() {
		h := newHarness(b)
		h.subscribe(opsCh, demoworld.ServiceDBID, "")
		h.startReplicaWith(func(c *bot.Config) { c.PollInterval = interval })
		inc, err := h.pd.TriggerIncident(demoworld.ServiceDBID, "Orders DB down", "high", pdfake.Actor{})
		if err != nil {
			b.Fatal(err)
		}
		card := h.cardFor(opsCh, inc.ID)

		perMinute := func(n int, d time.Duration) float64 { return float64(n) * float64(time.Minute) / float64(d) }
		n0, t0 := len(h.pd.Requests()), time.Now()
		time.Sleep(idleFor)
		idle := perMinute(len(h.pd.Requests())-n0, time.Since(t0))

		var delays []time.Duration
		n0, t0 = len(h.pd.Requests()), time.Now()
		for i := range changes {
			versions := len(h.sf.History(opsCh, card.TS))
			at := time.Now()
			if _, err := h.pd.AddNoteAs(inc.ID, pdfake.FromWeb(demoworld.PDAliceID), fmt.Sprintf("step %d", i)); err != nil {
				b.Fatal(err)
			}
			h.waitWithin(time.Minute, "the card's update", func() bool { return len(h.sf.History(opsCh, card.TS)) > versions })
			delays = append(delays, time.Since(at))
			time.Sleep(time.Until(at.Add(interval)))
		}
		changing := perMinute(len(h.pd.Requests())-n0, time.Since(t0))
		// Each line follows its update: every change, once.
		h.waitFor("every thread line", func() bool { return len(h.sf.Thread(opsCh, card.TS)) >= changes })
		if th := h.sf.Thread(opsCh, card.TS); len(th) != changes {
			b.Errorf("%d thread lines for %d changes", len(th), changes)
		}

		slices.Sort(delays)
		b.ReportMetric(idle, "pd-req/key/min-idle")
		b.ReportMetric(changing, "pd-req/key/min-changing")
		b.ReportMetric(delays[len(delays)/2].Seconds()*1000, "update-p50-ms")
		b.ReportMetric(delays[len(delays)*99/100].Seconds()*1000, "update-p99-ms")
	}
}
