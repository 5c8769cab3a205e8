package privacytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

// Env is a decision engine on in-memory stores, for one test.
type Env struct {
	// Engine decides over the catalog New was given, reading the stores
	// below.
	Engine *policies.Engine
	// Consents is the consent ledger the engine reads.
	Consents *memory.ConsentStore
	// Subjects holds the objections, restrictions and deactivations the
	// engine reads.
	Subjects *memory.StateStore

	t testing.TB
}

// New returns an Env whose engine decides over the reference catalog on
// empty in-memory stores. opts are passed to policies.New after the stores,
// so policies.WithCatalog (or WithBundle, WithModule, WithClock) changes
// the policy. New fails the test if the engine cannot be built.
func New(t testing.TB, opts ...policies.Option) *Env {
	t.Helper()
	env := &Env{Consents: memory.NewConsentStore(), Subjects: memory.NewStateStore(), t: t}
	all := append([]policies.Option{policies.WithConsents(env.Consents), policies.WithSubjects(env.Subjects)}, opts...)
	eng, err := policies.New(context.Background(), all...)
	if err != nil {
		t.Fatalf("privacytest: build engine: %v", err)
	}
	env.Engine = eng
	return env
}

// Catalog loads a catalog file (YAML or JSON) and fails the test if it does
// not load; pass it to New with policies.WithCatalog.
func Catalog(t testing.TB, path string) *privacy.Catalog {
	t.Helper()
	c, err := privacy.LoadCatalog(path)
	if err != nil {
		t.Fatalf("privacytest: %v", err)
	}
	return c
}

// Subject returns a seeder for the subject's consents and state. Its
// methods write to the Env's stores at once and return the seeder, so that
// calls chain.
func (e *Env) Subject(id string) *Seed { return &Seed{env: e, id: id} }

// Seed writes one subject's consents and state. Each method fails the test
// when the store refuses the write.
type Seed struct {
	env *Env
	id  string
}

// Grant records consent for each purpose, given now by checkbox under the
// engine's policy version. A decision sees it when the request's time is
// now or later (a zero Request.Time is now).
func (s *Seed) Grant(purposes ...string) *Seed {
	s.env.t.Helper()
	for _, p := range purposes {
		s.grant(consent.Record{Purpose: p})
	}
	return s
}

// GrantByGuardian records consent for each purpose, given or authorised by
// the holder of parental responsibility (Art. 8(1)).
func (s *Seed) GrantByGuardian(purposes ...string) *Seed {
	s.env.t.Helper()
	for _, p := range purposes {
		s.grant(consent.Record{Purpose: p, Guardian: true, Method: consent.MethodGuardian})
	}
	return s
}

// GrantUntil records consent for the purpose that expires at until.
func (s *Seed) GrantUntil(purpose string, until time.Time) *Seed {
	s.env.t.Helper()
	s.grant(consent.Record{Purpose: purpose, ExpiresAt: until})
	return s
}

// GrantVersion records consent for the purpose given under an older (or
// newer) policy version than the engine's.
func (s *Seed) GrantVersion(purpose, version string) *Seed {
	s.env.t.Helper()
	s.grant(consent.Record{Purpose: purpose, PolicyVersion: version})
	return s
}

func (s *Seed) grant(r consent.Record) {
	s.env.t.Helper()
	r.SubjectID = s.id
	if r.PolicyVersion == "" {
		r.PolicyVersion = s.env.Engine.PolicyVersion()
	}
	if r.Method == "" {
		r.Method = consent.MethodCheckbox
	}
	r.CollectedBy = "privacytest"
	r.CollectedAt = time.Now().UTC()
	if _, err := consent.Grant(context.Background(), s.env.Consents, s.env.Engine.Catalog(), r); err != nil {
		s.env.t.Fatalf("privacytest: grant %s consent for %s: %v", s.id, r.Purpose, err)
	}
}

// Withdraw records the withdrawal of consent for each purpose.
func (s *Seed) Withdraw(purposes ...string) *Seed {
	s.env.t.Helper()
	for _, p := range purposes {
		if _, err := consent.Withdraw(context.Background(), s.env.Consents, consent.Record{SubjectID: s.id, Purpose: p, Method: consent.MethodAPI, CollectedBy: "privacytest"}); err != nil {
			s.env.t.Fatalf("privacytest: withdraw %s consent for %s: %v", s.id, p, err)
		}
	}
	return s
}

// Object records an objection (Art. 21) to each purpose.
func (s *Seed) Object(purposes ...string) *Seed {
	s.env.t.Helper()
	for _, p := range purposes {
		if err := subject.Object(context.Background(), s.env.Subjects, s.id, p); err != nil {
			s.env.t.Fatalf("privacytest: %s objects to %s: %v", s.id, p, err)
		}
	}
	return s
}

// ObjectToDirectMarketing records an objection to all direct marketing
// (Art. 21(2)).
func (s *Seed) ObjectToDirectMarketing() *Seed {
	s.env.t.Helper()
	if err := subject.ObjectToDirectMarketing(context.Background(), s.env.Subjects, s.id); err != nil {
		s.env.t.Fatalf("privacytest: %s objects to direct marketing: %v", s.id, err)
	}
	return s
}

// Restrict restricts processing of the subject's data (Art. 18).
func (s *Seed) Restrict() *Seed {
	s.env.t.Helper()
	if err := subject.SetRestricted(context.Background(), s.env.Subjects, s.id, true); err != nil {
		s.env.t.Fatalf("privacytest: restrict %s: %v", s.id, err)
	}
	return s
}

