package memory_test

import (
	"testing"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/storetest"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

func TestConsentStore(t *testing.T) {
	storetest.RunConsentStore(t, func(t *testing.T) consent.Store { return memory.NewConsentStore() })
}

func TestLedger(t *testing.T) {
	storetest.RunLedger(t, func(t *testing.T) consent.Ledger { return memory.NewConsentStore() })
}

func TestDecisions(t *testing.T) {
	storetest.RunDecisions(t, func(t *testing.T) consent.Store { return memory.NewConsentStore() })
}

func TestStateStore(t *testing.T) {
	storetest.RunStateStore(t, func(t *testing.T) subject.StateStore { return memory.NewStateStore() })
}

// BenchmarkLedger measures the in-memory ledger; its State scans, so keep
// PRIVACY_BENCH_RECORDS small.
func BenchmarkLedger(b *testing.B) {
	storetest.BenchLedger(b, memory.NewConsentStore())
}
