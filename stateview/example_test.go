package stateview_test

import (
	"context"
	"fmt"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/sqlite"
)

// An engine reading consent through a view of a SQLite database: the
// decisions after the first come from memory, and a withdrawal through the
// database's ledger is in the next decision.
func Example() {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	view := db.View()
	eng, err := policies.New(ctx, policies.WithConsents(view.Consents()), policies.WithSubjects(view.Subjects()))
	if err != nil {
		panic(err)
	}
	survey := privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
		Purpose: "research.surveys",
		Data:    []string{"instance.contact.email"},
	}
	ledger := db.ConsentStore()
	_, _ = consent.Grant(ctx, ledger, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox})
	for range 3 {
		d, _ := eng.Decide(ctx, survey)
		fmt.Println(d.Allowed, d.Basis)
	}
	_, _ = consent.Withdraw(ctx, ledger, consent.Record{SubjectID: "u-1", Purpose: "research.surveys"})
	d, _ := eng.Decide(ctx, survey)
	fmt.Println(d.Allowed, d.Codes())
	s := view.Stats()
	fmt.Println("read from the database:", s.Misses, "from memory:", s.Hits)
	// Output:
	// true consent
	// true consent
	// true consent
	// false [consent.withdrawn]
	// read from the database: 4 from memory: 4
}
