// Package storetest checks that a store keeps the promises its interface
// documents, in the manner of testing/fstest: a store written anywhere,
// inside this module or outside it, proves itself with one call from its
// own tests, and the memory, sqlite and postgres stores of this module run
// the same suites.
//
//	func TestStores(t *testing.T) {
//		storetest.Run(t, storetest.Factory{
//			Consent:   func(t *testing.T) consent.Store { return mystore.NewLedger(t) },
//			State:     func(t *testing.T) subject.StateStore { return mystore.NewStates(t) },
//			Requests:  func(t *testing.T) dsar.RequestStore { return mystore.NewRequests(t) },
//			Retention: func(t *testing.T) retention.Store { return mystore.NewRetention(t) },
//		})
//	}
//
// Each function returns a fresh, empty store for one subtest and releases
// it with t.Cleanup; subtests run in parallel, so stores from one factory
// must not share data. A field left nil skips that interface.
//
// Run runs, for each store given: the consent.Store suite (ordering, hash
// chain, exact round trips, validation, concurrent appends) and decisions
// of the policies engine over it, and the consent.Ledger suite when the
// store is one (Scan, Head, batches, Latest, Lapsed, Pseudonymise, Watch);
// the subject.StateStore suite (atomic, serialised updates); the
// dsar.RequestStore suite; the retention.Store suite (holds, overrides,
// the sweep journal's lease).
//
// Suites that need more than a store have their own entry points:
// RunSweeper drives retention.Sweeper over a store and an inventory that
// several handles share (crash and resume, concurrent sweepers, records
// held after a crash); RunView checks a stateview.View kept current by its
// stores; RunTamper edits a SQL ledger by hand and requires consent.Verify
// to find it; RunReadOnly checks a read-only open against a read-write
// one. BenchLedger, BenchmarkPlan and BenchmarkSweep are the
// stores' benchmarks.
//
// The suites assert behaviour through the public interfaces only, and use
// the reference catalog (privacy.DefaultCatalog).
package storetest
