package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/internal/watch"
	"github.com/privacykit/privacy/subject"
)

var (
	_ consent.Ledger     = (*ConsentStore)(nil)
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
	key  []byte

	// hooks keep this process's views current on its own writes.
	hooks watch.Hooks

	// stop ends the watchers' goroutines at Close; watchers counts them.
	stop     context.Context
	cancel   context.CancelFunc
	watchers sync.WaitGroup
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
	db.stop, db.cancel = context.WithCancel(context.Background())
	if err := sqlstore.Migrate(ctx, sqldb, sqlstore.Postgres(), db.now); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	if db.key, err = sqlstore.LoadSubjectKey(ctx, sqldb, sqlstore.Postgres()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	return db, nil
}

// Close stops the watchers, closing their channels, and closes the
// database's connections. Stores obtained from it fail afterwards.
func (db *DB) Close() error {
	db.cancel()
	db.watchers.Wait()
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
	return &ConsentStore{db: db, s: sqlstore.NewConsentStore(db.db, sqlstore.Postgres(), sqlstore.ConsentOptions{
		SubjectKey: db.key,
		Publish:    db.hooks.Changed,
	})}
}

// StateStore returns the subject-state store kept in the database.
func (db *DB) StateStore() *StateStore {
	return &StateStore{s: sqlstore.NewStateStore(db.db, sqlstore.Postgres(), sqlstore.StateOptions{Now: db.now, Changed: db.hooks.Call})}
}

// ConsentStore is the consent ledger in a PostgreSQL database. It is safe
// for concurrent use, by any number of processes. It implements every
// capability of consent.Ledger.
type ConsentStore struct {
	db *DB
	s  *sqlstore.ConsentStore
}

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

// Watch returns a channel of the changes committed to the ledger after it
// returns, by this process or any other using the same schema. Each append
// or erasure sends NOTIFY privacy_consent in its transaction; Watch holds a
// connection of its own (outside the pool) that LISTENs and waits for
// notifications, so that nothing polls. Watch returns once LISTEN is in
// effect.
//
// The channel is closed when ctx is done, when the DB is closed, or when
// the connection fails: then changes may have been missed. A slow reader
// holds notifications back in the server's queue; none is dropped.
func (s *ConsentStore) Watch(ctx context.Context) (<-chan consent.Change, error) {
	return s.db.watch(ctx)
}

func (db *DB) watch(ctx context.Context) (<-chan consent.Change, error) {
	conn, schema, err := db.listen(ctx, "privacykit-watch", sqlstore.NotifyChannel)
	if err != nil {
		return nil, fmt.Errorf("watch consent ledger: %w", err)
	}
	ch := make(chan consent.Change, 64)
	db.run(ctx, func(ctx context.Context) {
		defer close(ch)
		defer conn.Close(context.Background())
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			p, ok := parseNotification(n.Payload)
			if !ok {
				// Not ours to read: whatever changed, say so.
				p = notification{Schema: schema}
			}
			if p.Schema != schema {
				continue
			}
			select {
			case ch <- consent.Change{SubjectID: p.Subject, Purpose: p.Purpose, Seq: p.Seq}:
			case <-ctx.Done():
				return
			}
		}
	})
	return ch, nil
}

// notification is the payload of the module's NOTIFYs.
type notification struct {
	Schema  string `json:"schema"`
	Subject string `json:"subject"`
	Purpose string `json:"purpose"`
	Seq     int64  `json:"seq"`
}

func parseNotification(payload string) (notification, bool) {
	var p notification
	return p, json.Unmarshal([]byte(payload), &p) == nil
}

// listen opens a connection of its own, outside the pool, named app and
// the schema in pg_stat_activity, that LISTENs on the channels, and returns it with the
// schema that the pool's connections use.
func (db *DB) listen(ctx context.Context, app string, channels ...string) (*pgx.Conn, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if db.stop.Err() != nil {
		return nil, "", errors.New("database closed")
	}
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, "", sqlstore.Translate(err)
	}
	var schema string
	err = conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema)
	if err == nil {
		// The schema beside the name, for an operator looking at
		// pg_stat_activity (and a test that cuts the connection).
		_, err = conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, app+" "+schema)
	}
	for _, c := range channels {
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{c}.Sanitize())
		}
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, "", sqlstore.Translate(err)
	}
	return conn, schema, nil
}

// run runs fn in a goroutine that Close waits for, with a context that ends
// with ctx or at Close.
func (db *DB) run(ctx context.Context, fn func(context.Context)) {
	ctx, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(db.stop, cancel)
	db.watchers.Add(1)
	go func() {
		defer db.watchers.Done()
		defer stopOnClose()
		defer cancel()
		fn(ctx)
	}()
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
