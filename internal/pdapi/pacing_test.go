package pdapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

// The pacing tests run in a synctest bubble: its fake clock drives the
// pacer's timers, the retry transport's sleeps, every deadline and pdfake's
// sliding window at once, and moves only when every goroutine waits, so two
// minutes of traffic take no time and come out the same on a loaded
// machine. pdfake is started outside the bubble (its listener would keep
// the clock from moving) and served through memTransport, which runs its
// handler in the caller's goroutine: the real go-pagerduty client and
// pdapi.Client, and pdfake's real handler, with no socket between them.

// PagerDuty's limit, as pdfake enforces it by default.
const (
	pdLimit  = pdfake.DefaultRateLimit
	pdWindow = pdfake.DefaultRateWindow
)

// exchange is one request that reached pdfake.
type exchange struct {
	at     time.Time
	status int
}

// memTransport hands each request to a handler in the caller's goroutine
// (or, with next set, to a real transport) and records when it was answered
// (on the bubble's clock) and its status. With hold set, requests wait at
// the door until it is closed.
type memTransport struct {
	h    http.Handler
	next http.RoundTripper
	hold chan struct{}

	mu      sync.Mutex
	waiting int
	log     []exchange
}

func (m *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if m.hold != nil {
		m.mu.Lock()
		m.waiting++
		m.mu.Unlock()
		select {
		case <-m.hold:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	if m.next != nil {
		resp, err := m.next.RoundTrip(req)
		if err == nil {
			m.record(resp.StatusCode)
		}
		return resp, err
	}
	sr := req.Clone(req.Context())
	sr.RequestURI = req.URL.RequestURI()
	sr.Host = req.URL.Host
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, sr)
	resp := rec.Result()
	resp.Request = req
	// On the wire, header names arrive canonicalised (pdfake writes
	// PagerDuty's lower-case ones straight into the map).
	h := http.Header{}
	for k, v := range resp.Header {
		h[http.CanonicalHeaderKey(k)] = append(h[http.CanonicalHeaderKey(k)], v...)
	}
	resp.Header = h
	m.record(resp.StatusCode)
	return resp, nil
}

func (m *memTransport) record(status int) {
	m.mu.Lock()
	m.log = append(m.log, exchange{at: time.Now(), status: status})
	m.mu.Unlock()
}

// count returns how many requests were answered with status (0: any) in
// [from, to) after start.
func (m *memTransport) count(status int, start time.Time, from, to time.Duration) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.log {
		if d := e.at.Sub(start); d >= from && d < to && (status == 0 || e.status == status) {
			n++
		}
	}
	return n
}

