// Command quickstart shows privacykit deciding requests against the
// reference catalog (the 24sessions privacy policy) on an embedded SQLite
// database in a temporary folder: it records a consent and an objection,
// then prints explained decisions, allowed and denied.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/subject"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "privacykit-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The embedded default store: one SQLite file, schema migrated on open.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "privacy.db"))
	if err != nil {
		return err
	}
	defer db.Close()

	// Decisions read consent and subject state through an in-memory view
	// of the database, which every write through db keeps current (this
	// process is the file's only writer).
	view := db.View()
	eng, err := policies.New(ctx,
		policies.WithConsents(view.Consents()),
		policies.WithSubjects(view.Subjects()))
	if err != nil {
		return err
	}
	fmt.Printf("privacykit quickstart: %s, policy version %s\n\n", eng.Catalog().Name, eng.PolicyVersion())

	// Alice ticks the survey box; Bob objects to all direct marketing.
	if _, err := consent.Grant(ctx, db.ConsentStore(), eng.Catalog(), consent.Record{
		SubjectID: "alice", Purpose: "research.surveys", PolicyVersion: "1.2",
		Method: consent.MethodCheckbox, Act: consent.ActUntickedBox, CollectedBy: "quickstart",
	}); err != nil {
		return err
	}
	fmt.Println("recorded: alice consents to research.surveys (checkbox, policy 1.2)")
	if err := subject.ObjectToDirectMarketing(ctx, db.StateStore(), "bob"); err != nil {
		return err
	}
	fmt.Println("recorded: bob objects to all direct marketing (Art. 21(2))")
	fmt.Println()

	alice := privacy.Subject{ID: "alice", Kind: privacy.SubjectUser, Age: 34, Country: "NL"}
	bob := privacy.Subject{ID: "bob", Kind: privacy.SubjectUser, Age: 41, Country: "DE"}
	guest := privacy.Subject{ID: "guest-7", Kind: privacy.SubjectGuest, Country: "BE", Controller: "acme"}
	mailer := &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "US", DPA: true, Safeguard: privacy.SafeguardSCC}

	steps := []struct {
		title string
		req   privacy.Request
	}{
		{"alice's email for a survey (she consented)", privacy.Request{
			Subject: alice, Purpose: "research.surveys", Data: []string{"instance.contact.email"}, Recipient: mailer}},
		{"bob's email for product announcements (he objected)", privacy.Request{
			Subject: bob, Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}, Recipient: mailer}},
		{"alice's email for product announcements (soft opt-in)", privacy.Request{
			Subject: alice, Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}, Recipient: mailer}},
		{"alice's card to a payment processor, unencrypted", privacy.Request{
			Subject: alice, Purpose: "billing", Data: []string{"instance.financial"},
			Recipient: &privacy.Recipient{ID: "psp", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true}}},
		{"alice's card to a payment processor, over TLS", privacy.Request{
			Subject: alice, Purpose: "billing", Data: []string{"instance.financial.card"}, EncryptedInTransit: true,
			Recipient: &privacy.Recipient{ID: "psp", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true}}},
		{"a guest's email for our own marketing", privacy.Request{
			Subject: guest, Purpose: "marketing.announcements", Data: []string{"guest.contact.email"}}},
		{"a guest's email to run the meeting", privacy.Request{
			Subject: guest, Purpose: "service.delivery", Data: []string{"guest.contact.email"}}},
		{"alice's data sold to a data broker", privacy.Request{
			Subject: alice, Purpose: "marketing.profiling", Data: []string{"instance.contact.email"},
			Recipient: &privacy.Recipient{ID: "broker", Kind: privacy.RecipientThirdParty, Country: "IN", Sale: true}}},
	}
	for i, s := range steps {
		s.req.Time = time.Now()
		d, err := eng.Decide(ctx, s.req)
		if err != nil {
			return fmt.Errorf("decide %q: %w", s.title, err)
		}
		printDecision(i+1, s.title, d)
	}

	// Withdrawal is as easy as giving, and takes effect on the next decision.
	if _, err := consent.Withdraw(ctx, db.ConsentStore(), consent.Record{
		SubjectID: "alice", Purpose: "research.surveys", Method: consent.MethodCheckbox, CollectedBy: "quickstart"}); err != nil {
		return err
	}
	d, err := eng.Decide(ctx, steps[0].req)
	if err != nil {
		return err
	}
	printDecision(len(steps)+1, "alice's email for a survey, after she withdrew", d)
	return nil
}

func printDecision(n int, title string, d privacy.Decision) {
	verdict := "DENIED"
	if d.Allowed {
		verdict = "ALLOWED on " + string(d.Basis)
	}
	fmt.Printf("%d. %s\n   %s\n", n, title, verdict)
	for _, r := range d.Reasons {
		fmt.Printf("   - %s (%s; policy: %q)\n     %s\n", r.Code, r.Article, r.Clause, r.Message)
	}
	if len(d.Obligations) > 0 {
		codes := make([]string, len(d.Obligations))
		for i, o := range d.Obligations {
			codes[i] = o.Code
		}
		fmt.Printf("   obligations: %s\n", strings.Join(codes, ", "))
	}
	fmt.Println()
}
