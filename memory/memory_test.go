package memory_test

import (
	"testing"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/storetest"
	"github.com/privacykit/privacy/subject"
)

// TestStores runs the conformance suite of every memory store.
func TestStores(t *testing.T) {
	storetest.Run(t, storetest.Factory{
		Consent:   func(t *testing.T) consent.Store { return memory.NewConsentStore() },
		State:     func(t *testing.T) subject.StateStore { return memory.NewStateStore() },
		Requests:  func(t *testing.T) dsar.RequestStore { return memory.NewRequestStore() },
		Retention: func(t *testing.T) retention.Store { return memory.NewRetentionStore() },
	})
}

// BenchmarkLedger measures the in-memory ledger; its State scans, so keep
// PRIVACY_BENCH_RECORDS small.
func BenchmarkLedger(b *testing.B) {
	storetest.BenchLedger(b, memory.NewConsentStore())
}
