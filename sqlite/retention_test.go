package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/storetest"
)

func TestSweeper(t *testing.T) {
	storetest.RunSweeper(t, func(t *testing.T, recs []retention.Record) func() storetest.Handle {
		path := tempFile(t)
		if err := open(t, path).Inventory().Put(t.Context(), recs); err != nil {
			t.Fatalf("Put: %v", err)
		}
		return func() storetest.Handle {
			db := open(t, path)
			return storetest.Handle{Store: db.RetentionStore(), Inventory: db.Inventory()}
		}
	})
}

func openBench(b *testing.B) (retention.Store, storetest.BenchInventory) {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { db.Close() })
	return db.RetentionStore(), db.Inventory()
}

// BenchmarkPlan: go test ./sqlite -run '^$' -bench 'Plan|Sweep' -benchtime 1x
func BenchmarkPlan(b *testing.B) { storetest.BenchmarkPlan(b, openBench) }

func BenchmarkSweep(b *testing.B) { storetest.BenchmarkSweep(b, openBench) }
