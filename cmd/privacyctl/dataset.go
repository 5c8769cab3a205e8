package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/spf13/pflag"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
)

// datasetFlags name a dataset file (docs/datasets.md) and the database its
// tables are in: with them, dsar run answers access, portability,
// rectification and erasure requests over a service's own tables.
type datasetFlags struct {
	file string
	dsn  string
}

func (f *datasetFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.file, "dataset", os.Getenv("PRIVACY_DATASET"),
		"dataset `file` (YAML) describing a service's tables; access, portability, rectification and erasure run over them (docs/datasets.md) [$PRIVACY_DATASET]")
	fs.StringVar(&f.dsn, "dataset-dsn", os.Getenv("PRIVACY_DATASET_DSN"),
		"the database the dataset's tables are in: a postgres:// `URL` or a SQLite file (default: the privacy database, --db or --dsn) [$PRIVACY_DATASET_DSN]")
}

// options loads the dataset, checks it against its database and returns
// the Desk options that register it: its Source, and its holds on top of
// base (the statutory and legal holds of the retention store). close
// closes the dataset's database.
func (f *datasetFlags) options(ctx context.Context, cat *privacy.Catalog, sf *storeFlags, base dsar.Holds) ([]dsar.Option, func() error, error) {
	if f.file == "" {
		if f.dsn != "" {
			return nil, nil, usagef("--dataset-dsn needs --dataset")
		}
		return nil, func() error { return nil }, nil
	}
	ds, err := sqlsource.Load(f.file, cat)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("--dataset %s: no such file%s: %w", f.file, siblingHint(f.file), privacy.ErrNotFound)
		}
		return nil, nil, err
	}
	dsn := f.dsn
	if dsn == "" {
		dsn = sf.db
		if sf.postgres() {
			dsn = sf.dsn
		}
	}
	db, dialect, closeDB, err := openDatasetDB(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	src, err := sqlsource.New(ctx, db, dialect, ds)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return []dsar.Option{
		dsar.WithSource(ds.Name(), src),
		dsar.WithHolds(ds.Holds(base)),
	}, closeDB, nil
}

// openDatasetDB opens the database of a dataset's tables: PostgreSQL for a
// postgres:// URL, else an existing SQLite file (never created: a service's
// database that is not there is a mistake).
func openDatasetDB(ctx context.Context, dsn string) (*sql.DB, sqlsource.Dialect, func() error, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			// pgconn redacts the password from its message.
			return nil, sqlsource.Dialect{}, nil, fmt.Errorf("--dataset-dsn: %s", err.Error())
		}
		db := stdlib.OpenDBFromPool(pool)
		return db, sqlsource.PostgreSQL(), func() error { err := db.Close(); pool.Close(); return err }, nil
	}
	st, err := os.Stat(dsn)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, sqlsource.Dialect{}, nil, fmt.Errorf("--dataset-dsn %s: no such database%s: %w", dsn, siblingHint(dsn), privacy.ErrNotFound)
	case err != nil:
		return nil, sqlsource.Dialect{}, nil, fmt.Errorf("--dataset-dsn %s: %w", dsn, unwrapPath(err))
	case st.IsDir():
		return nil, sqlsource.Dialect{}, nil, fmt.Errorf("--dataset-dsn %s: is a directory, not a database file", dsn)
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, sqlsource.Dialect{}, nil, fmt.Errorf("--dataset-dsn %s: %w", dsn, err)
	}
	return db, sqlsource.SQLite(), db.Close, nil
}
