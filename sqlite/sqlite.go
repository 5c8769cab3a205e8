package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/metric"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/internal/watch"
	"github.com/privacykit/privacy/stateview"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// pragmas make every transaction take the write lock at BEGIN, so that
// appends serialise instead of failing on lock upgrade, let readers run
// beside the writer (WAL), wait for a busy lock instead of failing, and
// enforce foreign keys, and keep statement journals in memory (a
// multi-row insert of the ledger group commit would otherwise write one
// to a temporary file).
const pragmas = "_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"

// stores is the one SQL implementation of every store, which DB embeds:
// ConsentStore, StateStore, RequestStore, RetentionStore and Inventory,
// and the Now field that stamps subject-state updates.
type stores = sqlstore.Stores

// DB is an open SQLite database holding the module's stores. Its methods
// ConsentStore (consent.Ledger), StateStore (subject.StateStore),
// RequestStore (dsar.RequestStore), RetentionStore (retention.Store) and
// Inventory (retention.Inventory and retention.Eraser) return the stores
// that SQLite and PostgreSQL share; its field Now (time.Now by default)
// stamps subject-state updates, and tests may replace it before the stores
// are used.
type DB struct {
	*stores
	db *sql.DB
	// hub feeds the ledger's Watch.
	hub watch.Hub
}

// Option configures Open and OpenReadOnly.
type Option func(*sqlstore.StoresOptions)

// WithLedgerKeys seals the consent ledger's new records with the current
// key of keys (HMAC-SHA256 instead of plain SHA-256), so that
// consent.VerifyWith with the keys shows a record that someone with write
// access to the database edited and resealed. Once the ledger holds a
// keyed record, appends through a DB opened without keys fail with
// consent.ErrKeyRequired. See docs/ledger.md.
func WithLedgerKeys(keys consent.KeyProvider) Option {
	return func(o *sqlstore.StoresOptions) { o.LedgerKeys = keys }
}

// WithMeterProvider makes the consent ledger's metrics
// (privacy.ledger.appends, privacy.ledger.group.size,
// privacy.ledger.append.duration; see docs/observability.md) with mp
// instead of the global provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *sqlstore.StoresOptions) { o.MeterProvider = mp }
}

// Open opens the SQLite database at path, creating the file if it is
// absent, and applies the schema migrations it lacks. The path ":memory:"
// opens a private in-memory database.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
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
	db := &DB{db: sqldb}
	db.stores, err = sqlstore.OpenStores(ctx, sqldb, sqlstore.SQLite(), db.storesOptions(opts))
	if err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return db, nil
}

func (db *DB) storesOptions(opts []Option) sqlstore.StoresOptions {
	so := sqlstore.StoresOptions{
		Publish: db.hub.Publish,
		// Another process writing to the same file is not heard: SQLite
		// has no notifications.
		Watch: func(ctx context.Context) (<-chan consent.Change, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return db.hub.Subscribe(ctx), nil
		},
	}
	for _, o := range opts {
		o(&so)
	}
	return so
}

// Close closes the views made over the database (View;
// stateview.View.Close) and the database. Stores obtained from it fail
// afterwards.
func (db *DB) Close() error {
	views := sqlstore.CloseViews(db.stores)
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("close sqlite database: %w", err)
	}
	if views != nil {
		return fmt.Errorf("close sqlite database: %w", views)
	}
	return nil
}

// View returns an in-memory view of the consent and subject state in the
// database, for the engine to read instead of the database (see package
// stateview). Every write through this DB's stores makes the view forget
// the subject before the write returns. Writes by another process to the
// same file are not seen: use a view only where this process is the
// file's only writer.
func (db *DB) View(opts ...stateview.Option) *stateview.View {
	v, _ := sqlstore.NewView(db.stores, opts...)
	return v
}
