package pdapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

// BenchmarkPacingTwoMinutes runs TestPacingSustainsPagerDutysRate's
// scenario on the wall clock, over a socket, against pdfake's sliding
// window: a burst of 200 notes, then 20 notes a second (more than the key
// takes) for two minutes. It reports the notes a second sustained in the
// second minute, the share of PagerDuty's 960 that is, the 429s met and how
// long the burst took. Each iteration takes two minutes: run it alone, once:
//
//	go test ./internal/pdapi -run '^$' -bench PacingTwoMinutes -benchtime 1x
func BenchmarkPacingTwoMinutes(b *testing.B) {
	for b.Loop() {
		s, err := pdfake.New(pdfake.Options{})
		if err != nil {
			b.Fatal(err)
		}
		seed(s)
		m := &memTransport{next: pdapi.NewTransport(pdapi.TransportOptions{})}
		pd := pacedClient(s, m, pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst)).InLane("C1")
		l := newLoad(b)
		for range 200 {
			l.note(pd, "C1")
		}
		l.wg.Wait()
		burst := time.Since(l.start)
		if l.ok["C1"] != 200 {
			b.Errorf("burst: %d of 200 added", l.ok["C1"])
		}
		l.steady(pd, "C1", 20, 2*pdWindow)
		l.wg.Wait()
		s.Close()

		second := m.count(http.StatusOK, l.start, pdWindow, 2*pdWindow)
		b.ReportMetric(float64(second)/pdWindow.Seconds(), "notes/s")
		b.ReportMetric(100*float64(second)/pdLimit, "%of960")
		b.ReportMetric(float64(m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow)), "429s")
		b.ReportMetric(float64(burst.Milliseconds()), "burst-ms")
		b.ReportMetric(float64(m.busiestWindow(pdWindow)), "busiest-60s")
	}
}
