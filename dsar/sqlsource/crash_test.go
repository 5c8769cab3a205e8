package sqlsource_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
	"github.com/privacykit/privacy/internal/crashtest"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
)

// The DSAR crash test: an erasure request fanned out to several services'
// databases, each a sqlsource over the sample dataset, run by a child
// process that is killed with SIGKILL at random points and restarted
// until the request completes. The desk's database and the services' are
// SQLite files or PostgreSQL schemas (crashBackends).

// envDeskChild makes the test binary a child that runs the erasure
// request a deskArg names until it completes (deskChild).
const envDeskChild = "PRIVACY_TEST_DSAR_CRASH_CHILD"

// deskArg is the child's argument, in JSON: the backend, the request and
// where each database is, by name ("desk" and crashSources).
type deskArg struct {
	Backend string            `json:"backend"`
	ID      string            `json:"id"`
	Places  map[string]string `json:"places"`
}

// deskDB is the desk's database: a *sqlite.DB or a *postgres.DB.
type deskDB interface {
	RequestStore() *sqlstore.RequestStore
	StateStore() *sqlstore.StateStore
	RetentionStore() *sqlstore.RetentionStore
	Close() error
}

// crashBackend is where the crash test keeps its databases.
type crashBackend struct {
	backend
	// place returns where the database name of a round is: a file in
	// dir, or a schema of its own.
	place func(t *testing.T, dir, name string) string
	// openDesk opens the desk's database; openService a service's.
	openDesk    func(ctx context.Context, where string) (deskDB, error)
	openService func(where string) (*sql.DB, error)
	// tables lists the tables of a service's database.
	tables string
}

