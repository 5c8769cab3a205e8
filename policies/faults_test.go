package policies_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

// faultyConsents and faultySubjects answer from memory stores, changed by
// fault: a panic, or the state of another subject.
type faultyConsents struct {
	consent.Reader
	fault func(consent.State) consent.State
}

func (f faultyConsents) State(ctx context.Context, id, purpose string, at time.Time) (consent.State, error) {
	st, err := f.Reader.State(ctx, id, purpose, at)
	return f.fault(st), err
}

type faultySubjects struct {
	subject.StateReader
	fault func(subject.State) subject.State
}

func (f faultySubjects) State(ctx context.Context, id string) (subject.State, error) {
	st, err := f.StateReader.State(ctx, id)
	return f.fault(st), err
}

// TestStoreFaultsDeny checks that a store that panics, or answers with the
// state of another subject, gives a denial with an error and never a
// crash or an allow (issue 13, items 8 and 9), with and without the cache,
// and that the error does not quote the subject's id.
func TestStoreFaultsDeny(t *testing.T) {
	t.Parallel()
	const id = "alice@example.com"
	consents, subjects := memory.NewConsentStore(), memory.NewStateStore()
	if _, err := consent.Grant(t.Context(), consents, privacy.DefaultCatalog(), consent.Record{SubjectID: id, Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Bob consented; Alice objected to everything a subject may object to.
	if _, err := consent.Grant(t.Context(), consents, privacy.DefaultCatalog(), consent.Record{SubjectID: "bob", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := subject.SetRestricted(t.Context(), subjects, id, true); err != nil {
		t.Fatal(err)
	}
	keep := func(st consent.State) consent.State { return st }
	keepS := func(st subject.State) subject.State { return st }
	for _, tc := range []struct {
		name     string
		consents consent.Reader
		subjects subject.StateReader
		purpose  string
	}{
		{"consent store panics", faultyConsents{consents, func(consent.State) consent.State { panic("boom " + id) }}, subjects, "research.surveys"},
		{"subject store panics", consents, faultySubjects{subjects, func(subject.State) subject.State { panic(errors.New(id)) }}, "support"},
		{"consent of another subject", faultyConsents{consents, func(consent.State) consent.State {
			st, _ := consents.State(context.Background(), "bob", "research.surveys", now)
			return st
		}}, subjects, "research.surveys"},
		{"consent for another purpose", faultyConsents{consents, func(st consent.State) consent.State {
			st.Purpose = "referral"
			return st
		}}, faultySubjects{subjects, func(subject.State) subject.State { return subject.State{SubjectID: id} }}, "research.surveys"},
		{"state of another subject", faultyConsents{consents, keep}, faultySubjects{subjects, func(subject.State) subject.State {
			return subject.State{SubjectID: "bob"}
		}}, "support"},
		{"state without a subject", consents, faultySubjects{subjects, func(st subject.State) subject.State {
			st.SubjectID = ""
			return st
		}}, "support"},
		{"an assessment in a state without a subject", consents, faultySubjects{subjects, func(subject.State) subject.State {
			return subject.State{Assessments: []subject.Assessment{{Purpose: "support", By: "dpo", At: now.Add(-time.Hour)}}}
		}}, "support"},
		{"an assessment without a time", consents, faultySubjects{subjects, func(st subject.State) subject.State {
			st.Assessments = []subject.Assessment{{Purpose: "support", By: "dpo"}}
			return st
		}}, "support"},
		{"a consent whose policy version does not parse", faultyConsents{consents, func(st consent.State) consent.State {
			st.PolicyVersion = "v1.2"
			return st
		}}, subjects, "research.surveys"},
		{"control: the stores as they are", faultyConsents{consents, keep}, faultySubjects{subjects, keepS}, "support"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, size := range []int{0, 100} {
				eng, err := policies.New(t.Context(), policies.WithConsents(tc.consents), policies.WithSubjects(tc.subjects),
					policies.WithCache(size), policies.WithClock(func() time.Time { return now }))
				if err != nil {
					t.Fatal(err)
				}
				r := req(privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, tc.purpose, "instance.contact.email")
				d, err := eng.Decide(t.Context(), r)
				if d.Allowed {
					t.Fatalf("cache %d: allowed: %v", size, d.Codes())
				}
				if strings.HasPrefix(tc.name, "control") {
					if err != nil || !d.Has(privacy.ReasonRestrictionActive) {
						t.Fatalf("cache %d: %v, %v; want restriction.active and no error", size, d.Codes(), err)
					}
					continue
				}
				if err == nil || !errors.Is(err, privacy.ErrEvaluation) || !d.Has(privacy.ReasonEvaluationFailed) {
					t.Fatalf("cache %d: %v, err %v; want evaluation.failed with an error wrapping ErrEvaluation", size, d.Codes(), err)
				}
				for _, text := range append([]string{err.Error()}, reasonMessages(d)...) {
					if strings.Contains(text, id) {
						t.Errorf("cache %d: the subject's id appears in %q", size, text)
					}
				}
			}
		})
	}
}

func reasonMessages(d privacy.Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		out = append(out, r.Message)
	}
	return out
}

// TestDeadlinePassedIsNeverAllowed decides with a 1µs timeout, cache off,
// many times: a decision whose deadline passed during evaluation used to
// come back allowed (issue 13, item 14). Every decision must be an
// allow without an error or, past the deadline, an error and a denial;
// with a 1µs budget none can finish in time.
func TestDeadlinePassedIsNeverAllowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, policies.WithCache(0))
	r := req(user, "billing", "instance.contact.email")
	allowed := 0
	for range 300 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Microsecond)
		d, err := f.eng.Decide(ctx, r)
		cancel()
		if d.Allowed {
			allowed++
			if err != nil {
				t.Fatalf("allowed with an error: %v", err)
			}
		} else if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("denied (%v) without the deadline's error: %v", d.Codes(), err)
		}
	}
	if allowed > 0 {
		t.Errorf("%d of 300 decisions with a 1µs deadline were allowed; want 0", allowed)
	}
}

// TestNewWithoutStoresRefuses: an engine on empty stores would allow what
// the real stores' withdrawals and objections forbid, so New refuses to
// fall back on them silently and names what is missing; WithMemoryStores
// asks for them explicitly (issue 15).
func TestNewWithoutStoresRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []policies.Option
		want string
	}{
		{"no store", nil, "WithConsents and WithSubjects"},
		{"consents only", []policies.Option{policies.WithConsents(memory.NewConsentStore())}, "WithSubjects"},
		{"subjects only", []policies.Option{policies.WithSubjects(memory.NewStateStore())}, "give WithConsents,"},
	} {
		_, err := policies.New(t.Context(), tc.opts...)
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != "stores" || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "WithMemoryStores") {
			t.Errorf("%s: New = %v, want an error naming stores, %s and WithMemoryStores", tc.name, err, tc.want)
		}
	}
	eng, err := policies.New(t.Context(), policies.WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	if d, err := eng.Decide(t.Context(), req(user, "billing", "instance.contact.email")); err != nil || !d.Allowed {
		t.Errorf("engine on memory stores: %v %v", d.Codes(), err)
	}
}
