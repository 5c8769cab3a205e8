package memory_test

import (
	"context"
	"fmt"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
)

// An engine on in-memory stores, as a test or an example uses it: the
// consent recorded in the store is the one the next decision reads.
func Example() {
	ctx := context.Background()
	consents := memory.NewConsentStore()
	states := memory.NewStateStore()
	eng, err := policies.New(ctx, policies.WithConsents(consents), policies.WithSubjects(states))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "research.surveys",
		Data:    []string{"instance.contact.email"},
	}
	before, err := eng.Decide(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("before consent:", before.Allowed, before.Codes())

	if _, err := consent.Grant(ctx, consents, eng.Catalog(), consent.Record{
		SubjectID: "u-1", Purpose: "research.surveys", PolicyVersion: eng.PolicyVersion(),
		Method: consent.MethodCheckbox, Act: consent.ActUntickedBox, CollectedBy: "signup-form",
	}); err != nil {
		fmt.Println(err)
		return
	}
	after, err := eng.Decide(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after consent:", after.Allowed, after.Basis)
	// Output:
	// before consent: false [consent.missing]
	// after consent: true consent
}
