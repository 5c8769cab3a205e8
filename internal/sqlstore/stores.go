package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/watch"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/stateview"
	"github.com/privacykit/privacy/subject"
)

var (
	_ consent.Ledger      = (*ConsentStore)(nil)
	_ subject.StateStore  = (*StateStore)(nil)
	_ dsar.RequestStore   = (*RequestStore)(nil)
	_ retention.Store     = (*RetentionStore)(nil)
	_ retention.Inventory = (*Inventory)(nil)
	_ retention.Eraser    = (*Inventory)(nil)
)

// Stores hands out the stores of one open database: every store has one
// implementation for every engine, the Dialect being the only difference.
// sqlite.DB and postgres.DB embed it and add how they open the database
// and what only their engine does (ledger notifications to other
// processes on PostgreSQL).
type Stores struct {
	// Now returns the current time; it stamps subject-state updates and
	// migrations. Tests may replace it before the stores are used. Open
	// sets time.Now.
	Now func() time.Time

	db  *sql.DB
	d   Dialect
	key []byte
	// hooks keep this process's views current on its own writes.
	hooks watch.Hooks
	o     StoresOptions
	// group gathers the ledger appends of every ConsentStore handed out.
	group group
	// views are the views made over these stores (NewView), closed with
	// the database (CloseViews).
	viewsMu sync.Mutex
	views   []*stateview.View
}

// StoresOptions holds what an engine adds to the stores.
type StoresOptions struct {
	// Publish, if set, is called with the changes of each committed
	// ledger write, after the views of this process forgot them.
	Publish func(...consent.Change)
	// Watch implements ConsentStore.Watch.
	Watch func(ctx context.Context) (<-chan consent.Change, error)
	// LedgerKeys, if set, seals new ledger records with its current key
	// (ConsentOptions.Keys).
	LedgerKeys consent.KeyProvider
	// MeterProvider makes the ledger's metrics; nil means the global one
	// (otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

// OpenStores brings db's schema up to date (Migrate), loads its subject
// key and returns its stores.
func OpenStores(ctx context.Context, db *sql.DB, d Dialect, o StoresOptions) (*Stores, error) {
	s := &Stores{Now: time.Now, db: db, d: d, o: o}
	if err := Migrate(ctx, db, d, s.now); err != nil {
		return nil, err
	}
	key, err := LoadSubjectKey(ctx, db, d)
	if err != nil {
		return nil, err
	}
	s.key = key
	if s.group.metrics, err = newLedgerMetrics(o.MeterProvider); err != nil {
		return nil, fmt.Errorf("ledger metrics: %w", err)
	}
	return s, nil
}

func (s *Stores) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// ConsentStore returns the consent ledger kept in the database. It is
// safe for concurrent use, by any number of processes sharing the
// database, and implements every capability of consent.Ledger.
func (s *Stores) ConsentStore() *ConsentStore {
	return NewConsentStore(s.db, s.d, ConsentOptions{
		SubjectKey: s.key,
		Keys:       s.o.LedgerKeys,
		Publish: func(cs ...consent.Change) {
			s.hooks.Changed(cs...)
			if s.o.Publish != nil {
				s.o.Publish(cs...)
			}
		},
		Watch: s.o.Watch,
		group: &s.group,
	})
}

// StateStore returns the subject-state store kept in the database
// (subject.StateStore); UpdatedAt is stamped from Now.
func (s *Stores) StateStore() *StateStore {
	return NewStateStore(s.db, s.d, StateOptions{Now: s.now, Changed: s.hooks.Call})
}

// RequestStore returns the store of data-subject requests kept in the
// database (dsar.RequestStore).
func (s *Stores) RequestStore() *RequestStore { return NewRequestStore(s.db, s.d) }

// RetentionStore returns the store of legal holds, controllers' retention
// periods and sweep checkpoints, leases and audit records kept in the
// database (retention.Store). Of sweepers sharing a sweep name, across
// processes, exactly one holds the lease.
func (s *Stores) RetentionStore() *RetentionStore { return NewRetentionStore(s.db, s.d) }

// Inventory returns the retention inventory table of the database, for
// services that register the records they hold there (retention.Inventory
// and retention.Eraser). It knows the built-in triggers
// (privacy.TriggerCollected and the others).
func (s *Stores) Inventory() *Inventory { return NewInventory(s.db, s.d) }

// NewView returns a view of the consent and subject state in s's database
// (package stateview) that every write through s's stores makes forget its
// subject before the write returns, and a function that stops that. (A
// function, not a method, so that it is not promoted to the DBs that
// embed Stores.)
func NewView(s *Stores, opts ...stateview.Option) (*stateview.View, func()) {
	v := stateview.New(s.ConsentStore(), s.StateStore(), opts...)
	s.viewsMu.Lock()
	s.views = append(s.views, v)
	s.viewsMu.Unlock()
	return v, s.hooks.Add(v.Forget)
}

// CloseViews closes every view made over s (stateview.View.Close), for the
// database's Close: a view left registered with its meter provider would
// keep the closed database reachable for the life of the process.
func CloseViews(s *Stores) error {
	if s == nil {
		return nil
	}
	s.viewsMu.Lock()
	views := s.views
	s.views = nil
	s.viewsMu.Unlock()
	var errs []error
	for _, v := range views {
		errs = append(errs, v.Close())
	}
	return errors.Join(errs...)
}

// errNoWatch is Watch's error for stores made without StoresOptions.Watch.
var errNoWatch = errors.New("watch consent ledger: not supported by this database")