// busiestWindow returns the most 2xx answers in any window of length w.
func (m *memTransport) busiestWindow(w time.Duration) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ok []time.Time
	for _, e := range m.log {
		if e.status/100 == 2 {
			ok = append(ok, e.at)
		}
	}
	best, j := 0, 0
	for i := range ok {
		for ok[i].Sub(ok[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// pacedClient is a client of fakeKey through m, paced by pacers.
func pacedClient(s *pdfake.Server, m *memTransport, pacers *pdapi.Pacers) *pdapi.Client {
	return pdapi.New(s.URL(), fakeKey, pdapi.Options{Transport: m, Pacers: pacers}).As(aliceMail)
}

// load sends notes and tallies what came of them, per lane.
type load struct {
	t     testing.TB
	start time.Time
	wg    sync.WaitGroup

	mu      sync.Mutex
	ok      map[string]int // notes added, by lane
	okAfter map[string]int // the same, from the start of the second minute
	refused int            // held back by the pacer; nothing sent
	limited int            // PagerDuty's 429, after the retries
	seq     int
}

func newLoad(t testing.TB) *load {
	return &load{t: t, start: time.Now(), ok: map[string]int{}, okAfter: map[string]int{}}
}

// note adds one note through pd, in a goroutine of its own.
func (l *load) note(pd *pdapi.Client, lane string) {
	l.mu.Lock()
	l.seq++
	n := l.seq
	l.mu.Unlock()
	l.wg.Go(func() {
		inc := []string{incA, incB}[n%2]
		_, err := pd.AddNote(context.Background(), inc, fmt.Sprintf("note %d", n))
		l.mu.Lock()
		defer l.mu.Unlock()
		var ae pagerduty.APIError
		switch {
		case err == nil:
			l.ok[lane]++
			if time.Since(l.start) >= pdWindow {
				l.okAfter[lane]++
			}
		case errors.As(err, &ae) && ae.RateLimited():
			if _, ok := pd.RetryAt(); !ok {
				l.t.Errorf("a 429 left RetryAt unset: %v", err)
			}
			l.limited++
		case errors.As(err, &ae):
			l.t.Errorf("note %d: %v", n, err)
		default:
			// Not PagerDuty's answer: the pacer held it back, and said when
			// to try again. (go-pagerduty flattens the error into text.)
			if _, ok := pd.RetryAt(); !ok {
				l.t.Errorf("note %d: %v, and RetryAt unset", n, err)
			}
			l.refused++
		}
	})
}

// steady offers perSecond notes a second through pd from now until the
// end of the run, spaced evenly.
func (l *load) steady(pd *pdapi.Client, lane string, perSecond int, until time.Duration) {
	l.wg.Go(func() {
		gap := time.Second / time.Duration(perSecond)
		for next := time.Since(l.start); next < until; next += gap {
			time.Sleep(time.Until(l.start.Add(next)))
			l.note(pd, lane)
		}
	})
}

// TestPacingSustainsPagerDutysRate: a burst of 200 at the start goes
// through at once, and then, offered more than the key can take for two
// minutes, the pacer follows PagerDuty's headers to at least 95% of 960 in
// the second minute, with no 429 and never more than 960 in any 60 s.
func TestPacingSustainsPagerDutysRate(t *testing.T) {
	s := newSeeded(t)
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{h: s}
		pd := pacedClient(s, m, pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst)).InLane("C1")
		l := newLoad(t)
		for range 200 {
			l.note(pd, "C1")
		}
		l.wg.Wait()
		if waited, ok := time.Since(l.start), l.ok["C1"]; waited != 0 || ok != 200 {
			t.Fatalf("burst of 200: %d added after %v, want all at once", ok, waited)
		}
		l.steady(pd, "C1", 20, 2*pdWindow)
		l.wg.Wait()

		second := m.count(http.StatusOK, l.start, pdWindow, 2*pdWindow)
		t.Logf("first minute %d notes, second minute %d (%.1f/s, %.1f%% of %d); 429s %d; held back %d",
			l.ok["C1"]-l.okAfter["C1"], second, float64(second)/pdWindow.Seconds(), 100*float64(second)/pdLimit, pdLimit,
			m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow), l.refused)
		if second < pdLimit*95/100 {
			t.Errorf("second minute: %d notes, want at least 95%% of %d", second, pdLimit)
		}
		if n := m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow); n != 0 || l.limited != 0 {
			t.Errorf("%d 429s from PagerDuty (%d calls failed on them), want none", n, l.limited)
		}
		if n := m.busiestWindow(pdWindow); n > pdLimit {
			t.Errorf("%d requests in one window, PagerDuty allows %d", n, pdLimit)
		}
	})
}

// TestPacingSharesAKeyBetweenLanes: two channels on one saturated key, one
// offering three times what the other does and both more than half the
// key, each get about half of it once the key's budget is scarce, instead
// of the busy one crowding the other out.
func TestPacingSharesAKeyBetweenLanes(t *testing.T) {
	for _, fromNew := range []bool{false, true} {
		t.Run(map[bool]string{false: "InLane", true: "Options.Lane"}[fromNew], func(t *testing.T) { testPacingLanes(t, fromNew) })
	}
}

