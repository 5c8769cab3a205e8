package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/sqlite"
)

// envCrashChild makes the test binary a child that appends to the ledger
// at the path it names from 64 goroutines until it is killed, printing
// the id of every record whose Append returned.
const envCrashChild = "PRIVACY_TEST_LEDGER_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(envCrashChild); path != "" {
		crashChild(path)
		return
	}
	os.Exit(m.Run())
}

func crashChild(path string) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s := db.ConsentStore()
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				r, err := s.Append(ctx, consent.Record{SubjectID: fmt.Sprintf("c-%d-%d", g, i), Purpose: "research.surveys",
					Event: consent.Given, PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: time.Now()})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintln(out, r.RecordID)
				out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestGroupCommitSurvivesKill kills a process appending from 64 writers
// with SIGKILL and checks that every record whose Append returned is in
// the ledger and that the ledger verifies: no lost and no half-written
// record. The long runs kill it ten times over one ledger.
func TestGroupCommitSurvivesKill(t *testing.T) {
	t.Parallel()
	kills := 1
	if testenv.Long() {
		kills = 10
	}
	path := tempFile(t)
	for k := range kills {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var returned []string
		sc := bufio.NewScanner(stdout)
		deadline := time.Now().Add(time.Duration(200+k*50) * time.Millisecond)
		for sc.Scan() {
			returned = append(returned, sc.Text())
			if len(returned) > 50 && time.Now().After(deadline) {
				break
			}
		}
		cmd.Process.Kill() // SIGKILL
		for sc.Scan() {    // what it printed before it died
			returned = append(returned, sc.Text())
		}
		cmd.Wait()
		if len(returned) == 0 {
			t.Fatalf("kill %d: the child appended nothing: %s", k, stderr.String())
		}

		db := open(t, path)
		s := db.ConsentStore()
		rep, err := consent.Verify(t.Context(), s)
		if err != nil || !rep.Intact {
			t.Fatalf("kill %d: Verify: %s, %v", k, rep, err)
		}
		for _, id := range returned {
			if _, err := s.Record(t.Context(), id); err != nil {
				t.Fatalf("kill %d: record %s, returned by Append before the kill, is lost: %v", k, id, err)
			}
		}
		t.Logf("kill %d: %d appends returned, %d records in an intact ledger", k, len(returned), rep.Checked)
		db.Close()
	}
}
