package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"

	"github.com/spf13/pflag"
)

// The retention verbs work on the inventory table of the same database
// (services fill it through the Go API: sqlite.DB.Inventory().Put) and
// the holds, overrides and sweep journal kept beside it.

func cmdRetentionPlan(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.registerRead(fs)
	pf.registerCatalog(fs)
	items := fs.Bool("items", false, "print every due or held record as a JSON line before the summary")
	return func(ctx context.Context, args []string) error {
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		sw, err := retention.NewSweeper(cat, st.retention, st.inventory, nil)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(c.stdout)
		sum, err := sw.Plan(ctx, func(it retention.Item) error {
			if !*items || (it.Verdict.Status != retention.StatusDue && it.Verdict.Status != retention.StatusHeld) {
				return nil
			}
			return enc.Encode(it)
		})
		if err != nil {
			return err
		}
		return c.print(sum)
	}
}

func cmdRetentionSweep(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	batch := fs.Int("batch", 500, "records erased per batch (each batch is audited and checkpointed)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	return func(ctx context.Context, args []string) error {
		if *batch < 1 {
			return usagef("--batch must be at least 1")
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		opts := []retention.Option{retention.WithBatchSize(*batch)}
		if !*quiet {
			opts = append(opts, retention.WithProgress(func(p retention.Progress) {
				fmt.Fprintf(c.stderr, "privacyctl: sweep %s batch %d: %d scanned, %d deleted, %d anonymised, %d held\n",
					p.SweepID, p.Batch, p.Scanned, p.Deleted, p.Anonymised, p.Held)
			}))
		}
		sw, err := retention.NewSweeper(cat, st.retention, st.inventory, st.inventory, opts...)
		if err != nil {
			return err
		}
		sum, err := sw.Sweep(ctx)
		if err != nil {
			return err
		}
		return c.print(sum)
	}
}

func cmdRetentionHold(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	subjectID := fs.String("subject", "", "hold one subject's data (default: every subject)")
	category := fs.String("category", "", "hold a category and its children (default: every category)")
	by := fs.String("by", "", "the person placing the hold (required)")
	reason := fs.String("reason", "", "why: the dispute or request it serves (required)")
	until := fs.String("until", "", "RFC 3339 `time` at which the hold lapses (default: until released)")
	return func(ctx context.Context, args []string) error {
		if err := required("by", *by, "reason", *reason); err != nil {
			return err
		}
		if *category != "" {
			cat, err := pf.loadCatalog()
			if err != nil {
				return err
			}
			if len(cat.Leaves(*category)) == 0 {
				return usagef("--category: the catalog has no category %q%s", *category, privacy.DidYouMean(*category, categoryKeys(cat)))
			}
		}
		h := retention.Hold{SubjectID: *subjectID, Category: *category, PlacedBy: *by, Reason: *reason, PlacedAt: time.Now().UTC()}
		var err error
		if h.Until, err = timeFlag("until", *until); err != nil {
			return err
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		placed, err := st.retention.PlaceHold(ctx, h)
		if err != nil {
			return err
		}
		return c.print(placed)
	}
}

func cmdRetentionRelease(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.register(fs)
	id := fs.String("id", "", "hold `id` (required)")
	by := fs.String("by", "", "the person releasing the hold (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("id", *id, "by", *by); err != nil {
			return err
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		h, err := st.retention.ReleaseHold(ctx, *id, *by, time.Now().UTC())
		if err != nil {
			return err
		}
		return c.print(h)
	}
}

func cmdRetentionHolds(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	return func(ctx context.Context, args []string) error {
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		holds, err := st.retention.ActiveHolds(ctx, time.Now().UTC())
		if err != nil {
			return err
		}
		if holds == nil {
			holds = []retention.Hold{}
		}
		return c.print(holds)
	}
}
