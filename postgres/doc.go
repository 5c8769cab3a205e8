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
// # Caveats
//
// The tables are created in the first schema of the connection's
// search_path, which the DSN may set. Replicas that open one fresh database
// at once apply the migrations one after the other, under an advisory lock.
// Appends to the ledger are serialised on a one-row head table: the ledger
// is a single chain, and its write throughput is that of one row lock.
package postgres
