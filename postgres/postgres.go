package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/subject"
)

var (
	_ consent.Store      = (*ConsentStore)(nil)
	_ subject.StateStore = (*StateStore)(nil)
)

// DB is an open PostgreSQL database holding the module's stores.
type DB struct {
	// Now returns the current time; it stamps subject-state updates.
	// Tests may replace it before the stores are used. Open sets
	// time.Now.
	Now func() time.Time

	// pool stays reachable beside db for what database/sql cannot do,
	// such as LISTEN/NOTIFY.
	pool *pgxpool.Pool
	db   *sql.DB
}

// Open connects to the PostgreSQL database at dsn (a postgres:// URL or
// key=value string; search_path chooses the schema) and applies the schema
// migrations it lacks.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn redacts the password from its message.
		return nil, fmt.Errorf("open postgres database: %s", err.Error())
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %s", err.Error())
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	db := &DB{Now: time.Now, pool: pool, db: sqldb}
	if err := sqlstore.Migrate(ctx, sqldb, sqlstore.Postgres(), db.now); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	return db, nil
}

// Close closes the database's connections. Stores obtained from it fail
// afterwards.
func (db *DB) Close() error {
	err := db.db.Close()
	db.pool.Close()
	if err != nil {
		return fmt.Errorf("close postgres database: %s", err.Error())
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
	return &ConsentStore{s: sqlstore.NewConsentStore(db.db, sqlstore.Postgres())}
}

// StateStore returns the subject-state store kept in the database.
func (db *DB) StateStore() *StateStore {
	return &StateStore{s: sqlstore.NewStateStore(db.db, sqlstore.Postgres(), db.now)}
}

// ConsentStore is the consent ledger in a PostgreSQL database. It is safe
// for concurrent use, by any number of processes.
type ConsentStore struct{ s *sqlstore.ConsentStore }

// Append validates r, assigns RecordID and Seq, seals it to the last record
// and stores it, serialised with every other append in every process. It
// returns the stored record (times in UTC), or a *privacy.ValidationError
// for a bad record.
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

// StateStore keeps subjects' state in a PostgreSQL database. It is safe for
// concurrent use, by any number of processes.
type StateStore struct{ s *sqlstore.StateStore }

// State returns the subject's state, the zero State (SubjectID set, no
// objections) for a subject never seen.
func (s *StateStore) State(ctx context.Context, subjectID string) (subject.State, error) {
	return s.s.State(ctx, subjectID)
}

// Update reads the subject's state, calls fn on it and stores the result in
// one transaction that holds the subject's row locked; an error from fn
// aborts and is returned. UpdatedAt is set from DB.Now.
func (s *StateStore) Update(ctx context.Context, subjectID string, fn func(*subject.State) error) error {
	return s.s.Update(ctx, subjectID, fn)
}
