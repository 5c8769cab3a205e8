package sqlite_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/storetest"
	"github.com/privacykit/privacy/subject"
)

func TestRequestStore(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		storetest.RunRequestStore(t, func(t *testing.T) subject.RequestStore { return open(t, tempFile(t)).RequestStore() })
	})
	t.Run("memory", func(t *testing.T) {
		storetest.RunRequestStore(t, func(t *testing.T) subject.RequestStore { return open(t, ":memory:").RequestStore() })
	})
}
