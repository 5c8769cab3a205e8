package memory_test

import (
	"testing"

	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/storetest"
	"github.com/privacykit/privacy/memory"
)

func TestRequestStore(t *testing.T) {
	storetest.RunRequestStore(t, func(t *testing.T) dsar.RequestStore { return memory.NewRequestStore() })
}
