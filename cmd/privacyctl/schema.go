package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/privacykit/privacy"
)

// requirePrivacySchema refuses, for a verb that writes without --create, a
// database that exists but was never made a privacy database (no
// privacy_schema_migrations table): a mistyped --db naming a service's
// database, or an empty file, would otherwise get the whole schema and
// the write, silently, as a missing file used to. A database that has the
// schema and lacks only later migrations is migrated as before.
func (s *storeFlags) requirePrivacySchema(ctx context.Context) error {
	var (
		db    *sql.DB
		query string
		where string
	)
	if s.postgres() {
		pool, err := pgxpool.New(ctx, s.dsn)
		if err != nil {
			// pgconn redacts the password from its message.
			return fmt.Errorf("open postgres: %s", err.Error())
		}
		defer pool.Close()
		db = stdlib.OpenDBFromPool(pool)
		query = `SELECT to_regclass('privacy_schema_migrations') IS NOT NULL`
		where = "--dsn: the schema"
	} else {
		var err error
		db, err = sql.Open("sqlite", "file:"+(&url.URL{Path: s.db}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)")
		if err != nil {
			return fmt.Errorf("--db %s: %w", s.db, err)
		}
		query = `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'privacy_schema_migrations'`
		where = "--db " + s.db
	}
	defer db.Close()
	var present bool
	if err := db.QueryRowContext(ctx, query).Scan(&present); err != nil {
		return fmt.Errorf("%s: read its schema: %w", where, err)
	}
	if present {
		return nil
	}
	init := "privacyctl init --db " + s.db
	if s.postgres() {
		init = "privacyctl init --dsn URL"
	}
	return fmt.Errorf("%s is not a privacy database: it has no privacy schema (make one with: %s, or give --create): %w", where, init, privacy.ErrNotFound)
}
