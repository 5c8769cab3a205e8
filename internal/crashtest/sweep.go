package crashtest

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
	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/retention"
)

// The retention sweep crash test, shared by the SQLite and PostgreSQL
// stores: the test fills an inventory and places a legal hold, and a
// child sweeps it, killed at random points and restarted until the sweep
// is done.

// DB is a database of the module's SQL stores: a *sqlite.DB or a
// *postgres.DB.
type DB interface {
	RetentionStore() *sqlstore.RetentionStore
	Inventory() *sqlstore.Inventory
}

// Open opens the database at where, a file path or a DSN that the test
// and its child share.
type Open func(ctx context.Context, where string) (DB, error)

// sweepT0 is the sweep's time at the test's epoch; its clock runs on from
// there in real time, so that the lease of a killed sweeper passes.
var sweepT0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// sweepLease is short, so that a resumed sweep takes over soon.
const sweepLease = 300 * time.Millisecond

func newSweeper(db DB, epoch time.Time, eraser retention.Eraser) (*retention.Sweeper, error) {
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

// SweepChild returns the child of Sweep over the databases open opens: it
// sweeps the inventory of the database "WHERE|EPOCH" names until the
// sweep is done.
func SweepChild(open Open) func(arg string) {
	return func(arg string) {
		i := strings.LastIndexByte(arg, '|')
		if i < 0 {
			Die(fmt.Errorf("sweep child: argument %q is not WHERE|EPOCH", arg))
		}
		ns, err := strconv.ParseInt(arg[i+1:], 10, 64)
		if err != nil {
			Die(err)
		}
		ctx := context.Background()
		db, err := open(ctx, arg[:i])
		if err != nil {
			Die(err)
		}
		s, err := newSweeper(db, time.Unix(0, ns), &printingEraser{Eraser: db.Inventory()})
		if err != nil {
			Die(err)
		}
		for {
			_, err := s.Sweep(ctx)
			if errors.Is(err, retention.ErrLocked) {
				time.Sleep(sweepLease / 3) // the killed sweeper's lease
				continue
			}
			if err != nil {
				Die(err)
			}
			fmt.Println("done")
			return
		}
	}
}

// Sweep sweeps an inventory of n records with legal holds in the child
// env names (SweepChild over open, in the package's TestMain), kills it
// with SIGKILL at kills random points and restarts it until the sweep is
// done. db is the database at where, open in the test. At the end exactly
// the records that were not due must be left: every held and retained
// record kept, every due one erased; and the audit trail must have one
// record per batch, covering the keys end to end, whose counts add up to
// the plan's.
func Sweep(t *testing.T, env, where string, db DB, n, kills int) {
	t.Helper()
	ctx := t.Context()
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
	planner, err := newSweeper(db, epoch, nil)
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
	arg := fmt.Sprintf("%s|%d", where, epoch.UnixNano())
	runs, killed := 0, 0
	for {
		var kill *KillPoint
		if killed < kills {
			kill = &KillPoint{Lines: 1 + rng.IntN(plan.Due/kills), Delay: time.Duration(rng.IntN(20)) * time.Millisecond}
		}
		lines, ok := Run(t, env, arg, kill)
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
