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
	"strconv"
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

// writers counts the goroutines running an audit writer, from their stacks.
func writers() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte("store.(*auditQueue).run("))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Close stops the store's writer goroutine: none is left behind. (Not
// parallel: it counts every writer in the process.)
func TestCloseStopsWriter(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			before := writers()
			s := open(t)
			if got := writers(); got != before+1 {
				t.Fatalf("an open store runs %d writers, want 1", got-before)
			}
			if err := s.AppendAudit(context.Background(), store.AuditEntry{Team: "T1", Action: "x"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// Close returned after the writer's last statement; its
			// goroutine has only its deferred close(done) and return left.
			if got := writersAfterExit(before); got != before {
				t.Errorf("after Close %d writers run, want %d", got, before)
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

// writersAfterExit counts writers once those that have signalled their end
// have returned: Close waits for a writer's done channel, which it closes
// in a defer, so it may still be on its way out. runtime.Gosched lets it
// go; the count is taken as soon as it reaches want (no timeout: a writer
// that never exits hangs the test, which -timeout reports with stacks).
func writersAfterExit(want int) int {
	for {
		if n := writers(); n <= want {
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
