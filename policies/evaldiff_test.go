package policies

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/testenv"
)

// diffExtension adds denials and obligations that read the catalog, the
// request, the subject's state and the time, so that the comparison below
// covers extension modules too.
const diffExtension = `package privacy.ext.diff

import data.privacy.lib

deny contains {"code": "ext.minor_abroad", "message": "no minor's data leaves the EEA"} if {
	lib.child
	lib.outside_eea
}

deny contains {"code": "ext.restricted_guest", "message": sprintf("guest data for %s while restricted", [input.request.purpose])} if {
	input.request.subject.kind == "guest"
	input.subject_state.restricted == true
}

obligation contains {"code": "ext.notify_dpo", "message": sprintf("tell the DPO about %s", [leaf])} if {
	some leaf in lib.encrypted_leaves
	data.catalog.categories[leaf].financial
}
`

const diffOfficeHours = `package privacy.ext.office_hours

import data.privacy.lib

day_ns := 86400000000000

evening := (input.now_ns - (input.now_ns % day_ns)) + (18 * 3600000000000)

midnight := (input.now_ns - (input.now_ns % day_ns)) + day_ns

deny contains {"code": "ext.after_hours", "message": "only during office hours"} if {
	input.request.purpose == "marketing.announcements"
	lib.reached(evening)
}

changes contains evening

changes contains midnight
`

// otherCatalog is the reference catalog under a later policy version whose
// surveys need consent to a later version, with a customer that attests
// its recordings hold no special categories.
func otherCatalog(t *testing.T) *privacy.Catalog {
	t.Helper()
	c := privacy.DefaultCatalog()
	c.PolicyVersion = "1.2.0.0.10"
	c.Purpose("research.surveys").ConsentVersion = "1.2.0.0.5"
	c.Processor.NoSpecialCategories = []string{"s-1", "s-7"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// plainEvaluation replaces the decision query of e's policy with one
// prepared the unspecialised way: OPA's defaults, the catalog in a store
// of Go values, the same modules (and the result handed over as a term,
// which is what the engine's decode reads). Call it before e decides
// anything.
func plainEvaluation(t *testing.T, e *Engine) {
	t.Helper()
	p := e.policy.Load()
	opts := []func(*rego.Rego){
		rego.StrictBuiltinErrors(true),
		rego.Store(inmem.NewFromObject(map[string]any{"catalog": catalogData(p.catalog)})),
		rego.Capabilities(extensionCapabilities()),
		rego.Query(query),
		rego.GenerateJSON(resultTerm),
	}
	// The modules, base and extension, exactly as compile gave them.
	opts = append(opts, p.regoOpts[len(p.regoBase):]...)
	prepared, err := rego.New(slices.Clip(opts)...).PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p.prepared = prepared
}

// TestEvaluationDifferential decides generated requests for every purpose
// of two catalogs, with and without extension modules and from a bundle,
// on an engine as New makes it and on the same engine whose decision
// query is evaluated the unspecialised way (plainEvaluation). Every
// decision (allowed, basis, reasons, obligations, validity, policy
// version) and every error must be the same: a faster way of evaluating
// the policy may only be one that decides the same.
func TestEvaluationDifferential(t *testing.T) {
	t.Parallel()
	perPurpose := 3 // the quick form: about 380 requests, each decided twice
	switch {
	case raceEnabled:
		perPurpose = 1
	case testenv.Long():
		perPurpose = 60
	}
	configs := []struct {
		name    string
		catalog *privacy.Catalog
		opts    func() []Option
	}{
		{"reference catalog", privacy.DefaultCatalog(), func() []Option { return nil }},
		{"other catalog with extensions", otherCatalog(t), func() []Option {
			return []Option{WithCatalog(otherCatalog(t)), WithModule("diff.rego", diffExtension), WithModule("office.rego", diffOfficeHours)}
		}},
		{"bundle", otherCatalog(t), func() []Option {
			return []Option{WithBundle(&Bundle{Catalog: otherCatalog(t), Revision: "r-7",
				Modules: map[string]string{"a/diff.rego": diffExtension, "b/office.rego": diffOfficeHours}})}
		}},
	}
	for i, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			t.Parallel()
			st := newFixedState()
			engine := func() *Engine {
				e, err := New(t.Context(), append(cfg.opts(), WithConsents(st), WithSubjects(fixedSubjects{st}), WithCache(0))...)
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			tuned, plain := engine(), engine()
			plainEvaluation(t, plain)

			g := newGen(20261203+uint64(i), cfg.catalog)
			all := g.purposes
			var reqs []privacy.Request
			for _, purpose := range all {
				for range perPurpose {
					// One purpose for the request, every purpose for the
					// subject's consents and objections.
					g.purposes = []string{purpose}
					tmpl := g.template()
					g.purposes = all
					for range 3 {
						req := tmpl
						req.Subject = g.subject(st, tmpl.Time)
						reqs = append(reqs, req)
					}
				}
			}
			var allowed, failures int
			codes := map[string]bool{}
			for _, req := range reqs {
				want := outcomeOf(plain.Decide(t.Context(), req))
				got := outcomeOf(tuned.Decide(t.Context(), req))
				if !cmp.Equal(want, got) {
					if failures++; failures <= 10 {
						t.Errorf("Decide of %+v differs from the unspecialised evaluation (-plain +engine):\n%s", req, cmp.Diff(want, got))
					}
				}
				if want.D.Allowed {
					allowed++
				}
				for _, c := range want.D.Codes() {
					codes[c] = true
				}
			}
			t.Logf("%d requests, %d allowed, %d distinct codes", len(reqs), allowed, len(codes))
			// A comparison of decisions that are all alike proves little.
			if allowed == 0 || allowed == len(reqs) || len(codes) < 15 {
				t.Errorf("%d of %d allowed, %d distinct codes: the requests do not exercise the policy", allowed, len(reqs), len(codes))
			}
		})
	}
}
