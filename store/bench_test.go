package store_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pdbot/pdbot/store"
)

// benchParallelism is goroutines per GOMAXPROCS in the parallel benchmarks:
// many commands in flight at once, as under load.
const benchParallelism = 16

// claimBenchTTL is the claims' lifetime in the benchmarks: short, so that
// they expire as new ones come, as in a store that has run for a while
// (bot's are 10 minutes long). With bot's own, a fast run of a few million
// claims fills the bolt store's bound on live claims (memClaimsMax).
const claimBenchTTL = 100 * time.Millisecond

// BenchmarkWritePath measures the two writes every command makes, the
// de-duplication claim and the audit row, on each backend, one caller at a
// time and many at once. An AppendAudit run ends with a read of the audit
// trail, so the time counts the rows written, not only queued.
func BenchmarkWritePath(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"bolt", func(b *testing.B) store.Store { return freshBolt(b) }},
		{"postgres", func(b *testing.B) store.Store { return freshPG(b) }},
	}
	for _, be := range backends {
		b.Run(be.name+"/Claim", func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.Claim(ctx, "Ev"+strconv.Itoa(i), claimBenchTTL); err != nil {
					b.Fatal(err)
				}
			}
			benchFlush(b, s) // bolt writes its claims behind, with the audit rows
		})
		b.Run(be.name+"/ClaimParallel", func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(benchParallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Claim(ctx, "Ev"+strconv.FormatInt(n.Add(1), 10), claimBenchTTL); err != nil {
						b.Error(err)
						return
					}
				}
			})
			benchFlush(b, s)
		})
		b.Run(be.name+"/AppendAudit", func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := s.AppendAudit(ctx, benchEntry(i)); err != nil {
					b.Fatal(err)
				}
			}
			benchFlush(b, s)
		})
		b.Run(be.name+"/AppendAuditParallel", func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(benchParallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.AppendAudit(ctx, benchEntry(int(n.Add(1)))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			benchFlush(b, s)
		})
	}
}

func benchEntry(i int) store.AuditEntry {
	return store.AuditEntry{Team: "T0001", Channel: "C0001", User: "U0001", Incident: "PABC123",
		Action: "slash:note", Result: "ok", Time: time.Unix(1_750_000_000+int64(i), 0)}
}

// benchFlush reads the audit trail, which sees every row appended before.
func benchFlush(b *testing.B, s store.Store) {
	b.Helper()
	if _, err := s.Audit(context.Background(), "T0001", 1); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAuditTrickle appends a claim and an audit row every 4 ms, a
// bolt store's load at 250 commands a second, and reports the write
// transactions (each an fsync on bbolt) a row costs, and the process's CPU
// a row, with the writer's commit gap and without it (the linger alone).
func BenchmarkAuditTrickle(b *testing.B) {
	for _, c := range []struct {
		name string
		gap  time.Duration
	}{{"linger-only", 0}, {"commit-gap", store.AuditCommitGap}} {
		b.Run(c.name, func(b *testing.B) {
			s := freshBolt(b).Store
			store.SetAuditCommitGap(s, c.gap)
			ctx := context.Background()
			tick := time.NewTicker(4 * time.Millisecond)
			defer tick.Stop()
			before, cpu0 := store.AuditTxs(s), processCPU(b)
			i := 0
			for b.Loop() {
				<-tick.C
				i++
				if _, err := s.Claim(ctx, "Ev"+strconv.Itoa(i), claimBenchTTL); err != nil {
					b.Fatal(err)
				}
				if err := s.AppendAudit(ctx, store.AuditEntry{Time: time.Now(), Team: "T1", Channel: "C1", User: "U1", Action: "slash:note", Result: "ok"}); err != nil {
					b.Fatal(err)
				}
			}
			benchFlush(b, s)
			b.ReportMetric(float64(store.AuditTxs(s)-before)/float64(b.N), "txs/row")
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-us/row")
		})
	}
}

// processCPU is the CPU the process has used so far, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
