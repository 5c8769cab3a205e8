// Package pgtest gives tests a PostgreSQL schema of their own. The tests
// run only when PRIVACY_TEST_POSTGRES_DSN names a database they may create
// schemas in, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable; otherwise they
// are skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the environment variable that holds the test database's DSN.
const EnvDSN = "PRIVACY_TEST_POSTGRES_DSN"

// Require skips the test unless PRIVACY_TEST_POSTGRES_DSN is set, and
// returns its value.
func Require(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skip(EnvDSN + " not set: skipping PostgreSQL tests")
	}
	return dsn
}

// DSN creates a schema with a fresh unique name in the test database and
// returns a DSN whose search_path is that schema, so that tests can run in
// parallel. The schema is dropped, with everything in it, when the test
// ends. Without PRIVACY_TEST_POSTGRES_DSN the test is skipped.
func DSN(t testing.TB) string {
	t.Helper()
	base := Require(t)
	var b [8]byte
	rand.Read(b[:])
	schema := "privacy_test_" + hex.EncodeToString(b[:])

	if err := exec(t.Context(), base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is canceled by now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, base, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return withSearchPath(t, base, schema)
}

// exec runs one statement on a connection of its own.
func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %s", EnvDSN, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %s", sql, err)
	}
	return nil
}

// withSearchPath returns dsn, a URL or a key=value string, with its
// search_path set to schema. Pool size is capped, so that parallel tests
// stay within the server's max_connections.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", EnvDSN, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		if !q.Has("pool_max_conns") {
			q.Set("pool_max_conns", "4")
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	dsn += " search_path=" + schema
	if !strings.Contains(dsn, "pool_max_conns=") {
		dsn += " pool_max_conns=4"
	}
	return dsn
}
