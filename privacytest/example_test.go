package privacytest_test

import (
	"fmt"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/privacytest"
)

// printTB stands in for the *testing.T of a real test, so that the example
// can show what a failing assertion reports.
type printTB struct{ testing.TB }

func (printTB) Helper()                           {}
func (printTB) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (printTB) Fatalf(format string, args ...any) { fmt.Printf("FATAL: "+format+"\n", args...) }

// A test seeds a subject's consents and objections in one line and asserts
// the engine's decisions; in a real test, t is the test's *testing.T.
func Example() {
	t := printTB{}
	env := privacytest.New(t)
	env.Subject("u-1").Grant("marketing.profiling").Object("marketing.announcements")

	req := func(purpose string) privacy.Request {
		return privacy.Request{
			Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
			Purpose: purpose,
			Data:    []string{"instance.contact.email"},
		}
	}
	d := privacytest.AssertAllowed(t, env.Engine, req("marketing.profiling"))
	fmt.Println("profiling allowed on", d.Basis)
	d = privacytest.AssertDenied(t, env.Engine, req("marketing.announcements"), privacy.ReasonObjectionActive)
	fmt.Println("announcements denied:", d.Codes())
	// Output:
	// profiling allowed on consent
	// announcements denied: [objection.active]
}
