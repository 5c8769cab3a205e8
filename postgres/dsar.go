package postgres

import (
	"context"

	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/sqlstore"
)

var _ dsar.RequestStore = (*RequestStore)(nil)

// RequestStore returns the store of data-subject requests kept in the
// database.
func (db *DB) RequestStore() *RequestStore {
	return &RequestStore{s: sqlstore.NewRequestStore(db.db, sqlstore.Postgres())}
}

// RequestStore keeps data-subject requests in a PostgreSQL database. It is safe for concurrent use, by any number of processes.
type RequestStore struct{ s *sqlstore.RequestStore }

// Create validates and stores a new request. It returns a
// *privacy.ValidationError for a bad request and an error wrapping
// privacy.ErrConflict when the id is taken.
func (s *RequestStore) Create(ctx context.Context, r dsar.Request) error {
	return s.s.Create(ctx, r)
}

// Request returns the request with the id, or an error wrapping
// dsar.ErrNotFound.
func (s *RequestStore) Request(ctx context.Context, id string) (dsar.Request, error) {
	return s.s.Request(ctx, id)
}

// Update reads the request, calls fn on it and stores the result in one
// transaction that holds the request locked; an error from fn aborts and is
// returned.
func (s *RequestStore) Update(ctx context.Context, id string, fn func(*dsar.Request) error) (dsar.Request, error) {
	return s.s.Update(ctx, id, fn)
}

// List returns the requests the filter selects, oldest receipt first.
func (s *RequestStore) List(ctx context.Context, f dsar.Filter) ([]dsar.Request, error) {
	return s.s.List(ctx, f)
}
