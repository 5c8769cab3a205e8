package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/internal/watch"
	"github.com/privacykit/privacy/stateview"
	"github.com/privacykit/privacy/subject"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var (
	_ consent.Ledger     = (*ConsentStore)(nil)
	_ subject.StateStore = (*StateStore)(nil)
)

// pragmas make every transaction take the write lock at BEGIN, so that
// appends serialise instead of failing on lock upgrade, let readers run
// beside the writer (WAL), wait for a busy lock instead of failing, and
// enforce foreign keys.
const pragmas = "_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"

// DB is an open SQLite database holding the module's stores.
type DB struct {
	// Now returns the current time; it stamps subject-state updates.
	// Tests may replace it before the stores are used. Open sets
	// time.Now.
	Now func() time.Time

	db  *sql.DB
	key []byte
	// hub feeds Watch; hooks keep this process's views current.
	hub   watch.Hub
	hooks watch.Hooks
}

// Open opens the SQLite database at path, creating the file if it is
// absent, and applies the schema migrations it lacks. The path ":memory:"
// opens a private in-memory database.
func Open(ctx context.Context, path string) (*DB, error) {
	memory := path == ":memory:"
	dsn := ":memory:?" + pragmas
	if !memory {
		// A file: URI, so that any character of the path survives.
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	}
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if memory {
		// Each connection to :memory: is a database of its own: keep
		// exactly one, forever.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
	}
	db := &DB{Now: time.Now, db: sqldb}
	if err := sqlstore.Migrate(ctx, sqldb, sqlstore.SQLite(), db.now); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if db.key, err = sqlstore.LoadSubjectKey(ctx, sqldb, sqlstore.SQLite()); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database. Stores obtained from it fail afterwards.
func (db *DB) Close() error {
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("close sqlite database: %w", err)
	}
	return nil
}

func (db *DB) now() time.Time {
	if db.Now == nil {
		return time.Now()
	}
	return db.Now()
}

// ConsentStore returns the consent ledger kept in the database.
func (db *DB) ConsentStore() *ConsentStore {
	return &ConsentStore{db: db, s: sqlstore.NewConsentStore(db.db, sqlstore.SQLite(), sqlstore.ConsentOptions{
		SubjectKey: db.key,
		Publish: func(cs ...consent.Change) {
			db.hooks.Changed(cs...)
			db.hub.Publish(cs...)
		},
	})}
}

// StateStore returns the subject-state store kept in the database.
func (db *DB) StateStore() *StateStore {
	return &StateStore{s: sqlstore.NewStateStore(db.db, sqlstore.SQLite(), sqlstore.StateOptions{Now: db.now, Changed: db.hooks.Call})}
}

// View returns an in-memory view of the consent and subject state in the
// database, for the engine to read instead of the database (see package
// stateview). Every write through this DB's stores makes the view forget
// the subject before the write returns. Writes by another process to the
// same file are not seen: use a view only where this process is the
// file's only writer.
func (db *DB) View(opts ...stateview.Option) *stateview.View {
	v := stateview.New(db.ConsentStore(), db.StateStore(), opts...)
	db.hooks.Add(v.Forget)
	return v
}

// ConsentStore is the consent ledger in a SQLite database. It is safe for
// concurrent use. It implements every capability of consent.Ledger.
type ConsentStore struct {
	db *DB
	s  *sqlstore.ConsentStore
}

// Append validates r, assigns RecordID and Seq, seals it to the last record
// and stores it, serialised with every other append. It returns the stored
// record (times in UTC), or a *privacy.ValidationError for a bad record.
func (s *ConsentStore) Append(ctx context.Context, r consent.Record) (consent.Record, error) {
	return s.s.Append(ctx, r)
}

// State returns the latest record for the subject and purpose collected at
// or before at, ties broken by ledger order; a zero Event when there is
// none.
func (s *ConsentStore) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	return s.s.State(ctx, subjectID, purpose, at)
}

// History returns every record of the subject in ledger order, or an empty
// slice.
func (s *ConsentStore) History(ctx context.Context, subjectID string) ([]consent.Record, error) {
	return s.s.History(ctx, subjectID)
}

// Record returns the record with the id, or an error wrapping
// consent.ErrNotFound.
func (s *ConsentStore) Record(ctx context.Context, recordID string) (consent.Record, error) {
	return s.s.Record(ctx, recordID)
}

// AppendBatch validates every record, then appends them all in one
// transaction, in the order given, with consecutive Seqs: all or none. It
// returns the stored records, or a *privacy.ValidationError whose Field
// names the record ("records[2].purpose").
func (s *ConsentStore) AppendBatch(ctx context.Context, rs []consent.Record) ([]consent.Record, error) {
	return s.s.AppendBatch(ctx, rs)
}

// Scan calls fn with every record whose Seq is greater than afterSeq, in
// Seq order, reading a thousand records per transaction.
func (s *ConsentStore) Scan(ctx context.Context, afterSeq int64, fn func(consent.Record) error) error {
	return s.s.Scan(ctx, afterSeq, fn)
}

// Head returns the Seq and Hash of the last record appended, as the
// ledger's head row holds them.
func (s *ConsentStore) Head(ctx context.Context) (consent.Head, error) {
	return s.s.Head(ctx)
}

// Stale returns, sorted, the subjects whose latest record for the purpose
// is a given consent under a policy version older than version: those who
// must be asked again.
func (s *ConsentStore) Stale(ctx context.Context, purpose, version string) ([]string, error) {
	return s.s.Stale(ctx, purpose, version)
}

// Lapsed returns up to limit given consents whose expiry is at or before
// at with no later record, for consent.RecordExpiries.
func (s *ConsentStore) Lapsed(ctx context.Context, at time.Time, limit int) ([]consent.State, error) {
	return s.s.Lapsed(ctx, at, limit)
}

// SubjectRef returns the subject's pseudonym in this ledger, keyed with the
// database's subject key.
func (s *ConsentStore) SubjectRef(subjectID string) string { return s.s.SubjectRef(subjectID) }

// Pseudonymise blanks the subject's id in every record that has a
// SubjectRef, keeping the records and the chain, and returns how many it
// changed.
func (s *ConsentStore) Pseudonymise(ctx context.Context, subjectID string) (int64, error) {
	return s.s.Pseudonymise(ctx, subjectID)
}

// PartlyErased returns the first record whose subject id is blank while an
// earlier record of the same subject keeps it, for consent.Verify.
func (s *ConsentStore) PartlyErased(ctx context.Context) (consent.Record, bool, error) {
	return s.s.PartlyErased(ctx)
}

// Watch returns a channel of the changes committed through this DB after
// it returns, by any of its ConsentStores. Another process writing to the
// same file is not seen: SQLite has no notifications. The channel is
// closed when ctx is done, or when the watcher falls more than 1024
// changes behind.
func (s *ConsentStore) Watch(ctx context.Context) (<-chan consent.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.db.hub.Subscribe(ctx), nil
}

// StateStore keeps subjects' state in a SQLite database. It is safe for
// concurrent use.
type StateStore struct{ s *sqlstore.StateStore }

// State returns the subject's state, the zero State (SubjectID set, no
// objections) for a subject never seen.
func (s *StateStore) State(ctx context.Context, subjectID string) (subject.State, error) {
	return s.s.State(ctx, subjectID)
}

// Update reads the subject's state, calls fn on it and stores the result in
// one transaction, serialised with every other write; an error from fn
// aborts and is returned. UpdatedAt is set from DB.Now.
func (s *StateStore) Update(ctx context.Context, subjectID string, fn func(*subject.State) error) error {
	return s.s.Update(ctx, subjectID, fn)
}
