package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/storetest"
	"github.com/privacykit/privacy/subject"
)

// open opens a database at path and closes it with t.Cleanup.
func open(t *testing.T, path string, opts ...sqlite.Option) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// tempFile returns the path of a database file that does not exist yet.
func tempFile(t *testing.T) string { return filepath.Join(t.TempDir(), "privacy.db") }

// TestStores runs the conformance suite of every store, over a file and
// over ":memory:".
func TestStores(t *testing.T) {
	for name, path := range map[string]func(t *testing.T) string{
		"file":   tempFile,
		"memory": func(*testing.T) string { return ":memory:" },
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, storetest.Factory{
				Consent:   func(t *testing.T) consent.Store { return open(t, path(t)).ConsentStore() },
				State:     func(t *testing.T) subject.StateStore { return open(t, path(t)).StateStore() },
				Requests:  func(t *testing.T) dsar.RequestStore { return open(t, path(t)).RequestStore() },
				Retention: func(t *testing.T) retention.Store { return open(t, path(t)).RetentionStore() },
			})
		})
	}
}

// tamperable opens a ledger in a new file and a way to run SQL on it.
func tamperable(t *testing.T, opts ...sqlite.Option) (consent.Ledger, storetest.Exec) {
	path := tempFile(t)
	s := open(t, path, opts...).ConsentStore()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return s, func(t *testing.T, query string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(t.Context(), query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
}

func TestTamper(t *testing.T) {
	storetest.RunTamper(t, func(t *testing.T) (consent.Ledger, storetest.Exec) { return tamperable(t) })
}

func TestKeyedTamper(t *testing.T) {
	storetest.RunKeyedTamper(t, func(t *testing.T, keys consent.KeyProvider) (consent.Ledger, storetest.Exec) {
		return tamperable(t, sqlite.WithLedgerKeys(keys))
	})
}

// TestOpenTwice checks that migrations are idempotent and that what one
// DB wrote another DB on the same file reads, with both open at once.
func TestOpenTwice(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dir with space?#%", "privacy.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	storetest.RunShared(t, func(t *testing.T) func() storetest.Shared {
		return func() storetest.Shared {
			db := open(t, path)
			return storetest.Shared{Consent: db.ConsentStore(), State: db.StateStore()}
		}
	})
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
}

// TestNow checks that DB.Now stamps subject-state updates.
func TestNow(t *testing.T) {
	t.Parallel()
	db := open(t, ":memory:")
	at := time.Date(2026, 11, 28, 12, 0, 0, 42, time.FixedZone("CET", 3600))
	db.Now = func() time.Time { return at }
	s := db.StateStore()
	if err := subject.SetRestricted(t.Context(), s, "u-1", true); err != nil {
		t.Fatalf("SetRestricted: %v", err)
	}
	st, err := s.State(t.Context(), "u-1")
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if !st.UpdatedAt.Equal(at) || st.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %s, want %s in UTC", st.UpdatedAt, at.UTC())
	}
}

