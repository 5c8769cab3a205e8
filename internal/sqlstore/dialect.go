package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
)

// Dialect holds everything that differs between the SQL engines the stores
// run on. Queries are otherwise shared: both engines accept $n placeholders,
// BIGINT, TEXT and BOOLEAN columns and INSERT … ON CONFLICT.
type Dialect struct {
	name string
	// forUpdate is appended to a SELECT that must lock the rows it reads
	// until the transaction ends. SQLite has no row locks: the stores open
	// its transactions with BEGIN IMMEDIATE, which takes the database's
	// write lock up front.
	forUpdate string
	// lockHolds, if set, runs first in a transaction that erases
	// inventory records, so that no hold is placed or released until it
	// commits (SQLite's write lock already does this).
	lockHolds string
	// lockMigrations runs first in the migration transaction so that
	// processes opening one database at once apply migrations one after the
	// other. SQLite needs none beyond BEGIN IMMEDIATE.
	lockMigrations string
	// notify, if set, is run in each transaction that changes the ledger,
	// with three arrays ($1 subjects, $2 purposes, $3 seqs), to tell other
	// processes (PostgreSQL NOTIFY). SQLite has no such thing.
	notify string
	// appendRecords, if set, appends a group of records in one statement
	// (one round trip, its own transaction): it moves the head from $4,
	// $5 to $1, $2 with key id $3, inserts the records given as one array
	// per column of insertColumns ($6 to $26) and notifies as notify does
	// with its arrays as $27 to $29, or, when the
	// head is no longer at $4, $5, does nothing. It returns how many
	// records it inserted and how many notifications it sent.
	appendRecords string
	// notifyState, if set, is run in each transaction that changes a
	// subject's state, with the subject ($1), to tell other processes.
	notifyState string
	// conflict reports whether a driver error is a unique or primary-key
	// violation.
	conflict func(error) bool
	// packedScan: Scan reads each record as its seq and one text that
	// packs the other columns (scanQuery), which costs the engine a concat
	// per record and saves the driver 19 columns. It pays on SQLite, whose
	// driver runs in the process and pays per column; PostgreSQL's server
	// took longer to build the text than pgx took to read the columns
	// (1,000,000 records: 9.95 s packed, 7.31 s not, docs/benchmarks.md).
	packedScan bool
	// utf8Text: the engine's text holds UTF-8 without NUL only
	// (PostgreSQL), so no row can match an id that is not (storable).
	utf8Text bool
}

// SQLite returns the dialect of SQLite (modernc.org/sqlite). The database
// must be opened with _txlock=immediate so that every transaction holds the
// write lock from its start.
func SQLite() Dialect {
	return Dialect{
		name:       "sqlite",
		packedScan: true,
		conflict: func(err error) bool {
			// modernc.org/sqlite's *Error; matched by method so that this
			// package imports no driver.
			var e interface{ Code() int }
			if !errors.As(err, &e) {
				return false
			}
			const (
				constraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
				constraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
			)
			return e.Code() == constraintPrimaryKey || e.Code() == constraintUnique
		},
	}
}

// Postgres returns the dialect of PostgreSQL (github.com/jackc/pgx/v5).
func Postgres() Dialect {
	return Dialect{
		name:      "postgres",
		utf8Text:  true,
		forUpdate: " FOR UPDATE",
		lockHolds: "LOCK TABLE privacy_retention_holds IN SHARE MODE",
		// One lock per schema, so that tests in separate schemas of one
		// database do not wait for each other.
		lockMigrations: `SELECT pg_advisory_xact_lock(hashtext('privacykit.migrate'), hashtext(coalesce(current_schema(), '')))`,
		// One channel for every schema; the payload names the schema so
		// that listeners can skip the others. Delivered at commit.
		notify: notifyLedger("$1", "$2", "$3"),
		// Group commits: one round trip instead of six (begin, lock the
		// head, insert, move the head, notify, commit).
		appendRecords: `WITH moved AS (
	UPDATE privacy_consent_head SET seq = $1, hash = $2, key_id = $3
	WHERE id = 1 AND seq = $4 AND hash = $5
	RETURNING 1
), stored AS (
	INSERT INTO privacy_consent_records (` + insertColumns + `)
	SELECT * FROM unnest($6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
		$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
		$20::bigint[], $21::bigint[], $22::boolean[], $23::text[], $24::text[], $25::text[], $26::text[])
	WHERE EXISTS (SELECT 1 FROM moved)
	RETURNING 1
)
SELECT (SELECT count(*) FROM stored), (SELECT count(*) FROM (` + notifyLedger("$27", "$28", "$29") + `
	WHERE EXISTS (SELECT 1 FROM moved)) AS sent)`,
		notifyState: `SELECT pg_notify(` + StateNotifyChannelLiteral + `, CASE WHEN octet_length(n.payload) <= 7900 THEN n.payload
	ELSE json_build_object('schema', current_schema(), 'subject', '')::text END)
FROM (SELECT json_build_object('schema', current_schema(), 'subject', $1::text)::text AS payload) AS n`,
		conflict: func(err error) bool {
			// pgconn's *PgError.
			var e interface{ SQLState() string }
			return errors.As(err, &e) && e.SQLState() == "23505" // unique_violation
		},
	}
}

