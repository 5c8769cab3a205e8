package policies

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/privacykit/privacy"
)

// regoCodes returns the codes the embedded policy can emit, by scanning
// the rule modules' syntax for lib.reason(code, …) calls, split into the
// reasons (deny, basis_deny) and obligations (obligation), and the string
// literals of the test modules. It fails the test on a lib.reason call
// whose code is not a literal, which the scan could not see.
func regoCodes(t *testing.T) (reasons, obligations, tested map[string]bool) {
	t.Helper()
	reasons, obligations, tested = map[string]bool{}, map[string]bool{}, map[string]bool{}
	reasonRef := ast.MustParseRef("lib.reason")
	for p, m := range regoModules(t) {
		if strings.HasSuffix(p, "_test.rego") {
			ast.WalkTerms(m, func(x *ast.Term) bool {
				if s, ok := x.Value.(ast.String); ok {
					tested[string(s)] = true
				}
				return false
			})
			continue
		}
		for _, r := range m.Rules {
			into := reasons
			if r.Head.Name.String() == "obligation" || r.Head.Ref()[0].Value.String() == "obligation" {
				into = obligations
			}
			ast.WalkTerms(r, func(x *ast.Term) bool {
				call, ok := x.Value.(ast.Call)
				if !ok || !call[0].Value.(ast.Ref).Equal(reasonRef) {
					return false
				}
				code, ok := call[1].Value.(ast.String)
				if !ok {
					t.Errorf("%s:%d: lib.reason with a code that is not a literal (%v): the code table test cannot see it", p, x.Location.Row, call[1])
					return false
				}
				into[string(code)] = true
				return false
			})
		}
	}
	return reasons, obligations, tested
}

func tableCodes(list []privacy.CodeInfo) map[string]bool {
	m := map[string]bool{}
	for _, c := range list {
		m[c.Code] = true
	}
	return m
}

// TestCodeTableMatchesPolicy checks that the code table (privacy.ReasonCodes,
// privacy.ObligationCodes) and the policy agree: every code a rule can emit
// is in the table, every code in the table is emitted by a rule (but
// evaluation.failed, which the engine gives), each has a Rego test that
// names it, and each has an article and a text.
func TestCodeTableMatchesPolicy(t *testing.T) {
	t.Parallel()
	reasons, obligations, tested := regoCodes(t)
	reasons[privacy.ReasonEvaluationFailed] = true // the engine's, on failure

	sorted := func(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
	if diff := cmp.Diff(sorted(tableCodes(privacy.ReasonCodes())), sorted(reasons)); diff != "" {
		t.Errorf("reason codes: table (-) and policy (+) differ:\n%s", diff)
	}
	if diff := cmp.Diff(sorted(tableCodes(privacy.ObligationCodes())), sorted(obligations)); diff != "" {
		t.Errorf("obligation codes: table (-) and policy (+) differ:\n%s", diff)
	}
	for _, c := range append(privacy.ReasonCodes(), privacy.ObligationCodes()...) {
		if c.Article == "" || c.When == "" {
			t.Errorf("%s: the table gives no article or no text", c.Code)
		}
		if !tested[c.Code] && c.Code != privacy.ReasonEvaluationFailed {
			t.Errorf("%s: no Rego test names it", c.Code)
		}
	}
	// Every clause of the reference catalog belongs to a code of the table.
	for code := range privacy.DefaultCatalog().Clauses {
		if _, ok := privacy.LookupReason(code); !ok {
			t.Errorf("the reference catalog has a clause for %q, which is not a reason code", code)
		}
	}
}
