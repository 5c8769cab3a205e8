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
