package subject_test

import (
	"context"
	"fmt"

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
