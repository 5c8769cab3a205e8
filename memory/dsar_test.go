package memory_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/storetest"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

func TestRequestStore(t *testing.T) {
	storetest.RunRequestStore(t, func(t *testing.T) subject.RequestStore { return memory.NewRequestStore() })
}