func crashBackends() []crashBackend {
	b := backends()
	return []crashBackend{{
		backend: b[0],
		place:   func(_ *testing.T, dir, name string) string { return filepath.Join(dir, name+".db") },
		openDesk: func(ctx context.Context, path string) (deskDB, error) {
			return sqlite.Open(ctx, path)
		},
		openService: func(path string) (*sql.DB, error) {
			return sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
		},
		tables: `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
	}, {
		backend: b[1],
		place:   func(t *testing.T, _, _ string) string { return pgtest.DSN(t) },
		openDesk: func(ctx context.Context, dsn string) (deskDB, error) {
			return postgres.Open(ctx, dsn)
		},
		openService: func(dsn string) (*sql.DB, error) {
			// pgxpool's parser drops pgtest's pool settings.
			cfg, err := pgxpool.ParseConfig(dsn)
			if err != nil {
				return nil, err
			}
			return stdlib.OpenDB(*cfg.ConnConfig), nil
		},
		tables: `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`,
	}}
}

func crashBackendNamed(name string) crashBackend {
	for _, b := range crashBackends() {
		if b.name == name {
			return b
		}
	}
	crashtest.Die(fmt.Errorf("no crash backend %q", name))
	panic("unreachable")
}

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(string){envDeskChild: deskChild})
	os.Exit(m.Run())
}

// crashSources are the services of the crash test, each a database of the
// sample service.
var crashSources = []string{"crm", "meetings", "billing", "support"}

// deskLease is short, so that a source claimed by a killed run is retried
// soon; each source takes at most a few tens of milliseconds.
const deskLease = 300 * time.Millisecond

// journaled is a Source that prints "erase NAME" when its Erase is called
// and "erased NAME" when it returned, and waits a little on both sides, so
// that kills fall before, inside and after the erasure and its recording.
type journaled struct {
	dsar.Source
	name  string
	print func(string)
}

func (j journaled) Erase(ctx context.Context, s privacy.Subject, categories []string) ([]dsar.Erased, error) {
	j.print("erase " + j.name)
	time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
	out, err := j.Source.Erase(ctx, s, categories)
	if err == nil {
		j.print("erased " + j.name)
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
	}
	return out, err
}

// crashDesk opens the desk's database (requests, subject state, legal
// holds) at places["desk"] and returns a Desk over it and the services'
// databases at places[name].
func crashDesk(ctx context.Context, b crashBackend, places map[string]string, print func(string)) (*dsar.Desk, deskDB, error) {
	db, err := b.openDesk(ctx, places["desk"])
	if err != nil {
		return nil, nil, err
	}
	c := privacy.DefaultCatalog()
	ds, err := sqlsource.Parse("dataset.yaml", mustRead(filepath.Join(sampleDir, "dataset.yaml")), c)
	if err != nil {
		return nil, nil, err
	}
	opts := []dsar.Option{dsar.WithLease(deskLease), dsar.WithConcurrency(2),
		dsar.WithHolds(ds.Holds(&retention.ErasureHolds{Catalog: c, Holds: db.RetentionStore()}))}
	for _, name := range crashSources {
		sdb, err := b.openService(places[name])
		if err != nil {
			return nil, nil, err
		}
		src, err := sqlsource.New(ctx, sdb, b.dialect, ds)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, dsar.WithSource(name, journaled{Source: src, name: name, print: print}))
	}
	return dsar.NewDesk(db.RequestStore(), db.StateStore(), append([]dsar.Option{dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()})}, opts...)...), db, nil
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		crashtest.Die(err)
	}
	return b
}

func deskChild(arg string) {
	var a deskArg
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		crashtest.Die(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	print := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Println(line)
	}
	desk, _, err := crashDesk(ctx, crashBackendNamed(a.Backend), a.Places, print)
	if err != nil {
		crashtest.Die(err)
	}
	print("started")
	for {
		r, err := desk.Run(ctx, a.ID)
		switch {
		case err == nil && r.Status == dsar.StatusCompleted:
			print("completed")
			return
		case errors.Is(err, dsar.ErrIncomplete):
			// Sources claimed by a killed run wait for the lease.
			time.Sleep(deskLease / 3)
		default:
			crashtest.Die(fmt.Errorf("run: status %s, %v", r.Status, err))
		}
	}
}

// dump returns every row of every table of a service's database, sorted.
func dump(t *testing.T, b crashBackend, db *sql.DB) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	for _, row := range query(t, db, b.tables) {
		rows := query(t, db, `SELECT * FROM "`+row[0]+`"`)
		slices.SortFunc(rows, func(a, b []string) int { return slices.Compare(a, b) })
		out[row[0]] = rows
	}
	return out
}

// TestErasureSurvivesKill runs an erasure of a subject with a legal hold
// over four services in a child process, kills it with SIGKILL at random
// points, and restarts it until the request completes. It checks that no
// source is called again once the request recorded it done, that each
// source is recorded done exactly once, that the request ends completed
// with the held categories exempted, and that every service's database
// ends as one uninterrupted erasure leaves it: the held rows kept, the
// rest erased, other subjects untouched. The quick form kills one
// request twice; PRIVACY_LONG_TESTS=1 runs eight requests with up to four
// kills each (not under the race detector). It runs with the databases in
// SQLite, and with PRIVACY_LONG_TESTS=1 also in PostgreSQL schemas.
func TestErasureSurvivesKill(t *testing.T) {
	for _, b := range crashBackends() {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "postgres" {
				// Six schemas and their migrations take seconds.
				testenv.SkipUnlessLong(t)
			}
			t.Parallel()
			rounds, killsPerRound := 1, 2
			if testenv.Long() && !testenv.Race {
				rounds, killsPerRound = 8, 4
			}
			erasureSurvivesKill(t, b, rounds, killsPerRound)
		})
	}
}

func erasureSurvivesKill(t *testing.T, b crashBackend, rounds, killsPerRound int) {
	ctx := t.Context()
	c := privacy.DefaultCatalog()
	hold := retention.Hold{SubjectID: ann.ID, Category: "instance.meeting", PlacedBy: "legal",
		Reason: "dispute 2026-17 about the kick-off", PlacedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}

	// What one uninterrupted erasure leaves.
	golden := sample(t, b.backend)
	{
		ds, src := sampleSource(t, golden, b.backend)
		holds := memory.NewRetentionStore()
		if _, err := holds.PlaceHold(ctx, hold); err != nil {
			t.Fatal(err)
		}
		run(t, desk(src, ds.Holds(&retention.ErasureHolds{Catalog: c, Holds: holds})), dsar.KindErasure, ann)
	}
	want := dump(t, b, golden)
	if len(want["meetings"]) == 0 || len(want["recordings"]) == 0 {
		t.Fatal("the uninterrupted erasure kept no meeting: the legal hold proves nothing")
	}

	var kills, runs, calls, recalls int
	rng := rand.New(rand.NewPCG(20261203, 13))
	for round := range rounds {
		dir := t.TempDir()
		places := map[string]string{"desk": b.place(t, dir, "desk")}
		for _, name := range crashSources {
			places[name] = b.place(t, dir, name)
			db, err := b.openService(places[name])
			if err != nil {
				t.Fatal(err)
			}
			exec(t, db, string(sampleFile(t, "schema.sql")))
			exec(t, db, string(sampleFile(t, "seed.sql")))
			db.Close()
		}
		d, db, err := crashDesk(ctx, b, places, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RetentionStore().PlaceHold(ctx, hold); err != nil {
			t.Fatal(err)
		}
		r, err := d.Open(ctx, dsar.Request{Kind: dsar.KindErasure, Subject: ann})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Verify(ctx, r.ID, dsar.Evidence{Method: "login_session", By: "support"}); err != nil {
			t.Fatal(err)
		}
		arg, err := json.Marshal(deskArg{Backend: b.name, ID: r.ID, Places: places})
		if err != nil {
			t.Fatal(err)
		}

		for k := 0; ; k++ {
			cur, err := d.Request(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			done := map[string]bool{}
			for _, o := range cur.Sources {
				done[o.Source] = o.Status == dsar.OutcomeDone
			}
			var kill *crashtest.KillPoint
			if k < killsPerRound {
				// After "started" and up to every source's "erase" and
				// "erased": before, inside and after each erasure, and
				// while the request is finished.
				kill = &crashtest.KillPoint{Lines: 1 + rng.IntN(2*len(crashSources)+1), Delay: time.Duration(rng.IntN(40)) * time.Millisecond}
			}
			lines, ok := crashtest.Run(t, envDeskChild, string(arg), kill)
			runs++
			for _, l := range lines {
				if name, found := strings.CutPrefix(l, "erase "); found {
					calls++
					if done[name] {
						recalls++
						t.Errorf("round %d, run %d: source %s called again after the request recorded it done", round, k, name)
					}
				}
			}
			if ok {
				if !slices.Contains(lines, "completed") {
					t.Fatalf("round %d: the child ended without completing the request: %q", round, lines)
				}
				break
			}
			kills++
			if k > killsPerRound+20 {
				t.Fatalf("round %d: the request did not complete in %d runs", round, k)
			}
		}

		r, err = d.Request(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != dsar.StatusCompleted {
			t.Errorf("round %d: the request ended %s, want completed", round, r.Status)
		}
		for _, name := range crashSources {
			if o := r.Outcome(name); o == nil || o.Status != dsar.OutcomeDone {
				t.Errorf("round %d: source %s: %+v, want done", round, name, o)
			}
			n := 0
			for _, e := range r.Trail {
				if e.Action == "source_done" && e.Source == name {
					n++
				}
			}
			if n != 1 {
				t.Errorf("round %d: source %s recorded done %d times, want once", round, name, n)
			}
		}
		if !slices.ContainsFunc(r.Exemptions, func(e dsar.Exemption) bool {
			return e.Category == "instance.meeting.recording" && e.Ground == dsar.GroundLegalClaims
		}) {
			t.Errorf("round %d: exemptions %+v: want instance.meeting.recording under %s", round, r.Exemptions, dsar.GroundLegalClaims)
		}
		for _, name := range crashSources {
			sdb, err := b.openService(places[name])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, dump(t, b, sdb)); diff != "" {
				t.Errorf("round %d: service %s differs from one uninterrupted erasure (-want +got):\n%s", round, name, diff)
			}
			sdb.Close()
		}
		db.Close()
	}
	t.Logf("%d erasure requests over %d services: %d kills, %d resumed runs, %d source calls (%d after a source was recorded done)",
		rounds, len(crashSources), kills, runs-rounds, calls, recalls)
}
