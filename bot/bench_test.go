package bot_test

import (
	"fmt"
	"runtime/metrics"
	"sort"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
)

// BenchmarkSlashNote measures a /pd note end to end through slack-go's
// Socket Mode client and go-pagerduty against the fakes: envelope sent →
// ack, and envelope sent → confirmation visible in the channel. It runs
// with PagerDuty answering at once and answering after 200 ms, so the ack
// latency can be compared: acks must not wait for PagerDuty.
func BenchmarkSlashNote(b *testing.B) {
	for _, pdLatency := range []time.Duration{0, 200 * time.Millisecond} {
		b.Run(fmt.Sprintf("pd_latency=%v", pdLatency), func(b *testing.B) {
			h := newHarness(b)
			h.pd.SetLatency(pdLatency)
			// Warm the requester mapping so every iteration does the same work.
			h.slash(alice, incCh, "/pd note warm-up")
			acks := make([]time.Duration, 0, b.N)
			e2e := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				before := len(h.sf.Messages(incCh))
				start := time.Now()
				d, err := h.sf.Slash(alice, incCh, fmt.Sprintf("/pd note bench %d", i))
				if err != nil {
					b.Fatal(err)
				}
				a := h.ack(d)
				acks = append(acks, a.Latency)
				h.waitWithin(30*time.Second, "the confirmation", func() bool { return len(h.sf.Messages(incCh)) > before })
				e2e = append(e2e, time.Since(start))
			}
			b.StopTimer()
			b.ReportMetric(pct(acks, 50).Seconds()*1e3, "ack-p50-ms")
			b.ReportMetric(pct(acks, 99).Seconds()*1e3, "ack-p99-ms")
			b.ReportMetric(pct(e2e, 50).Seconds()*1e3, "e2e-p50-ms")
			h.sf.ResetRecords()
			h.pd.ResetRequests()
		})
	}
}

// BenchmarkConcurrentNotes measures throughput with many responders acting
// at once (notes from several users in parallel).
func BenchmarkConcurrentNotes(b *testing.B) {
	h := newHarness(b)
	users := []string{demoworld.AliceID, demoworld.BobID, demoworld.CarolID}
	for _, u := range users {
		h.slash(u, incCh, "/pd note warm-up")
	}
	start := len(h.sf.Messages(incCh))
	b.ResetTimer()
	t0, cpu0 := time.Now(), busyCPU()
	for i := 0; i < b.N; i++ {
		if _, err := h.sf.Slash(users[i%len(users)], incCh, fmt.Sprintf("/pd note concurrent %d", i)); err != nil {
			b.Fatal(err)
		}
	}
	h.waitWithin(5*time.Minute, "every confirmation", func() bool { return len(h.sf.Messages(incCh)) >= start+b.N })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "notes/s")
	// The fakes run in the process too: this is all the CPU a note costs.
	b.ReportMetric((busyCPU()-cpu0)*1e6/float64(b.N), "cpu-µs/note")
	h.sf.ResetRecords()
	h.pd.ResetRequests()
}

// busyCPU is the CPU time the process has used, in seconds, as the Go
// runtime estimates it (all CPU classes but idle).
func busyCPU() float64 {
	m := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(m)
	return m[0].Value.Float64() - m[1].Value.Float64()
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}
