package subject_test

import (
	"context"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

// A subject objects to one purpose and restricts processing; the state the
// engine reads before its next decision shows both.
func ExampleObject() {
	ctx := context.Background()
	store := memory.NewStateStore()
	if err := subject.Object(ctx, store, "u-1", "service.personalisation"); err != nil {
		fmt.Println(err)
		return
	}
	if err := subject.SetRestricted(ctx, store, "u-1", true); err != nil {
		fmt.Println(err)
		return
	}
	st, err := store.State(ctx, "u-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("objects to service.personalisation:", st.ObjectsTo("service.personalisation", false))
	fmt.Println("objects to support:", st.ObjectsTo("support", false))
	fmt.Println("restricted:", st.Restricted)
	// Output:
	// objects to service.personalisation: true
	// objects to support: false
	// restricted: true
}

// After a subject objects to fraud prevention (legitimate interests), the
// controller records, for that subject, why compelling grounds override
// the objection (Art. 21(1)). The catalog decides for which purposes such
// an assessment can be made at all: none for direct marketing, none for a
// purpose whose assessment rules compelling grounds out.
func ExampleAssess() {
	ctx := context.Background()
	store := memory.NewStateStore()
	cat := privacy.DefaultCatalog()
	if err := subject.Object(ctx, store, "u-1", "security.fraud_prevention"); err != nil {
		fmt.Println(err)
		return
	}
	err := subject.Assess(ctx, store, cat, "u-1", subject.Assessment{
		Purpose: "security.fraud_prevention",
		By:      "dpo@example.com",
		Reason:  "card testing from this account: open fraud case 2026-31",
		At:      time.Now(),
	})
	fmt.Println("fraud prevention:", err)
	err = subject.Assess(ctx, store, cat, "u-1", subject.Assessment{
		Purpose: "marketing.announcements", By: "dpo@example.com", Reason: "we want to", At: time.Now(),
	})
	fmt.Println("direct marketing:", err)
	st, _ := store.State(ctx, "u-1")
	fmt.Println(len(st.Assessments), st.Assessments[0].By)
	// Output:
	// fraud prevention: <nil>
	// direct marketing: record assessment: purpose: marketing.announcements is direct marketing: an objection to it is absolute and no grounds override it (Art. 21(3))
	// 1 dpo@example.com
}
