package policies

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

// The fault soak (issue 13, "How to work"): seeded random requests over
// random state, decided by engines whose stores fail at one call of the
// decision. Every store method the engine's gather step calls is a site:
// consent.Reader.State (at the request's time, at now, and for a transfer's
// explicit consent), subject.StateReader.State, SharedStateReader's
// SharedState and OverrideReader.Overrides. A fault is one of faultKinds.

// faultKind is what a faulty store does at the call it fails.
type faultKind int

const (
	faultError        faultKind = iota // returns an error naming the subject
	faultPanic                         // panics with a value naming the subject
	faultStall                         // blocks until the context ends, returns its error
	faultStallLate                     // waits out the deadline, then answers correctly
	faultWrongSubject                  // answers with state of another subject (or purpose)
	faultDeadline                      // no store fault: the caller's deadline is a few µs
	faultKinds
)

var faultNames = [...]string{"error", "panic", "stall", "stall-late", "wrong-subject", "deadline"}

func (k faultKind) String() string { return faultNames[k] }

// faultPlan is carried by a decision's context: the store call (counted
// from 0 across every store) that fails, and how. A decision runs on one
// goroutine, so the plan needs no lock.
type faultPlan struct {
	kind  faultKind
	at    int
	calls int
	// fired names the site that failed, "" when the decision made fewer
	// calls than at (or the kind is faultDeadline).
	fired string
}

type planKey struct{}

// fault counts the call at site and reports whether it is the one to
// fail. A site that belongs to no subject (overrides) cannot answer for
// the wrong one: wrongSubject false lets that call pass.
func fault(ctx context.Context, site string, wrongSubject bool) (*faultPlan, bool) {
	p, _ := ctx.Value(planKey{}).(*faultPlan)
	if p == nil || p.kind == faultDeadline {
		return nil, false
	}
	n := p.calls
	p.calls++
	if n != p.at || (p.kind == faultWrongSubject && !wrongSubject) {
		return nil, false
	}
	p.fired = site + " " + p.kind.String()
	return p, true
}

// misbehave carries out a plan's error, panic or stall; it returns false
// for the kinds the caller carries out itself (a late or wrong answer).
func misbehave(ctx context.Context, p *faultPlan, subjectID string) (bool, error) {
	switch p.kind {
	case faultError:
		return true, fmt.Errorf("store unreachable while reading %s", subjectID)
	case faultPanic:
		panic("store panicked reading " + subjectID)
	case faultStall:
		<-ctx.Done()
		return true, ctx.Err()
	case faultStallLate:
		<-ctx.Done()
	}
	return false, nil
}

type faultyConsentReader struct{ inner consent.Reader }

func (f faultyConsentReader) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	site := "consent.State"
	switch {
	case strings.HasPrefix(purpose, "transfer"):
		site += "(transfer)"
	case at.Equal(soakNow):
		site += "(now)"
	default:
		site += "(at)"
	}
	st, err := f.inner.State(ctx, subjectID, purpose, at)
	p, ok := fault(ctx, site, true)
	if !ok {
		return st, err
	}
	if done, err := misbehave(ctx, p, subjectID); done {
		return consent.State{}, err
	}
	if p.kind == faultWrongSubject {
		// The most permissive lie: a given consent, current, of another
		// subject or for another purpose.
		st = consent.State{SubjectID: subjectID + "-other", Purpose: purpose, Event: consent.Given, PolicyVersion: "1.2",
			CollectedAt: soakNow.Add(-time.Hour), Act: consent.ActButton}
		if p.at%2 == 1 {
			st.SubjectID, st.Purpose = subjectID, purpose+".other"
		}
	}
	return st, err
}

type faultySubjectReader struct{ inner subject.StateReader }

func (f faultySubjectReader) State(ctx context.Context, subjectID string) (subject.State, error) {
	return f.read(ctx, "subject.State", subjectID)
}

func (f faultySubjectReader) read(ctx context.Context, site, subjectID string) (subject.State, error) {
	st, err := f.inner.State(ctx, subjectID)
	p, ok := fault(ctx, site, true)
	if !ok {
		return st, err
	}
	if done, err := misbehave(ctx, p, subjectID); done {
		return subject.State{}, err
	}
	if p.kind == faultWrongSubject {
		// Another subject's state, with nothing in it that would deny.
		st = subject.State{SubjectID: subjectID + "-other"}
	}
	return st, err
}

// faultySharedReader is a SharedStateReader, so that the engine calls
// SharedState.
type faultySharedReader struct{ faultySubjectReader }

func (f faultySharedReader) SharedState(ctx context.Context, subjectID string) (subject.State, error) {
	return f.read(ctx, "subject.SharedState", subjectID)
}

