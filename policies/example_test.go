package policies_test

import (
	"context"
	"fmt"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/plan"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

func ExampleNew() {
	ctx := context.Background()
	eng, err := policies.New(ctx, policies.WithMemoryStores()) // the reference catalog, in-memory stores
	if err != nil {
		panic(err)
	}
	d, err := eng.Decide(ctx, privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"},
		Purpose: "billing",
		Data:    []string{"instance.contact.email"},
	})
	fmt.Println(d.Allowed, d.Basis, err)
	// Output: true contract <nil>
}

func ExampleEngine_Decide() {
	ctx := context.Background()
	consents := memory.NewConsentStore()
	eng, err := policies.New(ctx, policies.WithConsents(consents), policies.WithSubjects(memory.NewStateStore()))
	if err != nil {
		panic(err)
	}
	survey := privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
		Purpose: "research.surveys",
		Data:    []string{"instance.contact.email"},
	}
	d, _ := eng.Decide(ctx, survey)
	fmt.Println(d.Allowed, d.Codes())

	_, _ = consent.Grant(ctx, consents, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox})
	d, _ = eng.Decide(ctx, survey)
	fmt.Println(d.Allowed, d.Basis)

	_, _ = consent.Withdraw(ctx, consents, consent.Record{SubjectID: "u-1", Purpose: "research.surveys"})
	d, _ = eng.Decide(ctx, survey)
	fmt.Println(d.Allowed, d.Codes())
	// Output:
	// false [consent.missing]
	// true consent
	// false [consent.withdrawn]
}

func ExampleEngine_Filter() {
	ctx := context.Background()
	states := memory.NewStateStore()
	eng, err := policies.New(ctx, policies.WithConsents(memory.NewConsentStore()), policies.WithSubjects(states))
	if err != nil {
		panic(err)
	}
	_ = subject.ObjectToDirectMarketing(ctx, states, "u-2")

	customers := func(yield func(privacy.Subject, error) bool) {
		for _, id := range []string{"u-1", "u-2", "u-3"} {
			if !yield(privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 40, Country: "NL"}, nil) {
				return
			}
		}
	}
	newsletter := privacy.Request{
		Purpose:   "marketing.announcements",
		Data:      []string{"instance.contact.email"},
		Recipient: &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true},
	}
	for r, err := range eng.Filter(ctx, newsletter, customers, policies.IncludeDenied()) {
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Subject.ID, r.Decision.Allowed, r.Decision.Codes())
	}
	// Output:
	// u-1 true []
	// u-2 false [objection.active]
	// u-3 true []
}

// The audience of a newsletter: Filter goes by the plan, which the store
// matches a thousand subjects at a time (one query each on SQLite or
// PostgreSQL); the plan itself says under which facts a subject is in it.
func ExampleEngine_Plan() {
	ctx := context.Background()
	states := memory.NewStateStore()
	eng, err := policies.New(ctx, policies.WithConsents(memory.NewConsentStore()), policies.WithSubjects(states))
	if err != nil {
		panic(err)
	}
	_ = subject.ObjectToDirectMarketing(ctx, states, "u-2")

	newsletter := privacy.Request{
		Subject:   privacy.Subject{Kind: privacy.SubjectUser}, // the kind (and controller) the plan is for
		Purpose:   "marketing.announcements",
		Data:      []string{"instance.contact.email"},
		Recipient: &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true},
	}
	p, err := eng.Plan(ctx, newsletter)
	if err != nil {
		panic(err)
	}
	fmt.Println("basis:", p.Basis)
	for _, o := range p.Obligations {
		fmt.Println("obligation:", o.Code)
	}
	fmt.Println("a child:", plan.Eval(&p.Cond, &plan.Facts{Age: 12, State: &subject.State{}}))
	fmt.Println("restricted:", plan.Eval(&p.Cond, &plan.Facts{Age: 40, State: &subject.State{Restricted: true}}))

	customers := func(yield func(privacy.Subject, error) bool) {
		for _, id := range []string{"u-1", "u-2", "u-3"} {
			if !yield(privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 40, Country: "NL"}, nil) {
				return
			}
		}
	}
	newsletter.Subject = privacy.Subject{}
	for r, err := range eng.Filter(ctx, newsletter, customers) {
		if err != nil {
			panic(err)
		}
		fmt.Println("send to", r.Subject.ID)
	}
	// Output:
	// basis: legitimate_interests
	// obligation: include_unsubscribe
	// obligation: log_disclosure
	// a child: false
	// restricted: false
	// send to u-1
	// send to u-3
}
