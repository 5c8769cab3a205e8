package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/crashtest"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
)

// envSweepChild makes the test binary a child that sweeps the inventory
// of the database "PATH|EPOCH" names until the sweep is done (sweepChild).
const envSweepChild = "PRIVACY_TEST_SWEEP_CRASH_CHILD"

// sweepT0 is the sweep's time at EPOCH; its clock runs on from there in
// real time, so that the lease of a killed sweeper passes.
var sweepT0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// sweepLease is short, so that a resumed sweep takes over soon.
const sweepLease = 300 * time.Millisecond

func newCrashSweeper(db *sqlite.DB, epoch time.Time, eraser retention.Eraser) (*retention.Sweeper, error) {
	return retention.NewSweeper(privacy.DefaultCatalog(), db.RetentionStore(), db.Inventory(), eraser,
		retention.WithClock(func() time.Time { return sweepT0.Add(time.Since(epoch)) }),
		retention.WithBatchSize(100), retention.WithName("nightly"), retention.WithLease(sweepLease))
}

// printingEraser prints "e KEY" for every key its Erase was handed and
// did not spare, once the erasure returned, for the test to kill the
// child at a point of the sweep. A key handed again (a batch resumed after
// a kill that followed its erasure) is printed again: the inventory skips
// keys already erased.
type printingEraser struct {
	retention.Eraser
	mu sync.Mutex
}

func (p *printingEraser) Erase(ctx context.Context, keys []string, g *retention.Guard) ([]string, error) {
	spared, err := p.Eraser.Erase(ctx, keys, g)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, k := range keys {
		if !slices.Contains(spared, k) {
			fmt.Fprintf(&b, "e %s\n", k)
		}
	}
	fmt.Print(b.String())
	return spared, nil
}

func sweepChild(arg string) {
	path, epochText, _ := strings.Cut(arg, "|")
	ns, err := strconv.ParseInt(epochText, 10, 64)
	if err != nil {
		crashtest.Die(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		crashtest.Die(err)
	}
	s, err := newCrashSweeper(db, time.Unix(0, ns), &printingEraser{Eraser: db.Inventory()})
	if err != nil {
		crashtest.Die(err)
	}
	for {
		_, err := s.Sweep(ctx)
		if errors.Is(err, retention.ErrLocked) {
			time.Sleep(sweepLease / 3) // the killed sweeper's lease
			continue
		}
		if err != nil {
			crashtest.Die(err)
		}
		fmt.Println("done")
		return
	}
}

// TestSweepSurvivesKill sweeps an inventory with legal holds in a child
// process, kills it with SIGKILL at random points and restarts it until
// the sweep is done. No key may be erased twice, and at the end exactly
// the records that were not due are left: every held and retained record
// kept, every due one erased. The quick form sweeps 3,000 records with two
// kills; PRIVACY_LONG_TESTS=1 sweeps 30,000 with ten (not under the race
// detector).
func TestSweepSurvivesKill(t *testing.T) {
	t.Parallel()
	n, kills := 3000, 2
	if testenv.Long() && !testenv.Race {
		n, kills = 30000, 10
	}
	ctx := t.Context()
	path := tempFile(t)
	db := open(t, path)
	recs := make([]retention.Record, n)
	for i := range recs {
		r := retention.Record{Key: fmt.Sprintf("k-%07d", i), SubjectID: fmt.Sprintf("u-%d", i%13)}
		switch i % 3 {
		case 0: // deleted 90 days after the account closed
			r.Category = "instance.contact.email"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: sweepT0.AddDate(0, 0, -91-i%50)}
		case 1:
			r.Category = "instance.meeting.data"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: sweepT0.AddDate(-1, 0, 0)}
		case 2: // collected within its period: retained
			r.Category = "instance.network.ip_address"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerCollected: sweepT0.AddDate(0, 0, -i%20)}
		}
		recs[i] = r
	}
	if err := db.Inventory().Put(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetentionStore().PlaceHold(ctx, retention.Hold{SubjectID: "u-5", PlacedBy: "legal", Reason: "dispute 2026-40",
		PlacedAt: sweepT0.AddDate(0, -1, 0)}); err != nil {
		t.Fatal(err)
	}
	epoch := time.Now()
	planner, err := newCrashSweeper(db, epoch, nil)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	plan, err := planner.Plan(ctx, func(it retention.Item) error {
		if it.Verdict.Status != retention.StatusDue {
			keep[it.Record.Key] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Due == 0 || plan.Held == 0 || plan.Retained == 0 {
		t.Fatalf("plan %+v: the inventory must have due, held and retained records", plan)
	}

	rng := rand.New(rand.NewPCG(20261203, 9))
	arg := fmt.Sprintf("%s|%d", path, epoch.UnixNano())
	runs, killed := 0, 0
	for {
		var kill *crashtest.KillPoint
		if killed < kills {
			kill = &crashtest.KillPoint{Lines: 1 + rng.IntN(plan.Due/kills), Delay: time.Duration(rng.IntN(20)) * time.Millisecond}
		}
		lines, ok := crashtest.Run(t, envSweepChild, arg, kill)
		runs++
		if ok {
			if !slices.Contains(lines, "done") {
				t.Fatalf("the child ended without finishing the sweep: %d lines", len(lines))
			}
			break
		}
		killed++
	}

	left := map[string]bool{}
	for after := ""; ; {
		page, err := db.Inventory().Records(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			left[r.Key] = true
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Key
	}
	lost, notErased := 0, 0
	for k := range keep {
		if !left[k] {
			lost++
			if lost <= 10 {
				t.Errorf("record %s, held or not due, was erased", k)
			}
		}
	}
	for k := range left {
		if !keep[k] {
			notErased++
			if notErased <= 10 {
				t.Errorf("record %s, due, is left after the sweep", k)
			}
		}
	}

	// Exactly once: the audit trail has one record per batch, the batches
	// cover the inventory's keys end to end without overlap, and count
	// every record once.
	audits, err := db.RetentionStore().Audits(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	var total retention.Audit
	last := ""
	for i, a := range audits {
		if a.Seq != i+1 || a.FirstKey != last || a.LastKey <= a.FirstKey {
			t.Errorf("audit %d: seq %d covers (%q, %q], want seq %d from %q", i, a.Seq, a.FirstKey, a.LastKey, i+1, last)
		}
		last = a.LastKey
		total.Scanned += a.Scanned
		total.Deleted += a.Deleted
		total.Anonymised += a.Anonymised
		total.Held += a.Held
		total.Retained += a.Retained
		total.Spared += a.Spared
	}
	if total.Scanned != n || total.Deleted+total.Anonymised != plan.Due || total.Held != plan.Held || total.Retained != plan.Retained || total.Spared != 0 {
		t.Errorf("the audit trail counts %d scanned, %d deleted, %d anonymised, %d held, %d retained, %d spared; want %d scanned, %d erased, %d held, %d retained, none spared",
			total.Scanned, total.Deleted, total.Anonymised, total.Held, total.Retained, total.Spared, n, plan.Due, plan.Held, plan.Retained)
	}
	t.Logf("%d records (%d due, %d held, %d retained): %d kills, %d runs, %d batches audited once each; %d held or retained records lost, %d due records left",
		n, plan.Due, plan.Held, plan.Retained, killed, runs, len(audits), lost, notErased)
}
