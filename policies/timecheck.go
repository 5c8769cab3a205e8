package policies

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// The cache keeps a decision for the times between the changes the
// policy declares (lib.rego: a package whose rules compare the moment
// judged declares the times compared in its set `changes`). A module that
// reads the moment and declares nothing would make cached answers wrong,
// so the engine refuses it: readsTime finds such reads, conservatively.

var (
	libRef     = ast.MustParseRef("data.privacy.lib")
	reachedRef = ast.MustParseRef("data.privacy.lib.reached")
	nowKey     = ast.StringTerm("now_ns")
)

// readsTime reports whether a module's rules may read the moment judged:
// input.now_ns, input as a whole or under a computed key, lib.reached, or
// the lib package as a whole.
func readsTime(mod *ast.Module) bool {
	libAliases := map[ast.Var]bool{}
	for _, imp := range mod.Imports {
		path, ok := imp.Path.Value.(ast.Ref)
		if !ok {
			continue
		}
		if inputReadsTime(path) || path[0].Equal(ast.DefaultRootDocument) && dataReadsTime(path[1:]) && !path.Equal(libRef) {
			return true
		}
		if path.Equal(libRef) {
			alias := imp.Alias
			if alias == "" {
				alias = ast.Var("lib")
			}
			libAliases[alias] = true
		}
	}
	found := false
	var visit func(x any) bool
	visit = func(x any) bool {
		if found {
			return true
		}
		t, ok := x.(*ast.Term)
		if !ok {
			return false
		}
		switch v := t.Value.(type) {
		case ast.Var:
			// A bare input, or lib, handed on as a value.
			found = v.Equal(ast.InputRootDocument.Value) || libAliases[v]
			return true
		case ast.Ref:
			head, _ := v[0].Value.(ast.Var)
			switch {
			case v[0].Equal(ast.InputRootDocument):
				found = inputReadsTime(v)
			case v[0].Equal(ast.DefaultRootDocument):
				found = dataReadsTime(v[1:])
			case libAliases[head]:
				found = len(v) == 1 || !isString(v[1]) || v[1].Equal(reachedRef[3])
			}
			for _, el := range v[1:] {
				ast.NewGenericVisitor(visit).Walk(el)
			}
			return true
		}
		return false
	}
	for _, r := range mod.Rules {
		ast.NewGenericVisitor(visit).Walk(r)
	}
	return found
}

// inputReadsTime reports whether a reference into input may reach now_ns.
func inputReadsTime(r ast.Ref) bool {
	if !r[0].Equal(ast.InputRootDocument) {
		return false
	}
	return len(r) == 1 || !isString(r[1]) || r[1].Equal(nowKey)
}

// dataReadsTime reports whether a reference below data (given without
// data) may reach lib.reached: data, data.privacy, data.privacy.lib and
// data.privacy.lib.reached, or a computed key on the way.
func dataReadsTime(path ast.Ref) bool {
	for i, el := range path {
		if i >= len(reachedRef)-1 {
			return true
		}
		if !isString(el) {
			return true
		}
		if !el.Equal(reachedRef[i+1]) {
			return false
		}
	}
	return true
}

func isString(t *ast.Term) bool {
	_, ok := t.Value.(ast.String)
	return ok
}

// declaresChanges reports whether a module has a rule named changes.
func declaresChanges(mod *ast.Module) bool {
	for _, r := range mod.Rules {
		if r.Head.Ref()[0].Value.Compare(ast.Var("changes")) == 0 {
			return true
		}
	}
	return false
}
