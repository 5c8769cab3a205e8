package policies

import (
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/privacykit/privacy"
)

func TestReadsTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       bool
	}{
		{"now", `deny contains {"code": "x", "message": ""} if input.now_ns > 0`, true},
		{"now by index", `deny contains {"code": "x", "message": ""} if input["now_ns"] > 0`, true},
		{"computed key", `deny contains {"code": "x", "message": ""} if { some k; input[k] == 1 }`, true},
		{"whole input", `deny contains {"code": "x", "message": sprintf("%v", [input])} if true`, true},
		{"reached", `deny contains {"code": "x", "message": ""} if lib.reached(5)`, true},
		{"reached in full", `deny contains {"code": "x", "message": ""} if data.privacy.lib.reached(5)`, true},
		{"lib whole", `deny contains {"code": "x", "message": ""} if { l := lib; l.reached(5) }`, true},
		{"time inside a key", `deny contains {"code": "x", "message": ""} if data.catalog.purposes[input.now_ns]`, true},
		{"request only", `deny contains {"code": "x", "message": ""} if input.request.purpose == "support"`, false},
		{"lib facts", `deny contains {"code": "x", "message": ""} if lib.purpose.direct_marketing`, false},
		{"consent times without now", `deny contains {"code": "x", "message": ""} if input.consent.expires_ns > input.consent.collected_ns`, false},
	} {
		mod := ast.MustParseModuleWithOpts("package privacy.ext.t\nimport data.privacy.lib\n"+tc.body, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if got := readsTime(mod); got != tc.want {
			t.Errorf("%s: readsTime = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBaseModulesDeclareTheirChanges holds the embedded policy to the rule
// the engine applies to extensions: a module that reads the time declares
// its changes (lib.rego, which defines reached, aside).
func TestBaseModulesDeclareTheirChanges(t *testing.T) {
	t.Parallel()
	for p, mod := range regoModules(t) {
		if strings.HasSuffix(p, "_test.rego") || p == "rego/lib.rego" || p == "rego/decision.rego" {
			continue
		}
		if readsTime(mod) && !declaresChanges(mod) {
			t.Errorf("%s reads the time and declares no changes", p)
		}
	}
}

// TestModuleReadingTimeWithoutChangesIsRefused: an extension whose rule
// compares the time and says nothing of when its answer changes would be
// cached past that change; New refuses it and names the module.
func TestModuleReadingTimeWithoutChangesIsRefused(t *testing.T) {
	t.Parallel()
	const ext = `package privacy.ext.late

deny contains {"code": "ext.late", "message": "too late"} if input.now_ns > 1800000000000000000
`
	_, err := New(t.Context(), WithMemoryStores(), WithModule("late.rego", ext))
	var ve *privacy.ValidationError
	if !errors.As(err, &ve) || ve.Field != "module late.rego" || !strings.Contains(err.Error(), "changes") {
		t.Fatalf("New = %v, want a validation error naming module late.rego and changes", err)
	}
}
