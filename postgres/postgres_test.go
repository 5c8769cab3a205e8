package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/storetest"
	"github.com/privacykit/privacy/subject"
)

// open opens the database at dsn and closes it with t.Cleanup.
func open(t *testing.T, dsn string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// TestStores runs the conformance suite of every store, each in a schema
// of its own.
func TestStores(t *testing.T) {
	pgtest.Require(t)
	storetest.Run(t, storetest.Factory{
		Consent:   func(t *testing.T) consent.Store { return open(t, pgtest.DSN(t)).ConsentStore() },
		State:     func(t *testing.T) subject.StateStore { return open(t, pgtest.DSN(t)).StateStore() },
		Requests:  func(t *testing.T) dsar.RequestStore { return open(t, pgtest.DSN(t)).RequestStore() },
		Retention: func(t *testing.T) retention.Store { return open(t, pgtest.DSN(t)).RetentionStore() },
	})
}

// tamperable opens a ledger in a new schema and a way to run SQL on it.
func tamperable(t *testing.T, opts ...postgres.Option) (consent.Ledger, storetest.Exec) {
	dsn := pgtest.DSN(t)
	db := open(t, dsn, opts...)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return db.ConsentStore(), func(t *testing.T, query string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
}

func TestTamper(t *testing.T) {
	pgtest.Require(t)
	storetest.RunTamper(t, func(t *testing.T) (consent.Ledger, storetest.Exec) { return tamperable(t) })
}

func TestKeyedTamper(t *testing.T) {
	pgtest.Require(t)
	storetest.RunKeyedTamper(t, func(t *testing.T, keys consent.KeyProvider) (consent.Ledger, storetest.Exec) {
		return tamperable(t, postgres.WithLedgerKeys(keys))
	})
}

// TestOpenTwice checks that migrations are idempotent and that a record
// appended through one DB is read and chained to through another, as by
// two replicas.
func TestOpenTwice(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T) func() storetest.Shared {
		dsn := pgtest.DSN(t)
		return func() storetest.Shared {
			db := open(t, dsn)
			return storetest.Shared{Consent: db.ConsentStore(), State: db.StateStore()}
		}
	})
}

// TestConcurrentOpen checks that processes opening one fresh schema at once
// all succeed: the migrations run once, under the advisory lock.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				errs <- err
				return
			}
			if err := db.Close(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Open: %v", err)
	}
	// Every store works on the schema they made.
	db := open(t, dsn)
	if _, err := db.ConsentStore().History(t.Context(), "u-1"); err != nil {
		t.Errorf("History after concurrent Opens: %v", err)
	}
}

