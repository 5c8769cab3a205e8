package storetest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
)

// EnvBenchRecords overrides how many records BenchLedger preloads
// (default 1,000,000), for quick runs.
const EnvBenchRecords = "PRIVACY_BENCH_RECORDS"

// benchPurposes are the consent purposes of the reference catalog.
var benchPurposes = []string{"site.personalisation", "research.surveys", "marketing.profiling", "referral"}

// BenchLedger fills s with 1,000,000 records (or PRIVACY_BENCH_RECORDS)
// through AppendBatch in batches of 10,000, the bulk loader, and then
// measures, on that full ledger: single appends, batched appends of 100
// records, and current-state lookups, serial and parallel. Each reports its
// rate per second as a metric beside ns/op.
func BenchLedger(b *testing.B, s consent.Ledger) {
	ctx := b.Context()
	subjects := loadLedger(b, s)

	rate := func(b *testing.B, perOp int, unit string) {
		b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), unit)
	}
	b.Run("Append", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.Append(ctx, grant(fmt.Sprintf("a-%d", i), "referral", base())); err != nil {
				b.Fatal(err)
			}
			i++
		}
		rate(b, 1, "records/s")
	})
	b.Run("AppendBatch100", func(b *testing.B) {
		rs := make([]consent.Record, 100)
		i := 0
		for b.Loop() {
			for j := range rs {
				rs[j] = grant(fmt.Sprintf("b-%d", i), "referral", base())
				i++
			}
			if _, err := s.AppendBatch(ctx, rs); err != nil {
				b.Fatal(err)
			}
		}
		rate(b, len(rs), "records/s")
	})
	lookup := func(ctx context.Context, i int) error {
		st, err := s.State(ctx, fmt.Sprintf("u-%d", (i*7919)%subjects), benchPurposes[i%len(benchPurposes)], base())
		if err == nil && st.Event == "" {
			err = fmt.Errorf("state of %s for %s: no record", st.SubjectID, st.Purpose)
		}
		return err
	}
	b.Run("State", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := lookup(ctx, i); err != nil {
				b.Fatal(err)
			}
			i++
		}
		rate(b, 1, "lookups/s")
	})
	b.Run("StateParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if err := lookup(ctx, i); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		rate(b, 1, "lookups/s")
	})
	b.Run("Verify", func(b *testing.B) { benchVerify(b, s, consent.VerifyOptions{}) })
}

// BenchLedgerKeyed fills s, a ledger that seals with keys, as BenchLedger
// does, and measures Verify with the keys (every record's MAC checked),
// as privacyctl ledger verify runs it (keys from BenchKeys).
func BenchLedgerKeyed(b *testing.B, s consent.Ledger, keys consent.KeyProvider) {
	loadLedger(b, s)
	b.Run("Verify", func(b *testing.B) { benchVerify(b, s, consent.VerifyOptions{Keys: keys}) })
}

// BenchKeys returns a keyring of one key for BenchLedgerKeyed.
func BenchKeys(b *testing.B) *consent.Keyring {
	kr, err := consent.NewKeyring(consent.Key{ID: "bench-1", Secret: []byte("0123456789abcdef0123456789abcdef-bench")})
	if err != nil {
		b.Fatal(err)
	}
	return kr
}

// loadLedger fills s with 1,000,000 records (or PRIVACY_BENCH_RECORDS),
// ten per subject, through AppendBatch in batches of 10,000, and returns
// the number of subjects.
func loadLedger(b *testing.B, s consent.Ledger) (subjects int) {
	ctx := b.Context()
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv(EnvBenchRecords)); err == nil && v > 0 {
		n = v
	}
	subjects = max(n/10, 1) // ten records per subject
	start := time.Now()
	at := base().Add(-time.Duration(n) * time.Second)
	const chunk = 10_000
	for done := 0; done < n; {
		rs := make([]consent.Record, 0, min(chunk, n-done))
		for i := done; i < done+cap(rs); i++ {
			r := grant(fmt.Sprintf("u-%d", i%subjects), benchPurposes[(i/subjects)%len(benchPurposes)], at.Add(time.Duration(i)*time.Second))
			if (i/subjects/len(benchPurposes))%2 == 1 {
				r = withdrawal(r.SubjectID, r.Purpose, r.CollectedAt)
			}
			rs = append(rs, r)
		}
		if _, err := s.AppendBatch(ctx, rs); err != nil {
			b.Fatalf("load: %v", err)
		}
		done += len(rs)
	}
	b.Logf("loaded %d records for %d subjects in %s (%.0f records/s)", n, subjects, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	return subjects
}

