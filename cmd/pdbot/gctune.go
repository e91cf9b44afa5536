package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/pdbot/pdbot/bot"
)

// The collector's pace while pdbot is busy.
//
// Go collects each time the heap has grown by GOGC percent (100) of what
// the last collection left live, and never before 4 MiB. pdbot's live heap
// is a few MiB even at full tilt (3–4 MiB with 50 notes in flight), so
// under load it collected every 4 MiB of allocation, 45 times a second: 6%
// of a two-core machine by gctrace, a seventh of pdbot's CPU. While
// collections come close together, the tuner lets the heap grow by up to
// gcHeadroom between them instead (GOGC up to gcMaxPercent); once they are
// a second apart or more, it gives Go's pace back. The heap a big burst
// leaves live (tens of MiB) is paced as Go paces it, and GOMEMLIMIT still
// holds.
const (
	gcBasePercent = 100 // Go's default GOGC, and the tuner's at rest
	// gcHeadroom is the growth allowed between busy collections, and at
	// most an eighth of the memory pdbot may use (bot.MemoryLimit), so a
	// small container keeps its room for requests in flight.
	gcHeadroom      = 32 << 20
	gcHeadroomShare = 8
	gcMaxPercent    = 400 // at most 4× the live heap between them
	// gcBusyGap: collections closer together than this mean allocation is
	// outrunning the heap. At rest Go still collects every two minutes.
	gcBusyGap = time.Second
)

// gcPercent is the GOGC for the next cycle, when the last collection left
// live bytes and came since after the one before it, with headroom bytes
// of growth allowed.
func gcPercent(live uint64, since time.Duration, headroom uint64) int {
	if since >= gcBusyGap || live == 0 {
		return gcBasePercent
	}
	return int(min(max(headroom*100/live, gcBasePercent), gcMaxPercent))
}

// headroomFor is gcHeadroom, or less where the memory limit is small.
func headroomFor(limit int64) uint64 {
	return min(gcHeadroom, uint64(max(limit, 0))/gcHeadroomShare)
}

// gcTuner sets GOGC after every collection (gcPercent).
type gcTuner struct {
	now      func() time.Time
	live     func() uint64
	headroom uint64
	setGC    func(int) int
	adjusted func(int) // tests: called with each GOGC set

	mu      sync.Mutex
	last    time.Time // the last collection
	stopped bool
}

// startGCTuner paces the collector with gcTuner unless the operator has
// set GOGC, which is then Go's to follow. stop hands Go's pace back.
func startGCTuner() (stop func()) {
	t := newGCTuner(os.LookupEnv)
	if t == nil {
		return func() {}
	}
	t.start()
	return t.stop
}

// newGCTuner is the process's tuner, or nil when GOGC is set.
func newGCTuner(lookupEnv func(string) (string, bool)) *gcTuner {
	if _, set := lookupEnv("GOGC"); set {
		return nil
	}
	return &gcTuner{now: time.Now, live: liveHeap, headroom: headroomFor(bot.MemoryLimit()), setGC: debug.SetGCPercent}
}

func (t *gcTuner) start() {
	t.last = t.now()
	t.arm()
}

// arm asks to be told of the next collection: a sentinel, unreachable at
// once, is finalized after the first collection that finds it so.
func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{t}, func(s *gcSentinel) { s.t.collected() })
}

// gcSentinel holds a pointer, so it is never tiny-allocated alongside (and
// kept alive by) another object.
type gcSentinel struct{ t *gcTuner }

func (t *gcTuner) collected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	now := t.now()
	p := gcPercent(t.live(), now.Sub(t.last), t.headroom)
	t.last = now
	t.setGC(p)
	t.arm()
	if t.adjusted != nil {
		t.adjusted(p) // armed: a collection from now on is seen
	}
}

func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	t.setGC(gcBasePercent)
}

// liveHeap is what the last collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
