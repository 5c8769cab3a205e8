package postgres_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/storetest"
)

// TestSweeper runs, among others, three sweepers on separate connections
// pools of one database at once and checks that no record reaches two.
func TestSweeper(t *testing.T) {
	pgtest.Require(t)
	storetest.RunSweeper(t, func(t *testing.T, recs []retention.Record) func() storetest.Handle {
		dsn := pgtest.DSN(t)
		if err := open(t, dsn).Inventory().Put(t.Context(), recs); err != nil {
			t.Fatalf("Put: %v", err)
		}
		return func() storetest.Handle {
			db := open(t, dsn)
			return storetest.Handle{Store: db.RetentionStore(), Inventory: db.Inventory()}
		}
	})
}

func openBench(b *testing.B) (retention.Store, storetest.BenchInventory) {
	db, err := postgres.Open(b.Context(), pgtest.DSN(b))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { db.Close() })
	return db.RetentionStore(), db.Inventory()
}

// BenchmarkPlan: PRIVACY_TEST_POSTGRES_DSN=… go test ./postgres -run '^$' -bench 'Plan|Sweep' -benchtime 1x
func BenchmarkPlan(b *testing.B) { storetest.BenchmarkPlan(b, openBench) }

func BenchmarkSweep(b *testing.B) { storetest.BenchmarkSweep(b, openBench) }
