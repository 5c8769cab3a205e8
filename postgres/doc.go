// Package postgres stores the module's consent ledger and subject state in
// PostgreSQL, for services that run more than one replica. It uses
// github.com/jackc/pgx/v5.
//
// # Basics
//
// Open connects, and brings the schema up to date; ConsentStore and
// StateStore return the stores, which satisfy consent.Store and
// subject.StateStore and pass the same conformance suite as the memory and
// sqlite stores. A write through any replica is visible to the next read in
// every replica.
//
//	db, err := postgres.Open(ctx, "postgres://app@db.internal/app?search_path=privacy")
//	if err != nil { … }
//	defer db.Close()
//
// RetentionStore keeps legal holds, controllers' retention periods and
// sweep checkpoints (retention.Store); Inventory is a table where services
// that have no index of their own register the records they hold, for a
// retention.Sweeper to plan over and erase.
//
// The consent store is a full consent.Ledger. Every append and erasure
// sends NOTIFY privacy_consent inside its transaction (payload: JSON with
// the schema, subject, purpose and seq), and Watch LISTENs on a connection
// of its own, so that a withdrawal through one replica reaches every other
// replica's watchers when it commits, without polling.
//
// View returns a stateview.View for the engine to read consent and subject
// state from memory. Subject-state updates send NOTIFY
// privacy_subject_state (payload: the schema and subject) beside the
// ledger's notifications; the view LISTENs to both on a connection of its
// own, named "privacykit-view <schema>" in pg_stat_activity, and forgets a
// subject when either arrives. While that connection is down the view
// reads through to the database, and it reconnects by itself.
//
// # Caveats
//
// The tables are created in the first schema of the connection's
// search_path, which the DSN may set. Replicas that open one fresh database
// at once apply the migrations one after the other, under an advisory lock.
// Appends to the ledger are serialised on a one-row head table: the ledger
// is a single chain, and its write throughput is that of one row lock:
// batch appends (AppendBatch) where you can. Each Watch and each View holds one
// connection outside the pool until its context ends or the DB closes.
package postgres
