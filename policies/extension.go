package policies

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Extension modules, and the modules of a bundle, may only compute over
// what the engine hands them: the request, the facts read for it and the
// catalog. They run with OPA's built-in functions less those that reach
// outside the evaluation:
//
//   - the network: http.send and every net.* function;
//   - the runtime: opa.runtime (environment, configuration);
//   - a clock or randomness of their own: time.now_ns, rand.intn,
//     uuid.rfc4122, signing with random nonces (io.jwt.encode_sign,
//     io.jwt.encode_sign_raw), and verifying that reads the clock
//     (io.jwt.decode_verify, crypto.x509.parse_and_verify_certificates*).
//     The time of a decision is a fact: input.request.time.
//
// A module that calls one is refused by New, Reload and WithBundle with a
// *privacy.ValidationError naming the module, the line and the function;
// the policy also compiles with these capabilities, so that nothing the
// check misses can be called.

// forbiddenBuiltin reports whether extension modules may not call the
// built-in function name, and why.
func forbiddenBuiltin(name string) (string, bool) {
	switch {
	case name == "http.send" || strings.HasPrefix(name, "net."):
		return "no network access", true
	case name == "opa.runtime":
		return "no access to the runtime's environment or configuration", true
	case name == "time.now_ns":
		return "no clock of its own: the decision's time is input.request.time", true
	case name == "rand.intn" || name == "uuid.rfc4122" || strings.HasPrefix(name, "io.jwt.encode_sign"):
		return "no randomness", true
	case name == "io.jwt.decode_verify" || strings.HasPrefix(name, "crypto.x509.parse_and_verify_certificates"):
		return "no clock of its own (it checks validity against the current time)", true
	}
	if b, ok := ast.BuiltinMap[name]; ok && b.Nondeterministic {
		return "not deterministic", true
	}
	return "", false
}

// extensionCapabilities is what the policy compiles with: this OPA's
// capabilities without the forbidden built-in functions.
var extensionCapabilities = sync.OnceValue(func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool {
		_, bad := forbiddenBuiltin(b.Name)
		return bad
	})
	return c
})

// checkBuiltins refuses a module that calls a forbidden built-in function,
// naming the first call.
func checkBuiltins(name string, mod *ast.Module) error {
	var err error
	visit := func(op ast.Ref, loc *ast.Location) bool {
		if err != nil {
			return true
		}
		fn := op.String()
		if why, bad := forbiddenBuiltin(fn); bad {
			line := 0
			if loc != nil {
				line = loc.Row
			}
			err = badModule(name, fmt.Sprintf("line %d calls %s, which extension modules may not use: %s", line, fn, why))
		}
		return false
	}
	ast.WalkExprs(mod, func(e *ast.Expr) bool {
		if e.IsCall() {
			return visit(e.Operator(), e.Location)
		}
		return err != nil
	})
	ast.WalkTerms(mod, func(t *ast.Term) bool {
		if c, ok := t.Value.(ast.Call); ok && len(c) > 0 {
			if op, ok := c[0].Value.(ast.Ref); ok {
				return visit(op, t.Location)
			}
		}
		return err != nil
	})
	return err
}

// checkExtensionPackage refuses a module whose deny or obligation rules
// the decision would not read: the policy reads
// data.privacy.ext.<name>.deny and .obligation, one level under
// privacy.ext, so a package outside privacy.ext, a nested package
// (privacy.ext.a.b) or a rule whose head is a longer path ending in one
// of those names (a.deny contains …) would add nothing, and a denial its
// author meant would silently allow.
func checkExtensionPackage(name string, mod *ast.Module) error {
	p := mod.Package.Path
	pkg := strings.TrimPrefix(p.String(), "data.")
	switch {
	case len(p) < 4 || !p[1].Equal(ast.StringTerm("privacy")) || !p[2].Equal(ast.StringTerm("ext")):
		return badModule(name, fmt.Sprintf("package %s is not under privacy.ext: extension modules may only add denials and obligations", pkg))
	case len(p) > 4:
		return badModule(name, fmt.Sprintf("package %s is nested: the policy reads deny and obligation rules one level under privacy.ext only; use a package such as privacy.ext.%s",
			pkg, strings.Join(packageParts(p[3:]), "_")))
	}
	for _, r := range mod.Rules {
		ref := r.Head.Ref()
		for _, t := range ref[1:] {
			if t.Equal(ast.StringTerm("deny")) || t.Equal(ast.StringTerm("obligation")) {
				return badModule(name, fmt.Sprintf("rule %s at line %d would not be read: deny and obligation rules must be named deny or obligation, directly in the package", ref, r.Location.Row))
			}
		}
	}
	return nil
}

// packageParts returns the names of a package path's parts.
func packageParts(ref ast.Ref) []string {
	out := make([]string, len(ref))
	for i, t := range ref {
		if s, ok := t.Value.(ast.String); ok {
			out[i] = string(s)
		} else {
			out[i] = t.String()
		}
	}
	return out
}
