// Package sqlstore implements every store once, over database/sql, for
// both SQLite and PostgreSQL: the consent ledger (consent.Ledger), subject
// state (subject.StateStore), data-subject requests (dsar.RequestStore),
// retention (retention.Store: holds, controllers' periods, sweep leases,
// checkpoints and audit) and a ready-made retention inventory table
// (migrations 0100-0102 belong to the retention work). What differs
// between the engines is in Dialect and nowhere else. Stores hands the
// stores of one database out; the packages sqlite and postgres open the
// database, choose the Dialect, embed Stores in their DB and add only what
// their engine alone does (LISTEN/NOTIFY on PostgreSQL).
//
// Each public method owns its transaction and calls unexported helpers that
// take it, so that calls compose. Times are stored as BIGINT unix
// nanoseconds, so that a record read back hashes as it did when it was
// sealed; categories as a JSON text column. The schema is created and
// updated by Migrate from numbered, embedded migrations.
//
// Serialisation: on SQLite every transaction begins IMMEDIATE (the DSN sets
// _txlock=immediate) and so holds the write lock from its start; on
// PostgreSQL Update locks the subject's row with SELECT … FOR UPDATE, and
// a ledger group commit moves the one-row ledger head by compare-and-set
// in the one statement that inserts its records (Dialect.appendRecords),
// or, when another process moved it, locks it with SELECT … FOR UPDATE.
// Appends of one process are gathered into group commits (group.go).
//
// The ledger's migrations are numbered from 0300: 0300 adds subject_ref
// (the pseudonym the record hash covers) and the table of the key it is
// made with; 0304 keeps the index by subject_ref for erased records only.
// On PostgreSQL, writes to the ledger send NOTIFY in their transaction
// (Dialect.notify); the postgres package listens.
package sqlstore
