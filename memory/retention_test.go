package memory_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/retentiontest"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
)

func TestRetentionStore(t *testing.T) {
	retentiontest.Run(t, func(t *testing.T) retention.Store { return memory.NewRetentionStore() })
}

func TestSweeper(t *testing.T) {
	retentiontest.RunSweeper(t, func(t *testing.T, recs []retention.Record) func() retentiontest.Handle {
		h := retentiontest.Handle{Store: memory.NewRetentionStore(), Inventory: memory.NewInventory(recs...)}
		return func() retentiontest.Handle { return h }
	})
}
