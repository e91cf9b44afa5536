package main

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live     uint64
		since    time.Duration
		headroom uint64
		want     int
	}{
		{4 * mib, 20 * time.Millisecond, gcHeadroom, gcMaxPercent}, // 32 MiB would be 8×: capped
		{8 * mib, 20 * time.Millisecond, gcHeadroom, 400},
		{16 * mib, 900 * time.Millisecond, gcHeadroom, 200},
		{64 * mib, 20 * time.Millisecond, gcHeadroom, gcBasePercent}, // a big heap keeps Go's pace
		{8 * mib, 20 * time.Millisecond, 16 * mib, 200},              // a small container's headroom
		{4 * mib, time.Second, gcHeadroom, gcBasePercent},            // at rest
		{4 * mib, 2 * time.Minute, gcHeadroom, gcBasePercent},
		{0, 20 * time.Millisecond, gcHeadroom, gcBasePercent},
	} {
		if got := gcPercent(c.live, c.since, c.headroom); got != c.want {
			t.Errorf("gcPercent(%d MiB live, %v since the last, %d MiB headroom) = %d, want %d", c.live/mib, c.since, c.headroom/mib, got, c.want)
		}
	}
}

// TestGCHeadroomFollowsTheMemoryLimit: the busy heap's headroom is 32 MiB,
// and never more than an eighth of the memory pdbot may use.
func TestGCHeadroomFollowsTheMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	for limit, want := range map[int64]uint64{
		1 << 30:   gcHeadroom, // bot.MemoryLimit's assumption when nothing says
		256 * mib: 32 * mib,
		128 * mib: 16 * mib,
		64 * mib:  8 * mib,
		0:         0, // gcPercent then keeps Go's pace
	} {
		if got := headroomFor(limit); got != want {
			t.Errorf("headroomFor(%d MiB) = %d MiB, want %d MiB", limit/mib, got/mib, want/mib)
		}
	}
	if gcPercent(8*mib, 20*time.Millisecond, headroomFor(0)) != gcBasePercent {
		t.Error("no headroom changed Go's pace")
	}
}

// TestGCTunerFollowsCollections runs a tuner on the process's real
// collections, with its clock and live heap scripted: collections close
// together raise GOGC, one after a quiet second gives Go's pace back, and a
// stopped tuner leaves it there.
func TestGCTunerFollowsCollections(t *testing.T) {
	var mu sync.Mutex
	clock := time.Unix(1e9, 0)
	var set []int
	adjusted := make(chan int, 1)
	tuner := &gcTuner{
		now:      func() time.Time { mu.Lock(); defer mu.Unlock(); return clock },
		live:     func() uint64 { return 8 << 20 },
		headroom: gcHeadroom,
		setGC:    func(p int) int { mu.Lock(); defer mu.Unlock(); set = append(set, p); return 0 },
		adjusted: func(p int) { adjusted <- p },
	}
	tuner.start()
	collect := func(after time.Duration) int {
		mu.Lock()
		clock = clock.Add(after)
		mu.Unlock()
		runtime.GC()
		return <-adjusted
	}
	if p := collect(30 * time.Millisecond); p != 400 {
		t.Errorf("a collection 30 ms after the last set GOGC %d, want 400 (32 MiB over 8 MiB live)", p)
	}
	if p := collect(40 * time.Millisecond); p != 400 {
		t.Errorf("the next, 40 ms later, set GOGC %d, want 400", p)
	}
	if p := collect(3 * time.Second); p != gcBasePercent {
		t.Errorf("a collection after 3 s quiet set GOGC %d, want %d", p, gcBasePercent)
	}
	tuner.stop()
	mu.Lock()
	defer mu.Unlock()
	if want := []int{400, 400, gcBasePercent, gcBasePercent}; !slices.Equal(set, want) {
		t.Errorf("GOGC set to %v, want %v", set, want)
	}
}

func TestGCTunerLeavesAnOperatorsGOGC(t *testing.T) {
	lookup := func(gogc string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k == "GOGC" && gogc != "" {
				return gogc, true
			}
			return "", false
		}
	}
	if newGCTuner(lookup("")) == nil {
		t.Error("no tuner with GOGC unset")
	}
	for _, v := range []string{"150", "off"} {
		if newGCTuner(lookup(v)) != nil {
			t.Errorf("a tuner with GOGC=%s set by the operator", v)
		}
	}
}
