package memory_test

import (
	"testing"

	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/storetest"
)

func TestSweeper(t *testing.T) {
	storetest.RunSweeper(t, func(t *testing.T, recs []retention.Record) func() storetest.Handle {
		h := storetest.Handle{Store: memory.NewRetentionStore(), Inventory: memory.NewInventory(recs...)}
		return func() storetest.Handle { return h }
	})
}
