package bot

import (
	"runtime"
	"sync"
	"testing"
)

// waitIdle waits (yielding, not sleeping) until n workers are idle.
func waitIdle(w *workers, n int) {
	for {
		w.mu.Lock()
		idle := w.idle
		w.mu.Unlock()
		if idle == n {
			return
		}
		runtime.Gosched()
	}
}

func (w *workers) counts() (idle, started int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.idle, w.started
}

// A request that finds a worker idle runs on it: one after another, a
// hundred requests start one goroutine.
func TestWorkersReuseAGoroutine(t *testing.T) {
	w := newWorkers()
	defer w.stop()
	for range 100 {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
		waitIdle(w, 1)
	}
	if _, started := w.counts(); started != 1 {
		t.Errorf("%d goroutines started for 100 requests one after another, want 1", started)
	}
}

// A burst runs every request at once, none waiting for a worker; after it
// at most workersIdleMax stay, and stop ends them.
func TestWorkersBurstAndStop(t *testing.T) {
	w := newWorkers()
	const n = 3 * workersIdleMax
	var running, finished sync.WaitGroup
	release := make(chan struct{})
	running.Add(n)
	finished.Add(n)
	for range n {
		w.run(func() {
			defer finished.Done()
			running.Done()
			<-release // every request is running at once
		})
	}
	running.Wait()
	close(release)
	finished.Wait()
	waitIdle(w, workersIdleMax)
	if _, started := w.counts(); started != n {
		t.Errorf("%d goroutines for %d requests at once, want %d", started, n, n)
	}
	w.stop()
	waitIdle(w, 0)
	done := make(chan struct{})
	w.run(func() { close(done) }) // still runs after stop
	<-done
}
