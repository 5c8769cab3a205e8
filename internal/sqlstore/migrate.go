package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. Their file
// names are NNNN_name.sql; the number is the version.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// Migrate brings the database's schema up to date: it applies, in one
// transaction and in order, every embedded migration that the
// privacy_schema_migrations table does not list, and records each. It is
// idempotent, and safe when several processes open one database at once:
// on PostgreSQL they queue on an advisory lock, on SQLite on the write lock.
// Versions recorded by a newer build are left alone.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, now func() time.Time) error {
	if err := migrate(ctx, db, d, now); err != nil {
		return fmt.Errorf("migrate %s schema: %w", d.name, err)
	}
	return nil
}

func migrate(ctx context.Context, db *sql.DB, d Dialect, now func() time.Time) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return d.translate(err)
	}
	defer tx.Rollback()

	if d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, d.lockMigrations); err != nil {
			return d.translate(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS privacy_schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL
)`); err != nil {
		return d.translate(err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return d.translate(err)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply %s: %w", m.name, d.translate(err))
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO privacy_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, now().UnixNano()); err != nil {
			return fmt.Errorf("record %s: %w", m.name, d.translate(err))
		}
	}
	return d.translate(tx.Commit())
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM privacy_schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}
