package store

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
)

// A bolt store's live claims hold no pointers for the collector to follow:
// ten minutes of a busy bot's envelopes are a few hundred thousand claims,
// and each collection would otherwise mark them all, in the middle of a
// burst's acks too (BENCHMARKS.md).
func TestMemClaimsAreNotScanned(t *testing.T) {
	const n = 100_000
	m := newMemClaims()
	before := scannableHeap()
	for i := range n {
		if ok, err := m.claim(fmt.Sprintf("Ev%020d", i), 1, 1<<62); err != nil || !ok {
			t.Fatalf("claim %d = %v, %v", i, ok, err)
		}
	}
	m.takePending() // the writer takes these at once; they are not the live set
	grown := scannableHeap() - before
	runtime.KeepAlive(m)
	if perClaim := grown / n; perClaim > 8 {
		t.Errorf("%d live claims grew the heap the collector scans by %d bytes, %d a claim; want next to none", n, grown, perClaim)
	}
}

// scannableHeap is, after a collection, how many bytes of heap may hold
// pointers.
func scannableHeap() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
