package bot

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Sizing of the in-flight bound (MaxInFlight's default).
const (
	// perRequestMemory is what one request in flight may hold at its
	// largest: a goroutine's grown stack, an HTTP exchange's buffers, a
	// decoded incident and the reply (measured well under this: see
	// BENCHMARKS.md).
	perRequestMemory = 256 << 10
	// inFlightShare is the share of the memory limit requests in flight
	// may take; the rest is the process itself, caches and headroom.
	inFlightShare = 4
	// assumedMemory stands in for a limit when neither GOMEMLIMIT nor a
	// cgroup sets one.
	assumedMemory = 1 << 30
	// minInFlight and maxInFlightCap bound the result.
	minInFlight    = 256
	maxInFlightCap = 65536
)

// defaultMaxInFlight sizes the in-flight bound by memory rather than by a
// fixed count: a quarter of the process's memory limit (GOMEMLIMIT, else
// the cgroup's memory.max, else 1 GiB), at perRequestMemory each. A
// request waiting on PagerDuty costs little; what must not happen is
// unbounded growth under a flood.
func defaultMaxInFlight() int {
	return inFlightFor(MemoryLimit())
}

func inFlightFor(limit int64) int {
	n := limit / inFlightShare / perRequestMemory
	return int(min(max(n, minInFlight), maxInFlightCap))
}

// MemoryLimit is the memory the process may use, as far as it can tell:
// GOMEMLIMIT, else the cgroup's memory.max, else an assumed 1 GiB.
func MemoryLimit() int64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		return l
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return assumedMemory
}
