// Package sqlite stores the module's consent ledger and subject state in a
// SQLite database file, the embedded default. It uses modernc.org/sqlite, a
// pure-Go SQLite, so that no cgo is needed.
//
// # Basics
//
// Open creates the file if it is absent and brings its schema up to date;
// ConsentStore and StateStore return the stores, which satisfy
// consent.Store and subject.StateStore and pass the same conformance suite
// as the memory and postgres stores.
//
//	db, err := sqlite.Open(ctx, "privacy.db")
//	if err != nil { … }
//	defer db.Close()
//	rec, err := consent.Grant(ctx, db.ConsentStore(), catalog, consent.Record{…})
//
// RetentionStore keeps legal holds, controllers' retention periods and
// sweep checkpoints (retention.Store); Inventory is a table where services
// that have no index of their own register the records they hold, for a
// retention.Sweeper to plan over and erase.
//
// The consent store is a full consent.Ledger: besides Append, State,
// History and Record it scans the chain for consent.Verify, appends
// batches in one transaction, lists stale consents, pseudonymises an
// erased subject's records and reports changes to watchers in this process.
//
// View returns a stateview.View for the engine to read consent and subject
// state from memory; every write through the DB's stores makes it forget
// the subject before the write returns.
//
// # Caveats
//
// Every transaction takes SQLite's write lock when it begins (BEGIN
// IMMEDIATE), which is what makes appends to the ledger serial; the
// database runs in WAL mode and a busy connection waits up to ten seconds
// for the lock. Several processes may open one file on a local disk; use
// PostgreSQL when several hosts share the data. Watch sees the changes made
// through one DB only: another process writing to the same file is not
// heard (SQLite has no notifications), so a cache in that process must not
// be trusted for withdrawals made elsewhere, and neither may a View. ":memory:" opens a private
// in-memory database over a single connection, gone at Close.
package sqlite
