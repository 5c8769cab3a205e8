package sqlite_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/retentiontest"
	"github.com/privacykit/privacy/retention"
)

func TestRetentionStore(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		retentiontest.Run(t, func(t *testing.T) retention.Store { return open(t, tempFile(t)).RetentionStore() })
	})
	t.Run("memory", func(t *testing.T) {
		retentiontest.Run(t, func(t *testing.T) retention.Store { return open(t, ":memory:").RetentionStore() })
	})
}

func TestSweeper(t *testing.T) {
	retentiontest.RunSweeper(t, func(t *testing.T, recs []retention.Record) func() retentiontest.Handle {
		path := tempFile(t)
		if err := open(t, path).Inventory().Put(t.Context(), recs); err != nil {
			t.Fatalf("Put: %v", err)
		}
		return func() retentiontest.Handle {
			db := open(t, path)
			return retentiontest.Handle{Store: db.RetentionStore(), Inventory: db.Inventory()}
		}
	})
}
