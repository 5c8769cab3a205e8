package sqlsource_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/privacykit/privacy/dsar/sqlsource"
	"github.com/privacykit/privacy/internal/pgtest"
)

// The sample service shipped in examples/datasets: the tests run over it,
// so that what users copy is what is tested.
const sampleDir = "../../examples/datasets"

func sampleFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// backend is a database a test runs on.
type backend struct {
	name    string
	dialect sqlsource.Dialect
	open    func(t *testing.T) *sql.DB
}

func backends() []backend {
	return []backend{
		{"sqlite", sqlsource.SQLite(), func(t *testing.T) *sql.DB {
			dsn := "file:" + filepath.Join(t.TempDir(), "service.db") + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
			db, err := sql.Open("sqlite", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", sqlsource.PostgreSQL(), func(t *testing.T) *sql.DB {
			pool, err := pgxpool.New(t.Context(), pgtest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			db := stdlib.OpenDBFromPool(pool)
			t.Cleanup(func() { db.Close(); pool.Close() })
			return db
		}},
	}
}

// exec runs SQL statements (a script) on db.
func exec(t *testing.T, db *sql.DB, script string) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), script); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
}

// sample opens the backend with the sample schema and rows.
func sample(t *testing.T, b backend) *sql.DB {
	t.Helper()
	db := b.open(t)
	exec(t, db, string(sampleFile(t, "schema.sql")))
	exec(t, db, string(sampleFile(t, "seed.sql")))
	return db
}

// sampleSource returns the sample dataset and a Source over db.
func sampleSource(t *testing.T, db *sql.DB, b backend) (*sqlsource.Dataset, *sqlsource.Source) {
	t.Helper()
	ds, err := sqlsource.Parse("dataset.yaml", sampleFile(t, "dataset.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := sqlsource.New(t.Context(), db, b.dialect, ds)
	if err != nil {
		t.Fatal(err)
	}
	return ds, src
}

// onSample runs the test on every backend, in parallel, over the sample
// service's database and dataset.
func onSample(t *testing.T, test func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := sample(t, b)
			ds, src := sampleSource(t, db, b)
			test(t, db, ds, src)
		})
	}
}

// query returns the rows of a query as strings, NULL as "<null>".
func query(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "<null>"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
