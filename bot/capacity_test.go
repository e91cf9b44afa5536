package bot

import "testing"

func TestInFlightIsSizedByMemory(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		want  int
	}{
		{1 << 30, 1024},         // 1 GiB: a quarter at 256 KiB each
		{4 << 30, 4096},         // 4 GiB
		{64 << 20, minInFlight}, // a tiny container still takes a burst
		{1 << 50, maxInFlightCap},
	} {
		if got := inFlightFor(tc.limit); got != tc.want {
			t.Errorf("inFlightFor(%d MiB) = %d, want %d", tc.limit>>20, got, tc.want)
		}
	}
	if n := defaultMaxInFlight(); n < 1000 && MemoryLimit() >= 1<<30 {
		t.Errorf("defaultMaxInFlight() = %d with %d MiB: 1,000 commands in flight would be refused", n, MemoryLimit()>>20)
	}
}
