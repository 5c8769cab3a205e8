package retention_test

import (
	"context"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
)

// A plan lists what is due, what is held and why; a sweep erases the due
// records and keeps an audit record per batch.
func ExampleSweeper() {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	closed := map[privacy.Trigger]time.Time{
		privacy.TriggerAccountClosed: now.AddDate(0, -6, 0),
		privacy.TriggerCollected:     now.AddDate(-2, 0, 0),
	}
	inv := memory.NewInventory(
		retention.Record{Key: "1", SubjectID: "u-1", Category: "instance.contact.email", Times: closed},
		retention.Record{Key: "2", SubjectID: "u-1", Category: "instance.financial.payment", Times: closed},
		retention.Record{Key: "3", SubjectID: "u-2", Category: "instance.feedback.review", Times: closed},
		retention.Record{Key: "4", SubjectID: "u-3", Category: "instance.contact.email"},
	)
	store := memory.NewRetentionStore()
	store.PlaceHold(ctx, retention.Hold{SubjectID: "u-2", PlacedBy: "legal@24sessions.com",
		Reason: "chargeback dispute 2026-114", PlacedAt: now.AddDate(0, 0, -1)})

	s, err := retention.NewSweeper(privacy.DefaultCatalog(), store, inv, inv,
		retention.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	s.Plan(ctx, func(it retention.Item) error {
		fmt.Printf("%s %-26s %-8s %v\n", it.Record.Key, it.Record.Category, it.Verdict.Status, it.Verdict.HeldBy)
		return nil
	})
	sum, err := s.Sweep(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("deleted %d, anonymised %d, held %d\n", sum.Delete, sum.Anonymise, sum.Held)
	// Output:
	// 1 instance.contact.email     due      []
	// 2 instance.financial.payment held     [statutory hold (AWR art. 52(4); BW 2:10(3)) until 2032-01-01T00:00:00Z]
	// 3 instance.feedback.review   held     [legal hold hold-1 by legal@24sessions.com: chargeback dispute 2026-114]
	// 4 instance.contact.email     retained []
	// deleted 1, anonymised 0, held 2
}
