package consent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
)

// Grant and withdraw a consent, read its state, verify the ledger and hand
// the subject a receipt.
func Example() {
	ctx := context.Background()
	ledger := memory.NewConsentStore()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

	g, err := consent.Grant(ctx, ledger, privacy.DefaultCatalog(), consent.Record{
		SubjectID:     "u-1",
		Purpose:       "research.surveys",
		PolicyVersion: "1.2",
		Method:        consent.MethodCheckbox,
		CollectedAt:   at,
	})
	if err != nil {
		panic(err)
	}
	st, _ := ledger.State(ctx, "u-1", "research.surveys", at.Add(time.Hour))
	fmt.Println("after grant:", st.Event)

	if _, err := consent.Withdraw(ctx, ledger, consent.Record{SubjectID: "u-1", Purpose: "research.surveys"}); err != nil {
		panic(err)
	}
	st, _ = ledger.State(ctx, "u-1", "research.surveys", time.Now())
	fmt.Println("after withdrawal:", st.Event)

	rep, err := consent.Verify(ctx, ledger)
	if err != nil {
		panic(err)
	}
	fmt.Println("ledger intact:", rep.Intact, rep.Checked)

	receipt, err := consent.NewReceipt(g, privacy.DefaultCatalog())
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(receipt.Services[0].Purposes[0].PurposeCategory)
	fmt.Println(receipt.Version, receipt.ConsentTimestamp, receipt.PIIPrincipalID, string(b))
	// Output:
	// after grant: given
	// after withdrawal: withdrawn
	// ledger intact: true 2
	// KI-CR-v1.1.0 1795867200 u-1 ["https://w3id.org/dpv#ServiceImprovement"]
}

// A consent given under an older policy version is stale once the catalog
// records a material change of the purpose (the engine denies it with
// consent.stale_version). Latest lists each subject's state for the
// purpose; policies.Engine.StaleConsents says which are stale.
func ExampleResubscriber() {
	ctx := context.Background()
	ledger := memory.NewConsentStore()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, r := range []consent.Record{
		{SubjectID: "u-1", Purpose: "referral", PolicyVersion: "1.1", CollectedAt: at},
		{SubjectID: "u-2", Purpose: "referral", PolicyVersion: "1.2", CollectedAt: at},
	} {
		if _, err := consent.Grant(ctx, ledger, privacy.DefaultCatalog(), r); err != nil {
			panic(err)
		}
	}
	states, _ := ledger.Latest(ctx, "referral")
	for _, st := range states {
		fmt.Println(st.SubjectID, st.Event, st.PolicyVersion)
	}
	// Output:
	// u-1 given 1.1
	// u-2 given 1.2
}

// Erasure keeps the proof: the records stay, under a pseudonym, and the
// chain still verifies.
func ExampleVerify_afterErasure() {
	ctx := context.Background()
	ledger := memory.NewConsentStore()
	if _, err := consent.Grant(ctx, ledger, privacy.DefaultCatalog(), consent.Record{
		SubjectID: "u-1", Purpose: "referral", PolicyVersion: "1.2", CollectedAt: time.Now(),
	}); err != nil {
		panic(err)
	}
	n, _ := ledger.Pseudonymise(ctx, "u-1")
	history, _ := ledger.History(ctx, "u-1")
	rep, _ := consent.Verify(ctx, ledger)
	fmt.Println(n, len(history), rep.Intact)
	// Output: 1 0 true
}

// A periodic job writes the expiry of lapsed consents to the ledger.
func ExampleRecordExpiries() {
	ctx := context.Background()
	ledger := memory.NewConsentStore()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	_, _ = consent.Grant(ctx, ledger, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: at, ExpiresAt: at.AddDate(0, 6, 0)})

	n, err := consent.RecordExpiries(ctx, ledger, at.AddDate(1, 0, 0))
	fmt.Println("recorded:", n, err)
	history, _ := ledger.History(ctx, "u-1")
	for _, r := range history {
		fmt.Printf("%d %s %s by %q\n", r.Seq, r.Event, r.CollectedAt.Format(time.DateOnly), r.CollectedBy)
	}
	// Output:
	// recorded: 1 <nil>
	// 1 given 2026-11-28 by ""
	// 2 expired 2027-05-28 by "privacykit:expiry"
}
