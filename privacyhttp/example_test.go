package privacyhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/privacyhttp"
)

// A handler that sends product announcements, guarded by the policy. The
// same request with the Global Privacy Control signal is refused with 403
// and the decision as JSON.
func ExampleMiddleware_RequirePurpose() {
	eng, err := policies.New(context.Background(), policies.WithMemoryStores())
	if err != nil {
		panic(err)
	}
	resolve := func(r *http.Request) (privacy.Subject, error) {
		return privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"}, nil
	}
	mw := privacyhttp.New(eng, privacyhttp.WithResolver(resolve))
	send := mw.RequirePurpose("marketing.announcements", "instance.contact.email")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := privacyhttp.DecisionFrom(r.Context())
			fmt.Fprintf(w, "sent (obligations %v)", d.ObligationCodes())
		}))
	h := mw.Handler(send)

	for _, gpc := range []string{"", "1"} {
		r := httptest.NewRequest(http.MethodPost, "/announce", nil)
		if gpc != "" {
			r.Header.Set("Sec-GPC", gpc)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Content-Type"))
		if w.Code == http.StatusOK {
			fmt.Println(w.Body)
		}
	}
	// Output:
	// 200 text/plain; charset=utf-8
	// sent (obligations [include_unsubscribe])
	// 403 application/json
}
