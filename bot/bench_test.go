package bot_test

import (
	"fmt"
	"sort"
	"testing"
	"time"
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

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}