// Deactivate deactivates the subject's account.
func (s *Seed) Deactivate() *Seed {
	s.env.t.Helper()
	if err := subject.SetDeactivated(context.Background(), s.env.Subjects, s.id, true); err != nil {
		s.env.t.Fatalf("privacytest: deactivate %s: %v", s.id, err)
	}
	return s
}

// AssertAllowed decides req and reports an error on t, showing the request
// and the whole explained decision, unless the decision is allowed without
// error. It returns the decision.
func AssertAllowed(t testing.TB, eng *policies.Engine, req privacy.Request) privacy.Decision {
	t.Helper()
	d, err := eng.Decide(context.Background(), req)
	switch {
	case err != nil:
		t.Errorf("privacytest: want allowed, got error: %v\n%s", err, explain(req, d))
	case !d.Allowed:
		t.Errorf("privacytest: want allowed, got denied (%s)\n%s", strings.Join(d.Codes(), ", "), explain(req, d))
	}
	return d
}

// AssertDenied decides req and reports an error on t, showing the request
// and the whole explained decision, unless the decision is a denial that
// carries every one of codes (and possibly more). With no codes any denial
// passes. A denial that comes with an evaluation error fails: it is the
// engine failing closed, not the policy deciding; an invalid request passes
// when codes include request.invalid. It returns the decision.
func AssertDenied(t testing.TB, eng *policies.Engine, req privacy.Request, codes ...string) privacy.Decision {
	t.Helper()
	d, err := eng.Decide(context.Background(), req)
	switch {
	case err != nil && !(errors.Is(err, privacy.ErrInvalidRequest) && slices.Contains(codes, privacy.ReasonRequestInvalid)):
		t.Errorf("privacytest: want denied, got error: %v\n%s", err, explain(req, d))
	case d.Allowed:
		t.Errorf("privacytest: want denied (%s), got allowed\n%s", strings.Join(codes, ", "), explain(req, d))
	default:
		var missing []string
		for _, c := range codes {
			if !d.Has(c) {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			t.Errorf("privacytest: denied, but without reason %s (got %s)\n%s",
				strings.Join(missing, ", "), strings.Join(d.Codes(), ", "), explain(req, d))
		}
	}
	return d
}

func explain(req privacy.Request, d privacy.Decision) string {
	rb, _ := json.MarshalIndent(req, "  ", "  ")
	return "request:\n  " + string(rb) + "\ndecision:\n  " + strings.ReplaceAll(strings.TrimSpace(d.String()), "\n", "\n  ")
}

// Case is one named request of a golden table.
type Case struct {
	Name    string
	Request privacy.Request
}

// Outcome is what a golden file records of a decision: whether it is
// allowed, on which basis, and the reason and obligation codes. Messages
// and the policy version are left out, so that rewording a message or
// bumping the version does not churn the file; a flipped decision does.
type Outcome struct {
	Name        string   `json:"name"`
	Allowed     bool     `json:"allowed"`
	Basis       string   `json:"basis,omitempty"`
	Reasons     []string `json:"reasons,omitempty"`
	Obligations []string `json:"obligations,omitempty"`
}

// UpdateEnv is the environment variable that makes Golden rewrite its file
// instead of comparing: PRIVACYTEST_UPDATE=1 go test ./...
const UpdateEnv = "PRIVACYTEST_UPDATE"

// Golden decides each case and compares the outcomes with the JSON file at
// path (conventionally under testdata/). It reports a diff (-want +got) on
// t, naming each case whose decision changed. When the environment
// variable PRIVACYTEST_UPDATE is 1 it writes the file instead; review the
// change with git diff and commit it with the policy change that caused it.
// Case names must be unique.
func Golden(t testing.TB, eng *policies.Engine, path string, cases []Case) {
	t.Helper()
	got := make([]Outcome, 0, len(cases))
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			t.Fatalf("privacytest: golden case %q appears twice", c.Name)
		}
		seen[c.Name] = true
		d, err := eng.Decide(context.Background(), c.Request)
		if err != nil && !errors.Is(err, privacy.ErrInvalidRequest) {
			t.Fatalf("privacytest: golden case %q: %v", c.Name, err)
		}
		got = append(got, Outcome{Name: c.Name, Allowed: d.Allowed, Basis: string(d.Basis), Reasons: d.Codes(), Obligations: d.ObligationCodes()})
	}
	for i := range got {
		if len(got[i].Reasons) == 0 {
			got[i].Reasons = nil
		}
		if len(got[i].Obligations) == 0 {
			got[i].Obligations = nil
		}
	}
	if os.Getenv(UpdateEnv) == "1" {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatalf("privacytest: %v", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("privacytest: %v", err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatalf("privacytest: %v", err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("privacytest: read golden file: %v (run with %s=1 to create it)", err, UpdateEnv)
	}
	var want []Outcome
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("privacytest: golden file %s: %v", path, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("privacytest: decisions differ from %s in %s (-want +got):\n%s\nIf the change is intended, run with %s=1 and review the file.",
			path, changed(want, got), diff, UpdateEnv)
	}
}

// changed names the cases whose outcome differs, or that were added or
// removed.
func changed(want, got []Outcome) string {
	w := map[string]Outcome{}
	for _, o := range want {
		w[o.Name] = o
	}
	var names []string
	for _, o := range got {
		if prev, ok := w[o.Name]; !ok || !cmp.Equal(prev, o) {
			names = append(names, fmt.Sprintf("%q", o.Name))
		}
		delete(w, o.Name)
	}
	for _, o := range want {
		if _, ok := w[o.Name]; ok {
			names = append(names, fmt.Sprintf("%q (removed)", o.Name))
		}
	}
	return strings.Join(names, ", ")
}
