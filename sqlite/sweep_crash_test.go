package sqlite_test

import (
	"context"
	"testing"

	"github.com/privacykit/privacy/internal/crashtest"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/sqlite"
)

// envSweepChild makes the test binary a child that sweeps the inventory
// of the database "PATH|EPOCH" names until the sweep is done
// (crashtest.SweepChild).
const envSweepChild = "PRIVACY_TEST_SWEEP_CRASH_CHILD"

var sweepChild = crashtest.SweepChild(func(ctx context.Context, path string) (crashtest.DB, error) {
	return sqlite.Open(ctx, path)
})

// TestSweepSurvivesKill sweeps an inventory with legal holds in a child
// process, kills it with SIGKILL at random points and restarts it until
// the sweep is done (crashtest.Sweep). The quick form sweeps 3,000
// records with two kills; PRIVACY_LONG_TESTS=1 sweeps 30,000 with ten
// (not under the race detector).
func TestSweepSurvivesKill(t *testing.T) {
	t.Parallel()
	n, kills := 3000, 2
	if testenv.Long() && !testenv.Race {
		n, kills = 30000, 10
	}
	path := tempFile(t)
	crashtest.Sweep(t, envSweepChild, path, open(t, path), n, kills)
}
