package policies

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/testenv"
)

// TestDifferential decides seeded random requests over random state three
// ways: plain Rego (no cache), through a cache small enough to evict all
// the time, and through Filter over the subjects of each template (on the
// same cached engine, so that Filter is checked both on entries Decide made
// and on entries evicted since). All three
// must give the same decision and the same error, and each decision must
// stand until its valid_until. It is the judge of the cache's reliance on
// the validity window the policy computes.
func TestDifferential(t *testing.T) {
	t.Parallel()
	const perTemplate = 100
	templates := 1000 // 100,000 decisions
	switch {
	case raceEnabled: // the race detector slows OPA tenfold
		templates = 20
	case !testenv.Long(): // the quick form; PRIVACY_LONG_TESTS=1 runs all
		// 2,000 decisions, three ways: seconds, not a minute, on a loaded
		// 2-core machine. Each subject has cache entries of its own, so
		// the cached engine evaluates about as often as the plain one.
		templates = 20
	}

	st := newFixedState()
	g := newGen(20261129, privacy.DefaultCatalog())
	type group struct {
		tmpl     privacy.Request
		subjects []privacy.Subject
	}
	groups := make([]group, templates)
	for i := range groups {
		groups[i].tmpl = g.template()
		// Half the subjects are new, half share the facts and state of
		// one of ten others: the cache must tell them apart by id alone.
		var pool []privacy.Subject
		for range 10 {
			pool = append(pool, g.subject(st, groups[i].tmpl.Time))
		}
		for range perTemplate {
			s := pool[g.r.IntN(len(pool))]
			if g.chance(0.5) {
				s = g.subject(st, groups[i].tmpl.Time)
			} else {
				s = g.like(st, s)
			}
			groups[i].subjects = append(groups[i].subjects, s)
		}
	}

	engine := func(opts ...Option) *Engine {
		e, err := New(t.Context(), append(opts, WithConsents(st), WithSubjects(fixedSubjects{st}))...)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	plain, cached := engine(WithCache(0)), engine(WithCache(4096))

	var (
		mu       sync.Mutex
		failures int
		allowed  int
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if failures++; failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	const workers = 2
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(groups); i += workers {
				gr := groups[i]
				want := make([]outcome, len(gr.subjects))
				for j, s := range gr.subjects {
					req := gr.tmpl
					req.Subject = s
					want[j] = outcomeOf(plain.Decide(t.Context(), req))
					// No subject id leaves the engine in a reason or an
					// error: messages say "the subject".
					for _, text := range append([]string{want[j].Err}, reasonTexts(want[j].D)...) {
						if strings.Contains(text, s.ID) {
							fail("decision of %+v quotes the subject id in %q", req, text)
						}
					}
					if want[j].D.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
					if got := outcomeOf(cached.Decide(t.Context(), req)); !cmp.Equal(want[j], got) {
						fail("cached Decide of %+v differs from plain Rego (-want +got):\n%s", req, cmp.Diff(want[j], got))
					}
					// The decision stands until its valid_until: the
					// cache relies on it.
					if until := want[j].D.ValidUntil; !until.IsZero() {
						later := req
						later.Time = until.Add(-time.Nanosecond)
						if got := outcomeOf(plain.Decide(t.Context(), later)); !cmp.Equal(want[j], got) {
							fail("Decide of %+v just before its valid_until differs (-want +got):\n%s", req, cmp.Diff(want[j], got))
						}
					}
				}
				var subjects iter.Seq2[privacy.Subject, error] = func(yield func(privacy.Subject, error) bool) {
					for _, s := range gr.subjects {
						if !yield(s, nil) {
							return
						}
					}
				}
				var got []outcome
				for r, err := range cached.Filter(t.Context(), gr.tmpl, subjects, IncludeDenied()) {
					got = append(got, outcomeOf(r.Decision, err))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					fail("Filter of template %d differs from plain Rego (-want +got):\n%s", i, diff)
				}
			}
		})
	}
	wg.Wait()
	total := templates * perTemplate
	t.Logf("%d decisions, %d allowed", total, allowed)
	// A generator that allows nothing or everything would prove nothing
	// (checked on runs large enough for the 0.5-2% allowed to show).
	if templates >= 20 && (allowed < total/400 || allowed > total/2) {
		t.Errorf("%d of %d decisions allowed: the generator does not exercise both outcomes", allowed, total)
	}
}

// TestFilterAllowedOnly checks that without IncludeDenied Filter yields
// exactly the allowed subjects, in order, and that a source error ends the
// run.
func TestFilterAllowedOnly(t *testing.T) {
	t.Parallel()
	st := newFixedState()
	g := newGen(7, privacy.DefaultCatalog())
	tmpl := privacy.Request{
		Purpose:   "marketing.announcements",
		Data:      []string{"instance.contact.email"},
		Recipient: &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true},
		Time:      g.base,
	}
	var subjects []privacy.Subject
	for range 500 {
		s := g.subject(st, tmpl.Time)
		s.Kind = privacy.SubjectUser // no invalid kinds: they are errors here
		subjects = append(subjects, s)
	}
	e, err := New(t.Context(), WithConsents(st), WithSubjects(fixedSubjects{st}))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range subjects {
		req := tmpl
		req.Subject = s
		if d, err := e.Decide(t.Context(), req); err == nil && d.Allowed {
			want = append(want, s.ID)
		}
	}
	if len(want) == 0 || len(want) == len(subjects) {
		t.Fatalf("%d of %d allowed: want a mix", len(want), len(subjects))
	}
	var got []string
	for r, err := range e.Filter(t.Context(), tmpl, seq(subjects, nil)) {
		if err != nil {
			t.Fatalf("Filter: %v", err)
		}
		got = append(got, r.Subject.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("allowed subjects (-want +got):\n%s", diff)
	}

	boom := errors.New("boom")
	n, sawErr := 0, false
	for _, err := range e.Filter(t.Context(), tmpl, seq(subjects[:10], boom), IncludeDenied()) {
		if err != nil {
			sawErr = errors.Is(err, boom)
			continue
		}
		n++
	}
	if n != 10 || !sawErr {
		t.Errorf("got %d results and source error %v, want 10 and the source error", n, sawErr)
	}
}

func reasonTexts(d privacy.Decision) []string {
	out := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		out[i] = r.Message
	}
	return out
}

// seq yields subjects, then err if it is not nil.
func seq(subjects []privacy.Subject, err error) iter.Seq2[privacy.Subject, error] {
	return func(yield func(privacy.Subject, error) bool) {
		for _, s := range subjects {
			if !yield(s, nil) {
				return
			}
		}
		if err != nil {
			yield(privacy.Subject{}, fmt.Errorf("source: %w", err))
		}
	}
}
