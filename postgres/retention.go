package postgres

import (
	"context"
	"time"

	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/retention"
)

var (
	_ retention.Store     = (*RetentionStore)(nil)
	_ retention.Inventory = (*Inventory)(nil)
	_ retention.Eraser    = (*Inventory)(nil)
)

// RetentionStore returns the store of legal holds, controllers' retention
// periods and sweep checkpoints kept in the database.
func (db *DB) RetentionStore() *RetentionStore {
	return &RetentionStore{s: sqlstore.NewRetentionStore(db.db, sqlstore.Postgres())}
}

// Inventory returns the retention inventory table of the database, for
// services that register the records they hold there.
func (db *DB) Inventory() *Inventory {
	return &Inventory{s: sqlstore.NewInventory(db.db, sqlstore.Postgres())}
}

// RetentionStore keeps legal holds, controllers' retention periods and
// sweep checkpoints, leases and audit records in a PostgreSQL database. It is safe for
// concurrent use, and by several processes sharing the database: of
// sweepers sharing a sweep name, exactly one holds the lease.
type RetentionStore struct{ s *sqlstore.RetentionStore }

// PlaceHold validates and stores a hold, assigning an ID when it has
// none; an error wrapping privacy.ErrConflict when the ID is taken.
func (s *RetentionStore) PlaceHold(ctx context.Context, h retention.Hold) (retention.Hold, error) {
	return s.s.PlaceHold(ctx, h)
}

// ReleaseHold ends the hold with the id: privacy.ErrNotFound for an
// unknown id, privacy.ErrConflict for a hold already released.
func (s *RetentionStore) ReleaseHold(ctx context.Context, id, by string, at time.Time) (retention.Hold, error) {
	return s.s.ReleaseHold(ctx, id, by, at)
}

// ActiveHolds returns the holds active at the time, ordered by PlacedAt
// and ID.
func (s *RetentionStore) ActiveHolds(ctx context.Context, at time.Time) ([]retention.Hold, error) {
	return s.s.ActiveHolds(ctx, at)
}

// SetOverride stores a controller's choice; a zero Period removes it.
func (s *RetentionStore) SetOverride(ctx context.Context, o retention.Override) error {
	return s.s.SetOverride(ctx, o)
}

// Overrides returns every choice, ordered by controller and category.
func (s *RetentionStore) Overrides(ctx context.Context) ([]retention.Override, error) {
	return s.s.Overrides(ctx)
}

// Acquire takes or renews the lease on the named sweep and returns its
// checkpoint; an error wrapping retention.ErrLocked when another owner's
// lease runs past now.
func (s *RetentionStore) Acquire(ctx context.Context, name, owner string, now, until time.Time) (retention.Checkpoint, error) {
	return s.s.Acquire(ctx, name, owner, now, until)
}

// Save stores the checkpoint and appends the audit record in one
// transaction; an error wrapping retention.ErrLeaseLost when owner does
// not hold the lease.
func (s *RetentionStore) Save(ctx context.Context, name, owner string, cp retention.Checkpoint, a *retention.Audit) error {
	return s.s.Save(ctx, name, owner, cp, a)
}

// Release gives up owner's lease on the named sweep.
func (s *RetentionStore) Release(ctx context.Context, name, owner string) error {
	return s.s.Release(ctx, name, owner)
}

// Audits returns the named sweep's audit records in order.
func (s *RetentionStore) Audits(ctx context.Context, name string) ([]retention.Audit, error) {
	return s.s.Audits(ctx, name)
}

// Inventory is a retention inventory table in a PostgreSQL database. It knows the built-in
// triggers (privacy.TriggerCollected and the others).
type Inventory struct{ s *sqlstore.Inventory }

// Put registers records, replacing those with the same keys, in one
// transaction.
func (inv *Inventory) Put(ctx context.Context, recs []retention.Record) error {
	return inv.s.Put(ctx, recs)
}

// Records returns up to limit records with keys after the key after, in
// key order, leaving out anonymised ones.
func (inv *Inventory) Records(ctx context.Context, after string, limit int) ([]retention.Record, error) {
	return inv.s.Records(ctx, after, limit)
}

// Erase deletes or anonymises the records with the keys that the guard
// allows, judged in the transaction that erases them, and returns the keys
// it refused; keys already erased or unknown are skipped.
func (inv *Inventory) Erase(ctx context.Context, keys []string, guard *retention.Guard) ([]string, error) {
	return inv.s.Erase(ctx, keys, guard)
}