// TestWatchAcrossProcesses checks that a withdrawal appended through one DB
// reaches the watcher of another DB on the same schema, as two replicas,
// and that the other's next State read sees it; and that a DB on another
// schema of the same database hears nothing of it.
func TestWatchAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	writer, reader, stranger := open(t, dsn), open(t, dsn), open(t, pgtest.DSN(t))
	watched, err := reader.ConsentStore().Watch(t.Context())
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	foreign, err := stranger.ConsentStore().Watch(t.Context())
	if err != nil {
		t.Fatalf("Watch on another schema: %v", err)
	}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if _, err := consent.Grant(t.Context(), writer.ConsentStore(), privacy.DefaultCatalog(), consent.Record{
		SubjectID: "u-1", Purpose: "research.surveys", PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: at,
	}); err != nil {
		t.Fatalf("Grant: %v", err)
	}
	w, err := consent.Withdraw(t.Context(), writer.ConsentStore(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys"})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	want := []consent.Change{
		{SubjectID: "u-1", Purpose: "research.surveys", Seq: 1},
		{SubjectID: "u-1", Purpose: "research.surveys", Seq: w.Seq},
	}
	var got []consent.Change
	for range want {
		select {
		case c, ok := <-watched:
			if !ok {
				t.Fatal("Watch channel closed")
			}
			got = append(got, c)
		case <-time.After(30 * time.Second):
			t.Fatalf("no notification after %d changes", len(got))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes seen by the other DB (-want +got):\n%s", diff)
	}
	st, err := reader.ConsentStore().State(t.Context(), "u-1", "research.surveys", w.CollectedAt)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if st.Event != consent.Withdrawn {
		t.Errorf("State through the other DB after the withdrawal: %+v, want withdrawn", st)
	}
	// The other schema's watcher got nothing: its next change is its own.
	if _, err := stranger.ConsentStore().Append(t.Context(), consent.Record{
		SubjectID: "x-1", Purpose: "referral", Event: consent.Refused, Method: consent.MethodAPI, CollectedAt: at,
	}); err != nil {
		t.Fatalf("Append on another schema: %v", err)
	}
	select {
	case c := <-foreign:
		if diff := cmp.Diff(consent.Change{SubjectID: "x-1", Purpose: "referral", Seq: 1}, c); diff != "" {
			t.Errorf("first change on another schema (-want +got):\n%s", diff)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no notification on another schema")
	}
}

// TestCloseEndsWatch checks that Close closes the channels of Watch.
func TestCloseEndsWatch(t *testing.T) {
	t.Parallel()
	db, err := postgres.Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ch, err := db.ConsentStore().Watch(t.Context())
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, ok := <-ch; ok {
		t.Error("Watch channel open after Close")
	}
	if _, err := db.ConsentStore().Watch(t.Context()); err == nil {
		t.Error("Watch after Close: no error")
	}
}

// BenchmarkLedger measures the ledger in PostgreSQL holding 1,000,000
// records (PRIVACY_BENCH_RECORDS to change), in a schema of its own.
func BenchmarkLedger(b *testing.B) {
	db, err := postgres.Open(b.Context(), pgtest.DSN(b))
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
	db, err := postgres.Open(b.Context(), pgtest.DSN(b), postgres.WithLedgerKeys(keys))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchLedgerKeyed(b, db.ConsentStore(), keys)
}

// BenchmarkLedgerAppend measures group commit against one transaction per
// append, from 1 and 64 writers.
func BenchmarkLedgerAppend(b *testing.B) {
	db, err := postgres.Open(b.Context(), pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := db.ConsentStore()
	storetest.BenchAppend(b, s, func(ctx context.Context, r consent.Record) (consent.Record, error) {
		return sqlstore.AppendUngrouped(ctx, s, r)
	})
}

// TestWithdrawalAcrossEngines runs two policies engines, as two replicas,
// on one PostgreSQL schema: a withdrawal through one is seen by the other's
// next decision.
func TestWithdrawalAcrossEngines(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	first, second := open(t, dsn), open(t, dsn)
	engine := func(db *postgres.DB) *policies.Engine {
		e, err := policies.New(t.Context(), policies.WithConsents(db.ConsentStore()), policies.WithSubjects(db.StateStore()))
		if err != nil {
			t.Fatalf("policies.New: %v", err)
		}
		return e
	}
	a, b := engine(first), engine(second)
	req := storetest.SurveyRequest(time.Time{})
	storetest.GrantSurvey(t, first.ConsentStore())
	for name, e := range map[string]*policies.Engine{"first": a, "second": b} {
		if d := storetest.Decide(t, e, req); !d.Allowed {
			t.Fatalf("%s engine after the grant: denied %v", name, storetest.Codes(d))
		}
	}
	if _, err := consent.Withdraw(t.Context(), first.ConsentStore(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys"}); err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	d := storetest.Decide(t, b, req)
	if d.Allowed {
		t.Fatal("second engine after a withdrawal through the first: allowed")
	}
	if diff := cmp.Diff([]string{privacy.ReasonConsentWithdrawn}, storetest.Codes(d)); diff != "" {
		t.Errorf("second engine's reasons (-want +got):\n%s", diff)
	}
}

// TestScanAsStored: Scan reads every text as Record does.
func TestScanAsStored(t *testing.T) {
	pgtest.Require(t)
	storetest.RunScanAsStored(t, func(t *testing.T) (consent.Ledger, storetest.Exec) { return tamperable(t) },
		nil, []string{`repeat('é', 3000)`, `chr(1) || ':' || chr(2)`},
		map[string][]string{
			"collected_at": {`0`, `-1`, `9223372036854775807`, `-9223372036854775808`},
			"expires_at":   {`NULL`, `0`, `1790000000000000000`},
			"guardian":     {`true`, `false`},
		})
}
