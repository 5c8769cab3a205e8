package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/sqlstore"
)

// OpenReadOnly opens the existing SQLite database at path for reading only
// (SQLite's mode=ro): it creates no file, applies no migration and writes
// nothing, so it works on a file the process may not write. A database
// whose schema lacks migrations is refused, naming them (Open applies
// them). Reads through its stores work as through Open's; writes fail.
func OpenReadOnly(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite database read-only: want a file, got %q: %w", path, privacy.ErrInvalid)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s read-only: %w", path, err)
	}
	db := &DB{db: sqldb}
	if db.stores, err = sqlstore.OpenStoresReadOnly(ctx, sqldb, sqlstore.SQLite(), db.storesOptions(opts)); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite database %s read-only: %w", path, err)
	}
	return db, nil
}
