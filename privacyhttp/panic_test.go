package privacyhttp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/privacyhttp"
	"github.com/privacykit/privacy/privacytest"
)

// panicDecider panics with a value that holds a subject id.
type panicDecider struct{}

func (panicDecider) Decide(_ context.Context, r privacy.Request) (privacy.Decision, error) {
	panic("decider broke for " + r.Subject.ID)
}

// panicConsents is a consent store whose reads panic.
type panicConsents struct{ consent.Store }

func (panicConsents) State(_ context.Context, subjectID, _ string, _ time.Time) (consent.State, error) {
	panic("consent store broke for " + subjectID)
}

// TestPanicsFailClosed: a decider, resolver or store that panics is a
// refusal: 500 with {"error": …}, the guarded handler does not run, the
// panic does not escape to net/http (which would drop the connection and
// print the value), and the log names neither the panic's value nor the
// subject's id.
func TestPanicsFailClosed(t *testing.T) {
	const id = "secret-u-1"
	good := func(*http.Request) (privacy.Subject, error) {
		return privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, nil
	}
	bad := func(*http.Request) (privacy.Subject, error) { panic("resolver broke for " + id) }
	env := privacytest.New(t)
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the guarded handler ran") })
	cases := []struct {
		name string
		h    func(opts ...privacyhttp.Option) http.Handler
		res  privacyhttp.Resolver
	}{
		{"Require, decider panics", func(o ...privacyhttp.Option) http.Handler {
			return privacyhttp.New(panicDecider{}, o...).RequirePurpose("support", "instance.contact.email")(next)
		}, good},
		{"Require, resolver panics", func(o ...privacyhttp.Option) http.Handler {
			return privacyhttp.New(env.Engine, o...).RequirePurpose("support", "instance.contact.email")(next)
		}, bad},
		{"Handler, resolver panics", func(o ...privacyhttp.Option) http.Handler {
			return privacyhttp.New(env.Engine, o...).Handler(next)
		}, bad},
		{"preference center, resolver panics", func(o ...privacyhttp.Option) http.Handler {
			return privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, o...)
		}, bad},
		{"preference center, store panics", func(o ...privacyhttp.Option) http.Handler {
			return privacyhttp.NewPreferenceCenter(env.Engine, panicConsents{env.Consents}, env.Subjects, o...)
		}, good},
		{"preference center, decider panics", func(o ...privacyhttp.Option) http.Handler {
			return privacyhttp.NewPreferenceCenter(panicEngine{env.Engine}, env.Consents, env.Subjects, o...)
		}, good},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := tc.h(privacyhttp.WithResolver(tc.res), privacyhttp.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			w := httptest.NewRecorder()
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("the panic escaped: %v", r)
					}
				}()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/preferences", nil))
			}()
			if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("status %d, body %s; want 500 with an error", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), id) || strings.Contains(logs.String(), id) || strings.Contains(logs.String(), "broke") {
				t.Errorf("the body or log quotes the panic or the subject's id:\nbody %s\nlog %s", w.Body, logs.String())
			}
			if !strings.Contains(logs.String(), "panicked") {
				t.Errorf("the panic was not logged:\n%s", logs.String())
			}
		})
	}
}

// panicEngine is an engine whose decisions panic.
type panicEngine struct{ privacyhttp.CatalogSource }

func (panicEngine) Decide(ctx context.Context, r privacy.Request) (privacy.Decision, error) {
	return panicDecider{}.Decide(ctx, r)
}
