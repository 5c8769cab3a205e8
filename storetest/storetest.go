package storetest

import (
	"testing"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

// Factory makes the stores Run checks: each function returns a fresh,
// empty store for one subtest and releases it with t.Cleanup. A nil field
// skips that interface.
type Factory struct {
	// Consent makes a consent.Store; when the store is a consent.Ledger,
	// the ledger suite runs too.
	Consent func(t *testing.T) consent.Store
	// State makes a subject.StateStore.
	State func(t *testing.T) subject.StateStore
	// Requests makes a dsar.RequestStore.
	Requests func(t *testing.T) dsar.RequestStore
	// Retention makes a retention.Store.
	Retention func(t *testing.T) retention.Store
}

// suite is one suite Run runs.
type suite struct {
	name string
	run  func(t *testing.T)
}

// suites returns the suites f selects, in the order Run runs them. isLedger
// reports whether the consent store is a consent.Ledger.
func (f Factory) suites(isLedger bool) []suite {
	var out []suite
	if f.Consent != nil {
		out = append(out,
			suite{"ConsentStore", func(t *testing.T) { RunConsentStore(t, f.Consent) }},
			suite{"Decisions", func(t *testing.T) { RunDecisions(t, f.Consent) }})
		if isLedger {
			out = append(out, suite{"Ledger", func(t *testing.T) {
				RunLedger(t, func(t *testing.T) consent.Ledger { return f.Consent(t).(consent.Ledger) })
			}})
		}
	}
	if f.State != nil {
		out = append(out, suite{"StateStore", func(t *testing.T) { RunStateStore(t, f.State) }})
	}
	if f.Requests != nil {
		out = append(out, suite{"RequestStore", func(t *testing.T) { RunRequestStore(t, f.Requests) }})
	}
	if f.Retention != nil {
		out = append(out, suite{"RetentionStore", func(t *testing.T) { RunRetentionStore(t, f.Retention) }})
	}
	return out
}

// Suites returns the names of the suites Run runs for f, each the name of
// its subtest; isLedger tells whether f.Consent makes a consent.Ledger
// (Run finds out by making one).
func (f Factory) Suites(isLedger bool) []string {
	var names []string
	for _, s := range f.suites(isLedger) {
		names = append(names, s.name)
	}
	return names
}

// Run runs the conformance suite of every store f makes, each as a
// subtest named after its interface (Factory.Suites). A Factory that
// makes no store fails the test: a suite that checks nothing proves
// nothing.
func Run(t *testing.T, f Factory) {
	t.Helper()
	isLedger := false
	if f.Consent != nil {
		_, isLedger = f.Consent(t).(consent.Ledger)
	}
	suites := f.suites(isLedger)
	if len(suites) == 0 {
		t.Fatal("storetest.Run: the Factory makes no store")
	}
	for _, s := range suites {
		t.Run(s.name, s.run)
	}
}

// subtest is one test of a suite over a store of type S.
type subtest[S any] struct {
	name string
	test func(t *testing.T, s S)
}

// runSuite runs each test as a parallel subtest over a fresh store.
func runSuite[S any](t *testing.T, newStore func(t *testing.T) S, tests []subtest[S]) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, newStore(t))
		})
	}
}