type faultyOverrides struct{ inner OverrideReader }

func (f faultyOverrides) Overrides(ctx context.Context) ([]retention.Override, error) {
	os, err := f.inner.Overrides(ctx)
	p, ok := fault(ctx, "Overrides", false)
	if !ok {
		return os, err
	}
	if done, err := misbehave(ctx, p, "the controllers' choices"); done {
		return nil, err
	}
	return os, err // late
}

type fixedOverrides []retention.Override

func (f fixedOverrides) Overrides(context.Context) ([]retention.Override, error) { return f, nil }

// soakNow is the engines' clock in the soak: within the generator's day
// of request times, so that requests come before and after it.
var soakNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// soakFigures are the soak's counts, printed by the test.
type soakFigures struct {
	runs, faulted, faultedAllowed, faultedErrors, unfaultedMismatch, rechecks, recheckMismatch, idLeaks int
	bySite                                                                                              map[string]int
}

// TestFaultSoak decides seeded random requests over random state through
// engines whose stores fail at a random call: an error, a panic, a stall
// until the deadline, a correct answer after the deadline, or the state of
// another subject. A decision at which a fault fired must be a denial
// with an error wrapping privacy.ErrEvaluation (never an allow), quote no
// subject id, and leave the cache as it was: deciding the same request
// again without the fault gives the decision of a plain engine. A
// decision at which no fault fired must equal the plain engine's. The
// quick form decides 300 requests; PRIVACY_LONG_TESTS=1 decides 12,000.
func TestFaultSoak(t *testing.T) {
	t.Parallel()
	runs := 300
	if testenv.Long() && !raceEnabled {
		runs = 12000
	}
	st := newFixedState()
	g := newGen(20261203, privacy.DefaultCatalog())
	period, err := privacy.ParsePeriod("P30D")
	if err != nil {
		t.Fatal(err)
	}
	overrides := fixedOverrides{{Controller: "acme", Category: "guest.contact", Period: period, SetBy: "dpo@acme", SetAt: soakNow.AddDate(-1, 0, 0)}}
	clock := WithClock(func() time.Time { return soakNow })
	engine := func(opts ...Option) *Engine {
		e, err := New(t.Context(), append([]Option{clock}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	truth := engine(WithConsents(st), WithSubjects(fixedSubjects{st}), WithRetentionOverrides(overrides), WithCache(0))
	faulty := []struct {
		name   string
		e      *Engine
		cached bool
	}{
		{"no cache", engine(WithConsents(faultyConsentReader{st}), WithSubjects(faultySubjectReader{fixedSubjects{st}}),
			WithRetentionOverrides(faultyOverrides{overrides}), WithCache(0)), false},
		{"small cache", engine(WithConsents(faultyConsentReader{st}), WithSubjects(faultySubjectReader{fixedSubjects{st}}),
			WithRetentionOverrides(faultyOverrides{overrides}), WithCache(64)), true},
		{"shared state, cache", engine(WithConsents(faultyConsentReader{st}), WithSubjects(faultySharedReader{faultySubjectReader{fixedSubjects{st}}}),
			WithRetentionOverrides(faultyOverrides{overrides}), WithCache(4096)), true},
	}

	type job struct {
		req    privacy.Request
		replay bool
		engine int
		plan   faultPlan
		budget time.Duration
	}
	jobs := make([]job, runs)
	for i := range jobs {
		req := g.template()
		if g.chance(0.5) {
			req.Time = time.Time{} // now: one consent read
		}
		req.Subject = g.subject(st, soakNow)
		if g.chance(0.1) {
			// A guest of a controller whose choice of period applies: the
			// decision reads the overrides.
			req.Subject.Kind, req.Subject.Controller, req.Purpose, req.Data = privacy.SubjectGuest, "acme", "service.delivery", []string{"guest.contact.email"}
			ss := st.subjects[req.Subject.ID]
			ss.SubjectID = req.Subject.ID
			ss.Lifecycle = map[privacy.Trigger]time.Time{privacy.TriggerLastActivity: soakNow.AddDate(0, 0, -pick(g, 20, 40))}
			st.subjects[req.Subject.ID] = ss
		}
		j := job{req: req, replay: !req.Time.IsZero() && g.chance(0.1), engine: g.r.IntN(len(faulty)),
			plan: faultPlan{kind: faultKind(g.r.IntN(int(faultKinds))), at: g.r.IntN(4)}}
		if k := j.plan.kind; k == faultStall || k == faultStallLate {
			j.budget = time.Duration(1+g.r.IntN(4)) * time.Millisecond
		} else if k == faultDeadline {
			j.budget = time.Duration(1+g.r.IntN(50)) * time.Microsecond
		}
		jobs[i] = j
	}

	var (
		mu  sync.Mutex
		fig = soakFigures{bySite: map[string]int{}}
	)
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if failures++; failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	decide := func(e *Engine, ctx context.Context, req privacy.Request, replay bool) (privacy.Decision, error) {
		if replay {
			return e.Replay(ctx, req)
		}
		return e.Decide(ctx, req)
	}
	const workers = 2
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(jobs); i += workers {
				j := &jobs[i]
				f := faulty[j.engine]
				// The plain engine's decision, needed unless a fault fired
				// on an engine without a cache.
				want := func() outcome { return outcomeOf(decide(truth, t.Context(), j.req, j.replay)) }
				ctx := context.WithValue(t.Context(), planKey{}, &j.plan)
				cancel := context.CancelFunc(func() {})
				if j.budget > 0 {
					ctx, cancel = context.WithTimeout(ctx, j.budget)
				}
				d, err := decide(f.e, ctx, j.req, j.replay)
				cancel()
				p := &j.plan
				// A short deadline may pass before the planned call, or
				// without one (faultDeadline): the caller's deadline is
				// then the fault.
				faulted := p.fired != "" || (j.budget > 0 && errors.Is(err, context.DeadlineExceeded))
				mu.Lock()
				fig.runs++
				if faulted {
					fig.faulted++
					site := p.fired
					if site == "" {
						site = "context deadline"
					}
					fig.bySite[site]++
					if d.Allowed {
						fig.faultedAllowed++
					}
					if err != nil {
						fig.faultedErrors++
					}
				}
				mu.Unlock()
				switch {
				case faulted && (d.Allowed || err == nil || !errors.Is(err, privacy.ErrEvaluation) || !d.Has(privacy.ReasonEvaluationFailed)):
					fail("%s, %s: allowed %v, %v, error %v; want a denial with evaluation.failed and an error wrapping ErrEvaluation",
						f.name, p.fired, d.Allowed, d.Codes(), err)
				case !faulted:
					if w := want(); !cmp.Equal(w, outcomeOf(d, err)) {
						mu.Lock()
						fig.unfaultedMismatch++
						mu.Unlock()
						fail("%s, no fault fired (%s at call %d of %d): the decision differs from the plain engine's (-want +got):\n%s",
							f.name, p.kind, p.at, p.calls, cmp.Diff(w, outcomeOf(d, err)))
					}
				}
				if faulted {
					for _, text := range append([]string{fmt.Sprint(err)}, reasonTexts(d)...) {
						if strings.Contains(text, j.req.Subject.ID) {
							mu.Lock()
							fig.idLeaks++
							mu.Unlock()
							fail("%s, %s: the subject's id appears in %q", f.name, p.fired, text)
						}
					}
				}
				if faulted && f.cached {
					// The fault must have left nothing in the cache that
					// answers differently from the plain engine.
					got, w := outcomeOf(decide(f.e, t.Context(), j.req, j.replay)), want()
					mu.Lock()
					fig.rechecks++
					if !cmp.Equal(w, got) {
						fig.recheckMismatch++
					}
					mu.Unlock()
					if !cmp.Equal(w, got) {
						fail("%s, after %s: the same request without the fault differs from the plain engine's (-want +got):\n%s",
							f.name, p.fired, cmp.Diff(w, got))
					}
				}
			}
		})
	}
	wg.Wait()

	sites := slices.Sorted(func(yield func(string) bool) {
		for s := range fig.bySite {
			if !yield(s) {
				return
			}
		}
	})
	t.Logf("%d decisions, %d with a fault injected, %d of those allowed, %d with an error; %d unfaulted decisions differing from the plain engine; %d cache rechecks after a fault, %d differing; %d subject ids quoted",
		fig.runs, fig.faulted, fig.faultedAllowed, fig.faultedErrors, fig.unfaultedMismatch, fig.rechecks, fig.recheckMismatch, fig.idLeaks)
	for _, s := range sites {
		t.Logf("  %-40s %6d", s, fig.bySite[s])
	}
	// Every site must have been failed with every kind it has, or the
	// soak proves less than it says (checked on the long run; the quick
	// one is too short to reach the rarer sites).
	if runs >= 10000 {
		for _, site := range []string{"consent.State(at)", "consent.State(now)", "consent.State(transfer)", "subject.State", "subject.SharedState", "Overrides"} {
			for k := range faultKinds {
				if k == faultDeadline || (k == faultWrongSubject && site == "Overrides") {
					continue
				}
				if fig.bySite[site+" "+k.String()] == 0 {
					t.Errorf("no %s fault was injected at %s", k, site)
				}
			}
		}
	}
}
