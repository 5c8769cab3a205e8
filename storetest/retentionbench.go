package storetest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
)

// BenchInventory is an inventory a benchmark can fill.
type BenchInventory = Inventory

// BenchSizes are the inventory sizes the benchmarks run. The largest is
// left out under -short.
var BenchSizes = []int{10_000, 100_000, 1_000_000}

// Fill puts n benchmark records into inv in chunks: a quarter each due
// for deletion, due for anonymisation, retained, and held by the
// statutory hold. It returns how many are due.
func Fill(ctx context.Context, inv BenchInventory, n int) (int, error) {
	const chunk = 10_000
	due := 0
	recs := make([]retention.Record, 0, chunk)
	for start := 0; start < n; start += chunk {
		recs = recs[:0]
		for i := start; i < min(start+chunk, n); i++ {
			r := retention.Record{Key: fmt.Sprintf("r-%09d", i), SubjectID: fmt.Sprintf("u-%d", i%10_000)}
			switch i % 4 {
			case 0:
				r.Category = "instance.contact.email"
				r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.AddDate(0, 0, -100-i%300)}
				due++
			case 1:
				r.Category = "instance.meeting.data"
				r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.AddDate(0, 0, -100)}
				due++
			case 2:
				r.Category = "instance.network.ip_address"
				r.Times = map[privacy.Trigger]time.Time{privacy.TriggerCollected: t0.AddDate(0, 0, -i%150)}
			case 3:
				r.Category = "instance.financial.payment"
				r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.AddDate(-1, 0, 0), privacy.TriggerCollected: t0.AddDate(-2, 0, 0)}
			}
			recs = append(recs, r)
		}
		if err := inv.Put(ctx, recs); err != nil {
			return 0, err
		}
	}
	return due, nil
}

// peakHeap samples the live heap every few milliseconds until stop is
// called, and returns the highest sample above the heap at the start.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var (
		peak uint64
		mu   sync.Mutex
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			v := read()
			mu.Lock()
			peak = max(peak, v)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		if peak < base {
			return 0
		}
		return peak - base
	}
}

// BenchmarkPlan measures a plan of inventories of BenchSizes records:
// records per second and the peak heap above the start, which must not
// grow with the inventory. open returns an empty backend.
func BenchmarkPlan(b *testing.B, open func(b *testing.B) (retention.Store, BenchInventory)) {
	for _, n := range BenchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("skipping the largest inventory in -short mode")
			}
			store, inv := open(b)
			if _, err := Fill(b.Context(), inv, n); err != nil {
				b.Fatalf("Fill: %v", err)
			}
			s, err := retention.NewSweeper(privacy.DefaultCatalog(), store, inv, nil, retention.WithClock(func() time.Time { return t0 }))
			if err != nil {
				b.Fatalf("NewSweeper: %v", err)
			}
			var peak uint64
			b.ResetTimer()
			for b.Loop() {
				stop := peakHeap()
				sum, err := s.Plan(b.Context(), nil)
				peak = max(peak, stop())
				if err != nil || sum.Scanned != n {
					b.Fatalf("Plan = %+v, %v; want %d scanned", sum, err, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkSweep measures a sweep (batches of 1000) of inventories of
// BenchSizes records, half of them due: records scanned per second and
// the peak heap above the start. Each iteration fills a fresh backend,
// outside the timer.
func BenchmarkSweep(b *testing.B, open func(b *testing.B) (retention.Store, BenchInventory)) {
	for _, n := range BenchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("skipping the largest inventory in -short mode")
			}
			var peak uint64
			var elapsed time.Duration
			for range b.N {
				store, inv := open(b)
				due, err := Fill(b.Context(), inv, n)
				if err != nil {
					b.Fatalf("Fill: %v", err)
				}
				s, err := retention.NewSweeper(privacy.DefaultCatalog(), store, inv, inv, retention.WithClock(func() time.Time { return t0 }))
				if err != nil {
					b.Fatalf("NewSweeper: %v", err)
				}
				stop := peakHeap()
				start := time.Now()
				sum, err := s.Sweep(b.Context())
				elapsed += time.Since(start)
				peak = max(peak, stop())
				if err != nil || sum.Due != due {
					b.Fatalf("Sweep = %+v, %v; want %d erased", sum, err, due)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/sweep")
		})
	}
}