// TestAppendRejectsUnstorableTime checks that a time int64 nanoseconds
// cannot hold is refused, not silently wrapped.
func TestAppendRejectsUnstorableTime(t *testing.T) {
	t.Parallel()
	s := open(t, ":memory:").ConsentStore()
	_, err := s.Append(t.Context(), consent.Record{
		SubjectID: "u-1", Purpose: "referral", Event: consent.Withdrawn,
		CollectedAt: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	var ve *privacy.ValidationError
	if !errors.As(err, &ve) || ve.Field != "collected_at" {
		t.Errorf("Append of a record collected in 1500: got %v, want a ValidationError on collected_at", err)
	}
}

// BenchmarkLedger measures the ledger in a SQLite file holding 1,000,000
// records (PRIVACY_BENCH_RECORDS to change).
func BenchmarkLedger(b *testing.B) {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchLedger(b, db.ConsentStore())
}

// BenchmarkLedgerKeyed measures Verify with the keys of a ledger sealed
// with them, holding 1,000,000 records (PRIVACY_BENCH_RECORDS to change).
func BenchmarkLedgerKeyed(b *testing.B) {
	keys := storetest.BenchKeys(b)
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.WithLedgerKeys(keys))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchLedgerKeyed(b, db.ConsentStore(), keys)
}

// BenchmarkLedgerAppend measures group commit against one transaction per
// append, from 1 and 64 writers, on a SQLite file in WAL mode.
func BenchmarkLedgerAppend(b *testing.B) {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := db.ConsentStore()
	storetest.BenchAppend(b, s, func(ctx context.Context, r consent.Record) (consent.Record, error) {
		return sqlstore.AppendUngrouped(ctx, s, r)
	})
}

// TestLedgerKeyMigration: a ledger written before keys keeps verifying
// once its process gets keys; the first keyed record pins the unkeyed
// ones before it, and a process without the keys can no longer append.
func TestLedgerKeyMigration(t *testing.T) {
	t.Parallel()
	path := tempFile(t)
	keys := storetest.TestKeys(t)
	old := open(t, path).ConsentStore()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	grant := func(s consent.Store, subjectID string) consent.Record {
		t.Helper()
		r, err := s.Append(t.Context(), consent.Record{SubjectID: subjectID, Purpose: "research.surveys", Event: consent.Given,
			PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: at})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		return r
	}
	legacy := []consent.Record{grant(old, "u-1"), grant(old, "u-2")}
	keyed := open(t, path, sqlite.WithLedgerKeys(keys)).ConsentStore()
	grant(keyed, "u-3")
	grant(keyed, "u-4")

	rep, err := consent.VerifyWith(t.Context(), keyed, consent.VerifyOptions{Keys: keys})
	if err != nil || !rep.Intact || rep.Unkeyed != 2 || rep.Keyed != 2 {
		t.Fatalf("VerifyWith keys after migration: %s (unkeyed %d, keyed %d), %v; want intact, 2 and 2", rep, rep.Unkeyed, rep.Keyed, err)
	}
	if _, err := old.Append(t.Context(), consent.Record{SubjectID: "u-5", Purpose: "research.surveys", Event: consent.Refused,
		Method: consent.MethodCheckbox, CollectedAt: at}); !errors.Is(err, consent.ErrKeyRequired) {
		t.Errorf("append without keys to a keyed ledger: %v, want consent.ErrKeyRequired", err)
	}

	// Editing an unkeyed record and recomputing the unkeyed chain breaks
	// the link to the first keyed record, whose MAC covers it.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	legacy[1].Purpose = "marketing.profiling"
	legacy[1].Seal(legacy[0].Hash)
	if _, err := raw.ExecContext(t.Context(), `UPDATE privacy_consent_records SET purpose = ?, hash = ? WHERE seq = 2`, legacy[1].Purpose, legacy[1].Hash); err != nil {
		t.Fatal(err)
	}
	rep, err = consent.VerifyWith(t.Context(), keyed, consent.VerifyOptions{Keys: keys})
	if err != nil || rep.Intact || rep.Seq != 3 {
		t.Errorf("VerifyWith keys after a legacy record was edited and resealed: %s, %v; want broken at seq 3", rep, err)
	}
}

// TestScanAsStored: Scan reads every text as Record does, also a NUL
// byte, invalid UTF-8 and a BLOB where a text belongs.
func TestScanAsStored(t *testing.T) {
	storetest.RunScanAsStored(t, func(t *testing.T) (consent.Ledger, storetest.Exec) { return tamperable(t) },
		[]string{"\xff\xfe", "a\x00b", "\x00"},
		[]string{`x'41ff00'`, `'a' || char(0) || 'b'`, `CAST('blob' AS BLOB)`, `char(0)`, `x''`, `zeroblob(3)`},
		map[string][]string{
			"collected_at": {`0`, `-1`, `9223372036854775807`, `-9223372036854775808`, `'5'`, `' 5 '`, `'+5'`, `5.0`, `5.5`, `1e20`,
				`'abc'`, `''`, `x'35'`, `x''`, `CAST('12' AS BLOB)`},
			"expires_at": {`NULL`, `0`, `1790000000000000000`, `'5'`, `5.5`, `'abc'`, `''`, `x'35'`, `x''`},
			"guardian":   {`0`, `1`, `2`, `-1`, `'1'`, `'true'`, `'t'`, `'FALSE'`, `'yes'`, `1.0`, `0.5`, `''`, `x'31'`, `x'74727565'`, `x''`},
		})
}