// benchVerify verifies s with o, reporting records/s and the peak heap.
func benchVerify(b *testing.B, s consent.Ledger, o consent.VerifyOptions) {
	runtime.GC() // the load's garbage is not Verify's
	peak := watchHeap()
	var rep consent.Report
	for b.Loop() {
		var err error
		rep, err = consent.VerifyWith(b.Context(), s, o)
		if err != nil || !rep.Intact {
			b.Fatalf("Verify: %v %s", err, rep)
		}
	}
	heap, live := peak()
	if o.Keys != nil && rep.Keyed != rep.Checked {
		b.Fatalf("Verify checked %d MACs of %d records", rep.Keyed, rep.Checked)
	}
	b.ReportMetric(float64(rep.Checked*int64(b.N))/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(live)/(1<<20), "peak-live-MiB")
}

// watchHeap samples the heap every millisecond until the function it
// returns is called, which returns the most it saw above the heap at the
// start: the bytes of heap objects (live and not yet swept garbage) and
// the live heap as the last GC marked it. Neither grows with the ledger
// when Verify streams. Call it after runtime.GC, so that the start is
// what stays live (the store's connections and their buffers).
func watchHeap() (peak func() (heap, live uint64)) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(samples)
	startHeap, startLive := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	var maxHeap, maxLive uint64
	read := func() {
		metrics.Read(samples)
		maxHeap = max(maxHeap, samples[0].Value.Uint64()-min(startHeap, samples[0].Value.Uint64()))
		maxLive = max(maxLive, samples[1].Value.Uint64()-min(startLive, samples[1].Value.Uint64()))
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		<-done
		read()
		return maxHeap, maxLive
	}
}

// BenchAppend measures durable appends to s from 1 and from 64 concurrent
// writers, through Append (group commit) and through ungrouped, the path
// before group commit (one transaction per append), which is the
// yardstick: compare the records/s of both from the same run. The
// Interleaved sub-benchmark appends through both in turn from one writer
// and reports the ratio (x-ungrouped above 1: group commit is faster).
func BenchAppend(b *testing.B, s consent.Store, ungrouped func(context.Context, consent.Record) (consent.Record, error)) {
	ctx := b.Context()
	var n atomic.Int64
	next := func() consent.Record {
		i := n.Add(1)
		return grant(fmt.Sprintf("w-%d", i), benchPurposes[i%int64(len(benchPurposes))], base())
	}
	// One writer on both paths, then 64 on both, so that each pair runs
	// on a ledger of about the same size.
	for _, writers := range []int{1, 64} {
		for _, path := range []struct {
			name   string
			append func(context.Context, consent.Record) (consent.Record, error)
		}{{"Ungrouped", ungrouped}, {"Grouped", s.Append}} {
			b.Run(fmt.Sprintf("%s/writers=%d", path.name, writers), func(b *testing.B) {
				b.SetParallelism(max(writers/runtime.GOMAXPROCS(0), 1))
				if writers == 1 {
					for b.Loop() {
						if _, err := path.append(ctx, next()); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := path.append(ctx, next()); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
	// One writer, both paths in turn on the same ledger, so that drift in
	// the machine's load and the ledger's size falls on both alike.
	b.Run("Interleaved/writers=1", func(b *testing.B) {
		var grouped, alone time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := s.Append(ctx, next()); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := ungrouped(ctx, next()); err != nil {
				b.Fatal(err)
			}
			grouped, alone = grouped+t1.Sub(t0), alone+time.Since(t1)
		}
		b.ReportMetric(float64(b.N)/grouped.Seconds(), "grouped-records/s")
		b.ReportMetric(float64(b.N)/alone.Seconds(), "ungrouped-records/s")
		b.ReportMetric(alone.Seconds()/grouped.Seconds(), "x-ungrouped")
	})
}
