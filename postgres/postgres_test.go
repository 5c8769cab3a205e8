package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/internal/storetest"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/subject"
)

// open opens the database at dsn and closes it with t.Cleanup.
func open(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn)
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

func TestConsentStore(t *testing.T) {
	pgtest.Require(t)
	storetest.RunConsentStore(t, func(t *testing.T) consent.Store { return open(t, pgtest.DSN(t)).ConsentStore() })
}

func TestLedger(t *testing.T) {
	pgtest.Require(t)
	storetest.RunLedger(t, func(t *testing.T) consent.Ledger { return open(t, pgtest.DSN(t)).ConsentStore() })
}

func TestTamper(t *testing.T) {
	pgtest.Require(t)
	storetest.RunTamper(t, func(t *testing.T) (consent.Ledger, storetest.Exec) {
		dsn := pgtest.DSN(t)
		db := open(t, dsn)
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
	})
}

func TestStateStore(t *testing.T) {
	pgtest.Require(t)
	storetest.RunStateStore(t, func(t *testing.T) subject.StateStore { return open(t, pgtest.DSN(t)).StateStore() })
}

// TestOpenTwice checks that migrations are idempotent and that a record
// appended through one DB is read and chained to through another, as by
// two replicas.
func TestOpenTwice(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	first := open(t, dsn)
	rec, err := first.ConsentStore().Append(t.Context(), consent.Record{
		SubjectID: "u-1", Purpose: "referral", Event: consent.Given, PolicyVersion: "1.2",
		CollectedAt: time.Date(2026, 11, 28, 12, 0, 0, 1, time.UTC),
	})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	second := open(t, dsn)
	got, err := second.ConsentStore().Record(t.Context(), rec.RecordID)
	if err != nil {
		t.Fatalf("Record through the second DB: %v", err)
	}
	if diff := cmp.Diff(rec, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Record through the second DB (-want +got):\n%s", diff)
	}
	next, err := second.ConsentStore().Append(t.Context(), consent.Record{
		SubjectID: "u-1", Purpose: "referral", Event: consent.Withdrawn,
		CollectedAt: time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatalf("Append through the second DB: %v", err)
	}
	if next.Seq != 2 || next.PrevHash != rec.Hash {
		t.Errorf("second append: Seq %d, PrevHash %q; want 2, %q", next.Seq, next.PrevHash, rec.Hash)
	}
	if err := subject.SetDeactivated(t.Context(), first.StateStore(), "u-1", true); err != nil {
		t.Fatalf("SetDeactivated: %v", err)
	}
	st, err := second.StateStore().State(t.Context(), "u-1")
	if err != nil {
		t.Fatalf("State through the second DB: %v", err)
	}
	if !st.Deactivated {
		t.Error("State through the second DB: not deactivated")
	}
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
