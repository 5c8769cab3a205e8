// Command retention fills a SQLite retention inventory with records of many
// ages and shows the catalog's retention at work: a plan (what is due,
// what is held and why), a legal hold, a sweep in batches with progress and
// an audit trail, and the release of the hold making its records due.
//
//	go run ./examples/retention [-db FILE] [-n RECORDS]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
)

func main() {
	db := flag.String("db", "", "SQLite file (default: a temporary file)")
	n := flag.Int("n", 5000, "number of inventory records")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *db, *n); err != nil {
		fmt.Fprintln(os.Stderr, "retention example:", err)
		os.Exit(1)
	}
}

// now is the example's clock: fixed, so that the output is reproducible.
var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func run(ctx context.Context, out io.Writer, path string, n int) error {
	if path == "" {
		dir, err := os.MkdirTemp("", "retention-example")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "privacy.db")
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	inv, store := db.Inventory(), db.RetentionStore()
	if err := inv.Put(ctx, inventory(n)); err != nil {
		return err
	}
	fmt.Fprintf(out, "inventory: %d records in %s\n", n, filepath.Base(path))

	// acme, one of the account holders, keeps its guests' session data
	// only a week (its DPA choice, within the catalog's P1D..P1Y).
	catalog := privacy.DefaultCatalog()
	choice := retention.Override{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P7D"), SetBy: "dpo@acme.example", SetAt: now}
	if err := retention.CheckOverride(catalog, choice); err != nil {
		return err
	}
	if err := store.SetOverride(ctx, choice); err != nil {
		return err
	}
	// A customer disputes an invoice: legal places a hold on everything
	// about them until the dispute is settled.
	hold, err := store.PlaceHold(ctx, retention.Hold{ID: "hold-dispute-114", SubjectID: "u-7", PlacedBy: "legal@24sessions.com",
		Reason: "invoice dispute 2026-114", PlacedAt: now.AddDate(0, 0, -3)})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "placed %s\n", hold.String())

	sweeper, err := retention.NewSweeper(catalog, store, inv, inv,
		retention.WithClock(func() time.Time { return now }), retention.WithBatchSize(500),
		retention.WithProgress(func(p retention.Progress) {
			fmt.Fprintf(out, "  batch %d: scanned %d, deleted %d, anonymised %d, held %d\n", p.Batch, p.Scanned, p.Deleted, p.Anonymised, p.Held)
		}))
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "\nplan:")
	if err := plan(ctx, out, sweeper); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nsweep:")
	sum, err := sweeper.Sweep(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "swept: deleted %d, anonymised %d, held %d, retained %d in %d batches\n", sum.Delete, sum.Anonymise, sum.Held, sum.Retained, sum.Batches)
	audits, err := store.Audits(ctx, "retention")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "audit trail: %d batch records\n", len(audits))

	if _, err := store.ReleaseHold(ctx, hold.ID, "legal@24sessions.com", now); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nreleased %s; plan:\n", hold.ID)
	if err := plan(ctx, out, sweeper); err != nil {
		return err
	}
	sum, err = sweeper.Sweep(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "swept: deleted %d, anonymised %d\n", sum.Delete, sum.Anonymise)
	return nil
}

// plan prints the plan's counts and, once each, the reasons records are
// held.
func plan(ctx context.Context, out io.Writer, s *retention.Sweeper) error {
	reasons := map[string]int{}
	sum, err := s.Plan(ctx, func(it retention.Item) error {
		for _, r := range it.Verdict.HeldBy {
			if head, _, ok := strings.Cut(r, " until "); ok && strings.HasPrefix(r, "statutory") {
				r = head // one line for every end date
			}
			reasons[r]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  due %d (delete %d, anonymise %d), held %d, retained %d, unruled %d\n",
		sum.Due, sum.Delete, sum.Anonymise, sum.Held, sum.Retained, sum.Unruled)
	keys := make([]string, 0, len(reasons))
	for r := range reasons {
		keys = append(keys, r)
	}
	sort.Strings(keys)
	for _, r := range keys {
		fmt.Fprintf(out, "  held by %s: %d\n", r, reasons[r])
	}
	return nil
}

// inventory makes n records of many ages across the reference categories:
// user data of open and closed accounts, invoices from the last ten years,
// recordings, security logs, and guest data of two controllers.
func inventory(n int) []retention.Record {
	kinds := []func(i int) retention.Record{
		func(i int) retention.Record { // account data, some accounts closed
			r := retention.Record{Category: "instance.account.username", Times: times(privacy.TriggerCollected, 2000)}
			if i%3 == 0 {
				r.Times[privacy.TriggerAccountClosed] = now.AddDate(0, 0, -(i % 200))
			}
			return r
		},
		func(i int) retention.Record { // invoices and payments
			r := retention.Record{Category: "instance.financial.payment", Times: times(privacy.TriggerCollected, i%3650)}
			if i%2 == 0 {
				r.Times[privacy.TriggerAccountClosed] = now.AddDate(0, 0, -400)
			}
			return r
		},
		func(i int) retention.Record {
			return retention.Record{Category: "instance.meeting.recording", Times: times(privacy.TriggerMeetingEnded, i%730)}
		},
		func(i int) retention.Record {
			return retention.Record{Category: "instance.network.ip_address", Times: times(privacy.TriggerCollected, i%365)}
		},
		func(i int) retention.Record {
			r := retention.Record{Category: "instance.feedback.review", Times: times(privacy.TriggerCollected, 900)}
			if i%2 == 0 {
				r.Times[privacy.TriggerAccountClosed] = now.AddDate(0, 0, -(i % 180))
			}
			return r
		},
		func(i int) retention.Record { // guest session data of acme and globex
			r := retention.Record{Category: "guest.it.usage", Controller: "globex", Times: times(privacy.TriggerMeetingEnded, i%120)}
			if i%2 == 0 {
				r.Controller = "acme"
			}
			return r
		},
	}
	recs := make([]retention.Record, n)
	for i := range recs {
		r := kinds[i%len(kinds)](i / len(kinds))
		r.Key = fmt.Sprintf("rec-%08d", i)
		r.SubjectID = fmt.Sprintf("u-%d", i%50)
		if r.Controller != "" {
			r.SubjectID = fmt.Sprintf("g-%d", i%50)
		}
		recs[i] = r
	}
	return recs
}

func times(tr privacy.Trigger, daysAgo int) map[privacy.Trigger]time.Time {
	return map[privacy.Trigger]time.Time{tr: now.AddDate(0, 0, -daysAgo)}
}
