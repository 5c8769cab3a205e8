package policies

import (
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/privacykit/privacy"
)

// regoModules parses the embedded policy's files, tests included, by path.
func regoModules(t *testing.T) map[string]*ast.Module {
	t.Helper()
	modules := map[string]*ast.Module{}
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
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return modules
}

// TestRego runs the policy's own unit tests (rego/*_test.rego) against the
// reference catalog's data, so that `go test` fails when a Rego test does.
func TestRego(t *testing.T) {
	modules := regoModules(t)
	ruleFiles := map[string]bool{}
	for p := range modules {
		if !strings.HasSuffix(p, "_test.rego") {
			ruleFiles[p] = true
		}
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

// TestAddPeriodMatchesGo checks, over many starts and periods, that the
// Rego add_period of retention.rego is privacy.Period.AddTo, so that
// retention.expired in decisions and the sweeper agree.
func TestAddPeriodMatchesGo(t *testing.T) {
	src, err := regoFiles.ReadFile("rego/retention.rego")
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := regoFiles.ReadFile("rego/lib.rego")
	pq, err := rego.New(rego.Query("data.privacy.rules.retention.add_period(input.start, input.rule)"),
		rego.Module("retention.rego", string(src)), rego.Module("lib.rego", string(lib))).PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		start := time.Date(2020+rnd.IntN(10), time.Month(1+rnd.IntN(12)), 1+rnd.IntN(31), rnd.IntN(24), rnd.IntN(60), 0, rnd.IntN(1e9), time.UTC)
		p := privacy.Period{Years: rnd.IntN(3), Months: rnd.IntN(14), Weeks: rnd.IntN(3), Days: rnd.IntN(40), Hours: rnd.IntN(30)}
		rs, err := pq.Eval(t.Context(), rego.EvalInput(map[string]any{
			"start": start.UnixNano(),
			"rule":  map[string]any{"years": p.Years, "months": p.Months, "days": 7*p.Weeks + p.Days, "hours": p.Hours},
		}))
		if err != nil || len(rs) != 1 {
			t.Fatalf("eval: %v %v", rs, err)
		}
		got, _ := rs[0].Expressions[0].Value.(json.Number).Int64()
		if want := p.AddTo(start).UnixNano(); got != want {
			t.Fatalf("%s + %s: rego %s, go %s", start, p, time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
		}
	}
}
