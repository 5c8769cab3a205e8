package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy/internal/crashtest"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/postgres"
)

const (
	// envCrashChild makes the test binary a child that appends to the
	// ledger at the DSN it names from 32 goroutines, one record or a batch
	// at a time (group commit), until it is killed
	// (crashtest.AppendForever).
	envCrashChild = "PRIVACY_TEST_PG_LEDGER_CRASH_CHILD"
	// envSweepChild makes the test binary a child that sweeps the
	// inventory in the schema "DSN|EPOCH" names until the sweep is done
	// (crashtest.SweepChild).
	envSweepChild = "PRIVACY_TEST_PG_SWEEP_CRASH_CHILD"
)

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(string){
		envCrashChild: crashChild,
		envSweepChild: crashtest.SweepChild(func(ctx context.Context, dsn string) (crashtest.DB, error) {
			return postgres.Open(ctx, dsn)
		}),
	})
	os.Exit(m.Run())
}

func crashChild(dsn string) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		crashtest.Die(err)
	}
	crashtest.AppendForever(ctx, db.ConsentStore(), 32)
}

// TestGroupCommitSurvivesKill kills two processes appending to one
// PostgreSQL ledger, as two replicas do, each from 32 writers one record
// or a batch at a time, with SIGKILL at random points, and checks that
// the ledger verifies, that every record whose Append or AppendBatch
// returned is in it, and that no batch is stored in part. The long runs
// kill them ten times over one ledger.
func TestGroupCommitSurvivesKill(t *testing.T) {
	pgtest.Require(t)
	kills := 1
	if testenv.Long() && !testenv.Race { // the kill loop finds nothing more under the race detector
		kills = 10
	}
	dsn := pgtest.DSN(t)
	// Migrate once, before the children race to.
	db := open(t, dsn)
	total := 0
	for k := range kills {
		var (
			mu    sync.Mutex
			lines []string
			wg    sync.WaitGroup
		)
		for c := range 2 {
			child := crashtest.Start(t, envCrashChild, dsn)
			wg.Go(func() {
				got := child.KillAfter(20, time.Duration(150+(k*37+c*101)%400)*time.Millisecond)
				if _, failure := child.Exited(); failure != "" {
					t.Errorf("kill %d: child %d failed: %s", k, c, failure)
				}
				mu.Lock()
				lines = append(lines, got...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(lines) == 0 {
			t.Fatalf("kill %d: the children appended nothing", k)
		}
		fig := crashtest.CheckLedger(t, db.ConsentStore(), lines)
		total += fig.Acknowledged
		t.Logf("kill %d (two processes): %d appended records acknowledged, %d records in an intact ledger", k, fig.Acknowledged, fig.Records)
	}
	t.Logf("%d kill(s) of two processes each: %d acknowledged records, 0 lost, no batch in part, the ledger intact", kills, total)
}

// TestSweepSurvivesKill sweeps an inventory with legal holds in
// PostgreSQL from a child process, kills it with SIGKILL at random points
// and restarts it until the sweep is done (crashtest.Sweep), as
// sqlite.TestSweepSurvivesKill does. The quick form sweeps 600 records
// with one kill; PRIVACY_LONG_TESTS=1 sweeps 10,000 with ten (not under
// the race detector).
func TestSweepSurvivesKill(t *testing.T) {
	n, kills := 600, 1
	if testenv.Long() && !testenv.Race {
		n, kills = 10000, 10
	}
	dsn := pgtest.DSN(t)
	// open migrates the schema before the child opens it.
	crashtest.Sweep(t, envSweepChild, dsn, open(t, dsn), n, kills)
}