// testPacingLanes puts the two clients in their lanes with InLane, or
// (fromNew) with Options.Lane, as bot does.
func testPacingLanes(t *testing.T, fromNew bool) {
	s := newSeeded(t)
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{h: s}
		pacers := pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst)
		busy := pacedClient(s, m, pacers).InLane("CBUSY")
		quiet := pacedClient(s, m, pacers).InLane("CQUIET")
		if fromNew {
			busy = pdapi.New(s.URL(), fakeKey, pdapi.Options{Transport: m, Pacers: pacers, Lane: "CBUSY"}).As(aliceMail)
			quiet = pdapi.New(s.URL(), fakeKey, pdapi.Options{Transport: m, Pacers: pacers, Lane: "CQUIET"}).As(aliceMail)
		}
		l := newLoad(t)
		l.steady(busy, "CBUSY", 60, 2*pdWindow)
		l.steady(quiet, "CQUIET", 20, 2*pdWindow)
		l.wg.Wait()

		b, q := l.okAfter["CBUSY"], l.okAfter["CQUIET"]
		share := float64(q) / float64(b+q)
		t.Logf("second minute: busy lane %d, quiet lane %d (%.1f%%); whole run %d/%d; 429s %d",
			b, q, 100*share, l.ok["CBUSY"], l.ok["CQUIET"], l.limited)
		if share < 0.4 || share > 0.6 {
			t.Errorf("quiet lane got %.1f%% of the second minute (%d of %d), want 40–60%%", 100*share, q, b+q)
		}
		if b+q < pdLimit*95/100 {
			t.Errorf("second minute: %d notes in all, want at least 95%% of %d", b+q, pdLimit)
		}
		if n := m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow); n != 0 {
			t.Errorf("%d 429s, want none", n)
		}
	})
}

// TestPacingColdStartStaysUnderTheLimit: before any header (here: never,
// pdfake sends none) the conservative bucket alone keeps a flood under
// PagerDuty's limit; and a burst of 1000 at the very start, most of it sent
// before the first answer comes back, meets no 429 either.
func TestPacingColdStartStaysUnderTheLimit(t *testing.T) {
	t.Run("no headers", func(t *testing.T) {
		s := newSeeded(t)
		s.SetRateLimit(pdLimit, pdWindow, false)
		synctest.Test(t, func(t *testing.T) {
			m := &memTransport{h: s}
			pd := pacedClient(s, m, pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst))
			l := newLoad(t)
			for range 300 {
				l.note(pd, "")
			}
			l.steady(pd, "", 40, 2*pdWindow)
			l.wg.Wait()
			busiest := m.busiestWindow(pdWindow)
			t.Logf("busiest 60 s: %d; 429s %d; held back %d", busiest, m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow), l.refused)
			if n := m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow); n != 0 {
				t.Errorf("%d 429s, want none", n)
			}
			if busiest > pdLimit || busiest < pdLimit*9/10 {
				t.Errorf("busiest 60 s held %d requests, want at most %d (and near it)", busiest, pdLimit)
			}
		})
	})
	t.Run("burst before the first answer", func(t *testing.T) {
		s := newSeeded(t)
		synctest.Test(t, func(t *testing.T) {
			m := &memTransport{h: s}
			pd := pacedClient(s, m, pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst))
			l := newLoad(t)
			for range 1000 {
				l.note(pd, "")
			}
			l.wg.Wait()
			t.Logf("burst of 1000: %d added, %d held back, 429s %d", l.ok[""], l.refused, m.count(http.StatusTooManyRequests, l.start, 0, pdWindow))
			if n := m.count(http.StatusTooManyRequests, l.start, 0, pdWindow); n != 0 {
				t.Errorf("%d 429s, want none", n)
			}
			if l.ok[""] < pdapi.PerKeyBurst {
				t.Errorf("only %d of the burst went, want at least the cold bucket's %d", l.ok[""], pdapi.PerKeyBurst)
			}
		})
	})
}

