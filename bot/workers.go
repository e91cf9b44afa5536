package bot

import "sync"

// workersIdleMax bounds the goroutines kept waiting for the next request:
// enough for a steady flow on a small machine, few enough that a burst's
// thousand leave nothing behind.
const workersIdleMax = 64

// workers runs each request on a goroutine that has run one before, when
// one is free: a request's JSON decoding grows a new goroutine's 8 KiB
// stack several times over, copying it each time, and a reused
// goroutine's stack has grown already. With none free, a new one starts at
// once; a request never waits for a worker.
type workers struct {
	jobs    chan func() // unbuffered: a send succeeds only into a waiting worker
	quit    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	idle    int // workers waiting for a request
	started int // goroutines ever started (for tests)
}

func newWorkers() *workers { return &workers{jobs: make(chan func()), quit: make(chan struct{})} }

// stop ends the idle workers; a request run after it still runs, on a
// goroutine of its own that ends with it.
func (w *workers) stop() { w.once.Do(func() { close(w.quit) }) }

// run runs f on an idle worker, or on a new one.
func (w *workers) run(f func()) {
	select {
	case w.jobs <- f:
	default:
		w.mu.Lock()
		w.started++
		w.mu.Unlock()
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	for {
		f()
		w.mu.Lock()
		if w.idle >= workersIdleMax {
			w.mu.Unlock()
			return
		}
		w.idle++
		w.mu.Unlock()
		select {
		case f = <-w.jobs:
		case <-w.quit:
			f = nil
		}
		w.mu.Lock()
		w.idle--
		w.mu.Unlock()
		if f == nil {
			return
		}
	}
}
