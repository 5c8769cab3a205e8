package policies

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/privacykit/privacy"
)

// TestRego runs the policy's own unit tests (rego/*_test.rego) against the
// reference catalog's data, so that `go test` fails when a Rego test does.
func TestRego(t *testing.T) {
	modules := map[string]*ast.Module{}
	ruleFiles := map[string]bool{}
	err := fs.WalkDir(regoFiles, "rego", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := regoFiles.ReadFile(p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		modules[p] = m
		if !strings.HasSuffix(p, "_test.rego") {
			ruleFiles[p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every rule file has a test file.
	for p := range ruleFiles {
		if test := strings.TrimSuffix(p, ".rego") + "_test.rego"; modules[test] == nil && p != "rego/lib.rego" {
			t.Errorf("%s has no %s", p, test)
		}
	}

	store := inmem.NewFromObject(map[string]any{"catalog": catalogData(privacy.DefaultCatalog())})
	ch, err := tester.NewRunner().SetStore(store).SetDefaultRegoVersion(ast.RegoV1).Run(t.Context(), modules)
	if err != nil {
		t.Fatalf("run rego tests: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		if r.Error != nil {
			t.Errorf("%s.%s: error: %v", r.Package, r.Name, r.Error)
		} else if r.Fail {
			t.Errorf("%s.%s: FAIL at %v", r.Package, r.Name, r.FailedAt)
		}
	}
	if n < 30 {
		t.Errorf("ran %d rego tests, want at least 30: were test files dropped?", n)
	}
}