// notifyLedger returns the SELECT that sends a notification on
// NotifyChannel for each subject, purpose and seq of three arrays (SQL
// expressions). A payload over the 8000 bytes a notification holds (a long
// subject, or one whose quotes and control bytes JSON escapes to several
// bytes each) names no subject: "" tells listeners that anything may have
// changed.
func notifyLedger(subjects, purposes, seqs string) string {
	return `SELECT pg_notify(` + NotifyChannelLiteral + `, CASE WHEN octet_length(n.payload) <= 7900 THEN n.payload
	ELSE json_build_object('schema', current_schema(), 'subject', '', 'purpose', '', 'seq', n.q)::text END)
FROM (SELECT json_build_object('schema', current_schema(), 'subject', t.s, 'purpose', t.p, 'seq', t.q)::text AS payload, t.q AS q
	FROM unnest(` + subjects + `::text[], ` + purposes + `::text[], ` + seqs + `::bigint[]) AS t(s, p, q)) AS n`
}

// NotifyChannel is the PostgreSQL channel of ledger changes. Its payload is
// JSON: {"schema": …, "subject": …, "purpose": …, "seq": …}.
const NotifyChannel = "privacy_consent"

// NotifyChannelLiteral is NotifyChannel as an SQL string literal.
const NotifyChannelLiteral = "'" + NotifyChannel + "'"

// StateNotifyChannel is the PostgreSQL channel of subject-state changes.
// Its payload is JSON: {"schema": …, "subject": …}; an empty subject means
// any subject.
const StateNotifyChannel = "privacy_subject_state"

// StateNotifyChannelLiteral is StateNotifyChannel as an SQL string literal.
const StateNotifyChannelLiteral = "'" + StateNotifyChannel + "'"

// Name returns the engine's name: "sqlite" or "postgres".
func (d Dialect) Name() string { return d.name }

// translate turns a driver error into one of the module's: cancellation
// stays recognisable with errors.Is, a unique violation becomes
// privacy.ErrConflict, and anything else keeps its message but not the
// driver's type, so that no driver type leaks through the stores' API.
func (d Dialect) translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case d.conflict != nil && d.conflict(err):
		return fmt.Errorf("%w: %s", privacy.ErrConflict, err.Error())
	}
	var ve *privacy.ValidationError
	if errors.As(err, &ve) || errors.Is(err, consent.ErrKeyRequired) {
		return err
	}
	return errors.New(err.Error())
}

// Translate turns a driver error into one of the module's, as the stores
// do, for code beside them that talks to the driver directly.
func Translate(err error) error { return Postgres().translate(err) }

// readOnly returns the options of transactions that only read. On SQLite
// they begin DEFERRED instead of IMMEDIATE, so that in WAL mode they read a
// snapshot beside the writer instead of queueing for its lock.
func readOnly() *sql.TxOptions { return &sql.TxOptions{ReadOnly: true} }

// storable reports whether every id is text the database can hold. On
// PostgreSQL, whose text holds UTF-8 without NUL only, an id that is not
// has nothing on record: reads answer so without asking the database,
// which would fail where SQLite and the memory stores find nothing.
// (SQLite keeps any bytes, such as a record written by hand that Verify
// must read back, so it is asked.)
func (d *Dialect) storable(ids ...string) bool {
	if !d.utf8Text {
		return true
	}
	for _, id := range ids {
		if !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
			return false
		}
	}
	return true
}
