package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// backends opens a fresh store of each kind; PostgreSQL only when the test
// server is configured.
func backends() map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"bolt":     func(t *testing.T) store.Store { return freshBolt(t).Store },
		"postgres": func(t *testing.T) store.Store { return freshPG(t).Store },
	}
}

// A burst of concurrent AppendAudit calls becomes one write transaction:
// the writer is held while the burst queues, then drains it in one batch.
func TestAuditBurstIsOneTransaction(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			before := store.AuditTxs(s)
			held, release := store.HoldAuditWriter(s)
			defer release()

			const burst = 200 // below the batch cap: one batch takes all
			var wg sync.WaitGroup
			for i := range burst {
				wg.Go(func() {
					e := store.AuditEntry{Team: "T1", Channel: "C1", Action: "burst-" + strconv.Itoa(i), Result: "ok"}
					if err := s.AppendAudit(ctx, e); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait() // every row is queued: AppendAudit returned
			<-held    // and the writer has taken the first and waits
			release()
			got, err := s.Audit(ctx, "T1", 2*burst)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != burst {
				t.Fatalf("Audit holds %d rows, want %d", len(got), burst)
			}
			if txs := store.AuditTxs(s) - before; txs != 1 {
				t.Errorf("%d concurrent AppendAudit calls took %d write transactions, want 1", burst, txs)
			}
		})
	}
}

// A full queue makes AppendAudit wait, bounded by its context, and never
// drop a row.
func TestAuditFullQueueWaits(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			held, release := store.HoldAuditWriter(s)
			defer release()
			row := func(i int) store.AuditEntry {
				return store.AuditEntry{Team: "T1", Action: "fill-" + strconv.Itoa(i), Result: "ok"}
			}
			// One row for the writer to take and hold, then a full queue.
			if err := s.AppendAudit(ctx, row(0)); err != nil {
				t.Fatal(err)
			}
			<-held
			for i := 1; i <= store.AuditQueueLen; i++ {
				if err := s.AppendAudit(ctx, row(i)); err != nil {
					t.Fatal(err)
				}
			}

			// A caller whose context ends while it waits gets the error,
			// and its row is not written.
			cctx, cancel := context.WithCancel(ctx)
			canceled := make(chan error, 1)
			go func() { canceled <- s.AppendAudit(cctx, store.AuditEntry{Team: "T1", Action: "gave-up"}) }()
			cancel()
			if err := <-canceled; !errors.Is(err, context.Canceled) {
				t.Fatalf("AppendAudit on a full queue with its context canceled: %v, want context.Canceled", err)
			}

			// A patient caller waits for room and is written.
			waited := make(chan error, 1)
			go func() { waited <- s.AppendAudit(ctx, row(store.AuditQueueLen+1)) }()
			release()
			if err := <-waited; err != nil {
				t.Fatal(err)
			}
			got, err := s.Audit(ctx, "T1", 2*store.AuditQueueLen)
			if err != nil {
				t.Fatal(err)
			}
			if want := store.AuditQueueLen + 2; len(got) != want {
				t.Errorf("Audit holds %d rows, want %d (none dropped, the canceled one not written)", len(got), want)
			}
			for _, e := range got {
				if e.Action == "gave-up" {
					t.Error("the row whose caller gave up was written")
				}
			}
		})
	}
}

// writerLabel marks, through pprof labels (which goroutines inherit), the
// goroutines started while a test opens its store.
const writerLabel = "pdbot_store_writer_test"

// writers counts the goroutines labelled id that run an audit writer, from
// the goroutine profile: other tests' stores, closing or not, do not count.
func writers(id string) int {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		panic(err)
	}
	label := fmt.Sprintf("%q:%q", writerLabel, id)
	n := 0
	// Groups of identical stacks: "N @ pcs", "# labels: {…}", frames, blank.
	for _, group := range strings.Split(buf.String(), "\n\n") {
		if !strings.Contains(group, label) || !strings.Contains(group, "store.(*auditQueue).run") {
			continue
		}
		count, _, _ := strings.Cut(group, " @ ")
		c, err := strconv.Atoi(strings.TrimSpace(count))
		if err != nil {
			panic(fmt.Sprintf("goroutine profile group %q", count))
		}
		n += c
	}
	return n
}