// TestPacingCountsRequestsInFlight: requests already sent whose answers
// (and headers) have not come back count against what PagerDuty said
// remains, so a key with 4 left sends 4 more, not 4 each.
func TestPacingCountsRequestsInFlight(t *testing.T) {
	s := newSeeded(t)
	s.SetRateLimit(5, pdWindow, true)
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{h: s}
		pd := pacedClient(s, m, pdapi.NewPacers(1, 20))
		if _, err := pd.GetIncident(t.Context(), incA); err != nil {
			t.Fatal(err) // PagerDuty now says: 4 remain, for 60 s
		}
		m.hold = make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Go(func() {
				var out struct{ Incident pagerduty.Incident }
				errs <- pd.Do(t.Context(), pdapi.Call{Method: http.MethodGet, Path: []string{"incidents", incA}}, &out)
			})
		}
		synctest.Wait()
		m.mu.Lock()
		held := m.waiting
		m.mu.Unlock()
		if held != 4 {
			t.Errorf("%d requests sent while 4 remained and none had been answered, want 4", held)
		}
		close(m.hold)
		wg.Wait()
		close(errs)
		ok, paced := 0, 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, pdapi.ErrPaced):
				paced++
			default:
				t.Errorf("Do: %v", err)
			}
		}
		if ok != 4 || paced != 6 {
			t.Errorf("%d answered, %d held back by the pacer; want 4 and 6", ok, paced)
		}
		if n := m.count(http.StatusTooManyRequests, time.Time{}, 0, 1<<62); n != 0 {
			t.Errorf("%d 429s, want none", n)
		}
	})
}

// TestPacingWaitIsCapped: when PagerDuty's budget comes back only after
// longer than the pacer waits (maxRateLimitWait), a request is refused at
// once, nothing is sent, and RetryAt says when PagerDuty said it resets;
// one that fits within the cap waits for it and goes.
func TestPacingWaitIsCapped(t *testing.T) {
	s := newSeeded(t)
	s.SetRateLimit(1, pdWindow, true)
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{h: s}
		pd := pacedClient(s, m, pdapi.NewPacers(1, 20))
		start := time.Now()
		if _, err := pd.GetIncident(t.Context(), incA); err != nil {
			t.Fatal(err)
		}
		var out struct{ Incident pagerduty.Incident }
		get := pdapi.Call{Method: http.MethodGet, Path: []string{"incidents", incA}}
		err := pd.Do(t.Context(), get, &out)
		if !errors.Is(err, pdapi.ErrPaced) {
			t.Fatalf("Do on a spent key: %v, want ErrPaced", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("refused after %v, want at once", waited)
		}
		if at, ok := pd.RetryAt(); !ok || !at.Equal(start.Add(pdWindow)) {
			t.Errorf("RetryAt = %v, %v; want PagerDuty's reset, %v", at, ok, start.Add(pdWindow))
		}
		if n := len(m.log); n != 1 {
			t.Errorf("PagerDuty got %d requests, want 1", n)
		}
		// Just before the reset, the wait fits: the request waits and goes.
		time.Sleep(pdWindow - pdapi.MaxRateLimitWait/2)
		if err := pd.Do(t.Context(), get, &out); err != nil {
			t.Fatalf("Do %v before the reset: %v", pdapi.MaxRateLimitWait/2, err)
		}
		if waited := time.Since(start); waited != pdWindow {
			t.Errorf("went after %v, want at PagerDuty's reset, %v", waited, pdWindow)
		}
	})
}

// TestPacingReplicas: two replicas pace one key each on their own, so
// together they can meet PagerDuty's 429. That is handled as before:
// retried within the cap, else reported as rate-limited with RetryAt set;
// PagerDuty never admits more than its limit, and the key stays busy.
func TestPacingReplicas(t *testing.T) {
	s := newSeeded(t)
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{h: s}
		one := pacedClient(s, m, pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst))
		two := pacedClient(s, m, pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst))
		l := newLoad(t)
		l.steady(one, "", 20, 2*pdWindow)
		l.steady(two, "", 20, 2*pdWindow)
		l.wg.Wait()
		second := m.count(http.StatusOK, l.start, pdWindow, 2*pdWindow)
		t.Logf("second minute %d notes from both; 429s seen %d, calls failed on them %d; held back %d",
			second, m.count(http.StatusTooManyRequests, l.start, 0, 3*pdWindow), l.limited, l.refused)
		if n := m.busiestWindow(pdWindow); n > pdLimit {
			t.Errorf("%d requests admitted in one window, PagerDuty allows %d", n, pdLimit)
		}
		if second < pdLimit*9/10 {
			t.Errorf("second minute: %d notes from both replicas, want at least 90%% of %d", second, pdLimit)
		}
	})
}
