package dsar_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
)

// contacts is a service's store of contact details: a Source in a few lines.
type contacts struct {
	mu     sync.Mutex
	emails map[string]string // subject id -> email
}

func (c *contacts) Export(_ context.Context, s privacy.Subject) ([]dsar.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.emails[s.ID]; ok {
		return []dsar.Record{{Category: "instance.contact.email", Value: e}}, nil
	}
	return nil, nil
}

func (c *contacts) Erase(_ context.Context, s privacy.Subject, categories []string) ([]dsar.Erased, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.emails[s.ID]; !ok || !slices.Contains(categories, "instance.contact.email") {
		return nil, nil
	}
	delete(c.emails, s.ID)
	return []dsar.Erased{{Category: "instance.contact.email", Method: dsar.Deleted, Count: 1}}, nil
}

func (c *contacts) Rectify(_ context.Context, s privacy.Subject, cs []dsar.Correction) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range cs {
		if v, ok := x.Value.(string); ok && x.Category == "instance.contact.email" {
			c.emails[s.ID] = v
			n++
		}
	}
	return n, nil
}

func ExampleDesk() {
	ctx := context.Background()
	now := time.Date(2026, time.January, 31, 10, 0, 0, 0, time.UTC)
	n := 0
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("contacts", &contacts{emails: map[string]string{"u-1": "ann@example.com"}}),
		dsar.WithClock(func() time.Time { return now }),
		dsar.WithIDs(func() string { n++; return fmt.Sprintf("dsar-%d", n) }),
	)
	ann := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}

	// Access: open, verify, run, export.
	r, _ := desk.Open(ctx, dsar.Request{Kind: dsar.KindAccess, Subject: ann, Channel: "email"})
	fmt.Println(r.ID, r.Status, "due", r.Due.Format(time.DateOnly))
	r, _ = desk.Verify(ctx, r.ID, dsar.Evidence{Method: "email_link", By: "support"})
	r, _ = desk.Run(ctx, r.ID)
	fmt.Println(r.ID, r.Status)
	export, _ := desk.Export(ctx, r.ID)
	fmt.Print(export.Summary())

	// Erasure, then access again.
	for _, kind := range []dsar.Kind{dsar.KindErasure, dsar.KindAccess} {
		r, _ = desk.Open(ctx, dsar.Request{Kind: kind, Subject: ann})
		desk.Verify(ctx, r.ID, dsar.Evidence{Method: "email_link", By: "support"})
		r, _ = desk.Run(ctx, r.ID)
		fmt.Println(r.ID, r.Kind, r.Status)
	}
	export, _ = desk.Export(ctx, r.ID)
	fmt.Print(export.Summary())
	// Output:
	// dsar-1 received due 2026-02-28
	// dsar-1 completed
	// Access request dsar-1 (GDPR Art. 15) for user u-1, answered 2026-01-31
	// Controller: 24sessions.com B.V. (support@24sessions.com)
	// 1 record in 1 category from the services searched (contacts):
	// - email address (instance.contact.email): 1 record; used for account.profile, account.access, service.delivery, support, billing, marketing.announcements, research.surveys, marketing.profiling, referral, legal.compliance, legal.claims; kept P90D after account_closed, then delete
	// Categories of recipient this data may be disclosed to: affiliate, processor, partner, third_party, public_authority, individual.
	// Lawful bases, recipients per purpose, transfers and your rights are in the JSON export.
	// dsar-2 erasure completed
	// dsar-3 access completed
	// Access request dsar-3 (GDPR Art. 15) for user u-1, answered 2026-01-31
	// Controller: 24sessions.com B.V. (support@24sessions.com)
	// We hold no personal data about you in the services searched (contacts).
}

func ExampleDueDate() {
	received := time.Date(2026, time.January, 31, 16, 45, 0, 0, time.UTC)
	fmt.Println("due:", dsar.DueDate(received, 0).Format(time.DateOnly))
	fmt.Println("extended by two months:", dsar.DueDate(received, 2).Format(time.DateOnly))
	// Output:
	// due: 2026-02-28
	// extended by two months: 2026-04-30
}