// Close stops the store's writer goroutine: none is left behind.
func TestCloseStopsWriter(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			id := t.Name()
			var s store.Store
			pprof.Do(context.Background(), pprof.Labels(writerLabel, id), func(context.Context) { s = open(t) })
			// A row read back has been through the writer: it runs (a
			// goroutine not yet started has no frames of its own).
			if err := s.AppendAudit(context.Background(), store.AuditEntry{Team: "T1", Action: "x"}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Audit(context.Background(), "T1", 1); err != nil || len(got) != 1 {
				t.Fatalf("Audit = %v, %v; want the row", got, err)
			}
			if got := writers(id); got != 1 {
				t.Fatalf("an open store runs %d writers, want 1", got)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := writersAfterExit(id); got != 0 {
				t.Errorf("after Close %d writers run, want 0", got)
			}
			if err := s.AppendAudit(context.Background(), store.AuditEntry{Team: "T1", Action: "late"}); err == nil {
				t.Error("AppendAudit after Close: no error")
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// writersAfterExit counts the writers labelled id once they have returned:
// Close waits for the writer's done channel, which it closes in a defer,
// so the goroutine may still be on its way out. runtime.Gosched lets it
// go; the count is taken as soon as it is 0 (no timeout: a writer that
// never exits hangs the test, and -timeout reports it with its stack).
func writersAfterExit(id string) int {
	for {
		if n := writers(id); n == 0 {
			return n
		}
		runtime.Gosched()
	}
}

// crashChildEnv tells the test binary it is the child of TestBoltCrash.
const crashChildEnv = "PDBOT_STORE_CRASH_CHILD"

// TestBoltCrash kills a process (SIGKILL, as kill -9) that used a bolt
// store without closing it: the claims and audit rows written by the
// batches before the crash are all there when the file is opened again.
func TestBoltCrash(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	ring, keys := storetest.NewKeyRing(t, 1)
	path := filepath.Join(t.TempDir(), "pdbot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltCrash$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, "PDBOT_MASTER_KEY="+keys[0])
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !bytes.Contains(out, []byte("flushed, killing myself")) {
		t.Fatalf("child: %v\n%s", err, out)
	}

	s := openBolt(t, path, ring)
	ctx := context.Background()
	for i := range crashClaims {
		id := fmt.Sprintf("Ev-crash-%d", i)
		if ok, err := s.Claim(ctx, id, time.Hour); err != nil || ok {
			t.Errorf("Claim(%s) after the crash = %v, %v; want false: the claim survives", id, ok, err)
		}
	}
	got, err := s.Audit(ctx, "T1", 2*crashClaims)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != crashClaims {
		t.Errorf("after the crash Audit holds %d rows, want %d", len(got), crashClaims)
	}
}

const crashClaims = 20

// crashChild claims and audits, reads the audit trail (which writes every
// batch queued before), and kills itself without closing the store.
func crashChild(path string) {
	ring, err := store.ParseKeyRing(os.Getenv("PDBOT_MASTER_KEY"))
	if err != nil {
		panic(err)
	}
	s, err := store.OpenBolt(path, ring)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range crashClaims {
		wg.Go(func() {
			if ok, err := s.Claim(ctx, fmt.Sprintf("Ev-crash-%d", i), time.Hour); err != nil || !ok {
				panic(fmt.Sprint("claim: ", ok, err))
			}
			wins.Add(1)
			if err := s.AppendAudit(ctx, store.AuditEntry{Team: "T1", Action: "crash-" + strconv.Itoa(i)}); err != nil {
				panic(err)
			}
		})
	}
	wg.Wait()
	if _, err := s.Audit(ctx, "T1", 1); err != nil {
		panic(err)
	}
	fmt.Println("flushed, killing myself")
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		panic(err)
	}
	_ = p.Kill()
	select {} // SIGKILL ends the process here
}

// On bolt a claim is written with the writer's next batch, which lingers
// for more as a row's does: claims made meanwhile share its transaction
// (one fsync) instead of each waking the writer for one of its own. They
// are in the file once the batch is written.
func TestBoltClaimsShareABatch(t *testing.T) {
	b := freshBolt(t)
	lingering := make(chan struct{}, 1)
	store.LingerAudit(b.Store, time.Hour, func() {
		select {
		case lingering <- struct{}{}:
		default:
		}
	})
	ctx := context.Background()
	before := store.AuditTxs(b.Store)
	claim := func(id string) {
		t.Helper()
		if ok, err := b.Claim(ctx, id, time.Hour); err != nil || !ok {
			t.Fatalf("Claim(%s) = %v, %v", id, ok, err)
		}
	}
	claim("Ev-linger-0")
	select {
	case <-lingering:
	case <-time.After(time.Minute): // a safety net, not a measurement
		t.Fatalf("the writer did not linger for a claim (%d transactions)", store.AuditTxs(b.Store)-before)
	}
	for i := 1; i < 50; i++ {
		claim(fmt.Sprintf("Ev-linger-%d", i))
	}
	if _, err := b.Audit(ctx, "T1", 1); err != nil { // flushes: ends the linger
		t.Fatal(err)
	}
	if txs := store.AuditTxs(b.Store) - before; txs != 1 {
		t.Errorf("50 claims took %d write transactions, want 1", txs)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	ring := b.ring
	s := openBolt(t, b.path, ring)
	for i := range 50 {
		if ok, err := s.Claim(ctx, fmt.Sprintf("Ev-linger-%d", i), time.Hour); err != nil || ok {
			t.Errorf("Claim(Ev-linger-%d) after reopening = %v, %v; want false: it was written", i, ok, err)
		}
	}
}

// TestAuditCommitsAreSpaced: after a quiet spell a row waits only the
// linger; right after a commit the writer waits out the commit gap, so a
// steady trickle of rows shares a commit (and its fsync) instead of taking
// one each.
func TestAuditCommitsAreSpaced(t *testing.T) {
	linger, gap := store.AuditLinger, store.AuditCommitGap
	if gap <= linger {
		t.Fatalf("commit gap %v is no longer than the linger %v", gap, linger)
	}
	for _, c := range []struct {
		since time.Duration
		want  time.Duration
	}{
		{time.Hour, linger},              // quiet: the linger alone
		{gap, linger},                    // a gap ago: the linger alone
		{gap - time.Millisecond, linger}, // nearly a gap ago: no less than the linger
		{time.Millisecond, gap - time.Millisecond},
		{0, gap},
	} {
		if got := store.LingerFor(c.since, linger, gap); got != c.want {
			t.Errorf("last commit %v ago: linger %v, want %v", c.since, got, c.want)
		}
	}
}
