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
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/metric"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/stateview"
)

// stores is the one SQL implementation of every store, which DB embeds:
// ConsentStore, StateStore, RequestStore, RetentionStore and Inventory,
// and the Now field that stamps subject-state updates.
type stores = sqlstore.Stores

// DB is an open PostgreSQL database holding the module's stores. Its
// methods ConsentStore (consent.Ledger), StateStore (subject.StateStore),
// RequestStore (dsar.RequestStore), RetentionStore (retention.Store) and
// Inventory (retention.Inventory and retention.Eraser) return the stores
// that SQLite and PostgreSQL share, safe for concurrent use by any number
// of processes; its field Now (time.Now by default) stamps subject-state
// updates, and tests may replace it before the stores are used.
//
// Every write to the ledger or to a subject's state sends NOTIFY in its
// transaction. The ledger's Watch holds a connection of its own (outside
// the pool) that LISTENs, so that nothing polls, and returns once LISTEN
// is in effect; its channel is closed when ctx is done, when the DB is
// closed, or when the connection fails: then changes may have been missed.
// A slow reader holds notifications back in the server's queue; none is
// dropped.
type DB struct {
	*stores

	// pool stays reachable beside db for what database/sql cannot do,
	// such as LISTEN/NOTIFY.
	pool *pgxpool.Pool
	db   *sql.DB

	// heartbeat is how often Watch checks its connection.
	heartbeat time.Duration
	// stop ends the watchers' goroutines at Close; watchers counts them.
	stop     context.Context
	cancel   context.CancelFunc
	watchers sync.WaitGroup
}

// Option configures Open and OpenReadOnly.
type Option func(*config)

// config is what the Options set.
type config struct {
	stores sqlstore.StoresOptions
	// heartbeat is how often Watch checks its connection.
	heartbeat time.Duration
}

// WithWatchHeartbeat sets how often the ledger's Watch checks its LISTEN
// connection with a query round trip, which is also the query's deadline
// (default a third of stateview.DefaultMaxStaleness). A connection gone
// silent, as in a network partition that closes nothing, closes the
// channel within two heartbeats. Views take their heartbeat from
// stateview.WithMaxStaleness instead.
func WithWatchHeartbeat(d time.Duration) Option {
	return func(c *config) { c.heartbeat = d }
}

// WithLedgerKeys seals the consent ledger's new records with the current
// key of keys (HMAC-SHA256 instead of plain SHA-256), so that
// consent.VerifyWith with the keys shows a record that someone with write
// access to the database edited and resealed. Once the ledger holds a
// keyed record, appends through a DB opened without keys fail with
// consent.ErrKeyRequired. See docs/ledger.md.
func WithLedgerKeys(keys consent.KeyProvider) Option {
	return func(c *config) { c.stores.LedgerKeys = keys }
}

// WithMeterProvider makes the consent ledger's metrics
// (privacy.ledger.appends, privacy.ledger.group.size,
// privacy.ledger.append.duration; see docs/observability.md) with mp
// instead of the global provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.stores.MeterProvider = mp }
}

// Open connects to the PostgreSQL database at dsn (a postgres:// URL or
// key=value string; search_path chooses the schema) and applies the schema
// migrations it lacks.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	return open(ctx, dsn, false, opts)
}

// OpenReadOnly connects to the PostgreSQL database at dsn for reading
// only: every transaction is read-only (default_transaction_read_only),
// no migration is applied and no key is created. A schema that lacks
// migrations is refused, naming them (Open applies them).
func OpenReadOnly(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	return open(ctx, dsn, true, opts)
}

func open(ctx context.Context, dsn string, readOnly bool, opts []Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn redacts the password from its message.
		return nil, fmt.Errorf("open postgres database: %s", err.Error())
	}
	openStores := sqlstore.OpenStores
	if readOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
		openStores = sqlstore.OpenStoresReadOnly
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %s", err.Error())
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	db := &DB{pool: pool, db: sqldb}
	db.stop, db.cancel = context.WithCancel(context.Background())
	c := config{stores: sqlstore.StoresOptions{Watch: db.watch}, heartbeat: stateview.DefaultMaxStaleness / 3}
	for _, o := range opts {
		o(&c)
	}
	db.heartbeat = c.heartbeat
	db.stores, err = openStores(ctx, sqldb, sqlstore.Postgres(), c.stores)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	return db, nil
}

// Close stops the watchers, closing their channels, closes the views made
// over the database (View; stateview.View.Close) and the database's
// connections. Stores obtained from it fail afterwards.
func (db *DB) Close() error {
	db.cancel()
	db.watchers.Wait()
	err := errors.Join(db.db.Close(), sqlstore.CloseViews(db.stores))
	db.pool.Close()
	if err != nil {
		return fmt.Errorf("close postgres database: %s", err.Error())
	}
	return nil
}

func (db *DB) watch(ctx context.Context) (<-chan consent.Change, error) {
	conn, schema, err := db.listen(ctx, "privacykit-watch", sqlstore.NotifyChannel)
	if err != nil {
		return nil, fmt.Errorf("watch consent ledger: %w", err)
	}
	ch := make(chan consent.Change, 64)
	db.run(ctx, func(ctx context.Context) {
		defer close(ch)
		// The heartbeat closes the channel within seconds of the
		// connection going silent, so that the reader knows it may have
		// missed changes.
		listening(ctx, conn, db.heartbeat, func(n *pgconn.Notification) error {
			p, ok := parseNotification(n.Payload)
			if !ok {
				// Not ours to read: whatever changed, say so.
				p = notification{Schema: schema}
			}
			if p.Schema != schema {
				return nil
			}
			select {
			case ch <- consent.Change{SubjectID: p.Subject, Purpose: p.Purpose, Seq: p.Seq}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, func(time.Time) {})
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
