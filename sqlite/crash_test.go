package sqlite_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/privacykit/privacy/internal/crashtest"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/sqlite"
)

// envCrashChild makes the test binary a child that appends to the ledger
// at the path it names from 64 goroutines until it is killed
// (crashtest.AppendForever).
const envCrashChild = "PRIVACY_TEST_LEDGER_CRASH_CHILD"

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(string){envCrashChild: crashChild, envSweepChild: sweepChild})
	os.Exit(m.Run())
}

func crashChild(path string) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		crashtest.Die(err)
	}
	crashtest.AppendForever(ctx, db.ConsentStore(), 64)
}

// TestGroupCommitSurvivesKill kills a process appending from 64 writers,
// one record or a batch at a time, with SIGKILL, and checks that every
// record whose Append or AppendBatch returned is in the ledger, that no
// batch is stored in part and that the ledger verifies: no lost and no
// half-written record. The long runs kill it ten times over one ledger.
func TestGroupCommitSurvivesKill(t *testing.T) {
	t.Parallel()
	kills := 1
	if testenv.Long() && !testenv.Race { // the kill loop finds nothing more under the race detector
		kills = 10
	}
	path := tempFile(t)
	total := 0
	for k := range kills {
		lines, _ := crashtest.Run(t, envCrashChild, path, &crashtest.KillPoint{Lines: 50, Delay: time.Duration(200+k*50) * time.Millisecond})
		if len(lines) == 0 {
			t.Fatalf("kill %d: the child appended nothing", k)
		}
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		fig := crashtest.CheckLedger(t, db.ConsentStore(), lines)
		total += fig.Acknowledged
		t.Logf("kill %d: %d appended records acknowledged, %d records in an intact ledger", k, fig.Acknowledged, fig.Records)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kill(s): %d acknowledged records, 0 lost, no batch in part, the ledger intact", kills, total)
}
