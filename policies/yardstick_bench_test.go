package policies

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

// BenchmarkYardstick measures, in one run, a fixed reference privacy
// policy evaluated by plain OPA (testdata/yardstick: 12 deny rules, the
// catalog as data) and Decide on the newsletter request, allow and deny,
// uncached and cached, and the same from every core. Every Decide case
// reports its time as a ratio to the yardstick case of the same outcome
// ("x-yardstick"; "x-yardstick-cpu" the same for the process's CPU time
// per operation, "cpu-ns/op"), so that the figures in docs/benchmarks.md compare
// within one run on one machine, whatever its load. The parallel cases
// report decisions per second and "x-linear": parallel rate / (GOMAXPROCS
// × the single-goroutine rate of the same case), 1.0 being perfect scaling.
//
//	go test ./policies/ -run '^$' -bench Yardstick -cpu 1,2 -count 3
func BenchmarkYardstick(b *testing.B) {
	ctx := b.Context()
	src, err := os.ReadFile("testdata/yardstick/yardstick.rego")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/yardstick/yardstick.json")
	if err != nil {
		b.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		b.Fatal(err)
	}
	yard, err := rego.New(rego.Query("data.yardstick.decision"), rego.Module("yardstick.rego", string(src)),
		rego.Store(inmem.NewFromObject(data))).PrepareForEval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	yardInput := func(objected bool) map[string]any {
		return map[string]any{
			"purpose":   "marketing.announcements",
			"data":      []any{"instance.contact.email", "instance.account.username"},
			"subject":   map[string]any{"age": 34, "country": "NL", "objected_marketing": objected},
			"recipient": map[string]any{"kind": "processor", "country": "NL", "dpa": true},
			"consent":   map[string]any{},
		}
	}

	consents, states := memory.NewConsentStore(), memory.NewStateStore()
	denyReq := benchRequest
	denyReq.Subject.ID = "u-2"
	if err := subject.ObjectToDirectMarketing(ctx, states, denyReq.Subject.ID); err != nil {
		b.Fatal(err)
	}
	uncached, cached := benchEngines(b, consents, states)

	cases := []struct {
		name  string
		allow bool
		req   privacy.Request
	}{{"allow", true, benchRequest}, {"deny", false, denyReq}}
	yardNs, yardCPU := map[string]float64{}, map[string]float64{}
	nsPerOp := func(b *testing.B) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(b.N) }
	for _, c := range cases {
		b.Run("yardstick_opa/"+c.name, func(b *testing.B) {
			input := rego.EvalInput(yardInput(!c.allow))
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				rs, err := yard.Eval(ctx, input)
				if err != nil || len(rs) != 1 {
					b.Fatal(rs, err)
				}
				if got := rs[0].Expressions[0].Value.(map[string]any)["allow"]; got != c.allow {
					b.Fatalf("yardstick allow = %v, want %v", got, c.allow)
				}
			}
			yardNs[c.name] = nsPerOp(b)
			yardCPU[c.name] = float64(processCPU()-cpu) / float64(b.N)
			b.ReportMetric(yardCPU[c.name], "cpu-ns/op")
		})
	}
	decide := func(e *Engine, c privacy.Request, allow bool) func(*testing.B) float64 {
		return func(b *testing.B) float64 {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if d, err := e.Decide(ctx, c); err != nil || d.Allowed != allow {
					b.Fatal(d.Codes(), err)
				}
			}
			perOp := float64(processCPU()-cpu) / float64(b.N)
			b.ReportMetric(perOp, "cpu-ns/op")
			return perOp
		}
	}
	for _, c := range cases {
		for _, e := range []struct {
			name string
			e    *Engine
		}{{"decide_uncached", uncached}, {"decide_cached", cached}} {
			b.Run(e.name+"/"+c.name, func(b *testing.B) {
				cpu := decide(e.e, c.req, c.allow)(b)
				if y := yardNs[c.name]; y > 0 {
					b.ReportMetric(nsPerOp(b)/y, "x-yardstick")
				}
				if y := yardCPU[c.name]; y > 0 {
					b.ReportMetric(cpu/y, "x-yardstick-cpu")
				}
			})
		}
	}

	// Where the uncached time goes, against the same yardstick: OPA's cost
	// of evaluating anything at all (a constant query), of the base
	// policy's combining step alone (lib.rego and decision.rego, no rule
	// package: choosing the basis, the reasons, the obligations and the
	// validity window), and of the whole policy without the engine
	// around it (Decide uncached minus this is Go's share: gathering,
	// the input, decoding).
	floorIn := (&facts{at: time.Now()}).input(&cases[0].req)
	mods, err := baseModules()
	if err != nil {
		b.Fatal(err)
	}
	floor := func(name string, in ast.Value, opts ...func(*rego.Rego)) {
		pq, err := rego.New(append(slices.Clip(uncached.policy.Load().regoBase), opts...)...).PrepareForEval(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("opa_floor/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rs, err := pq.Eval(ctx, rego.EvalParsedInput(in), rego.EvalMetrics(noMetrics)); err != nil || len(rs) != 1 {
					b.Fatal(rs, err)
				}
			}
			if y := yardNs["allow"]; y > 0 {
				b.ReportMetric(nsPerOp(b)/y, "x-yardstick")
			}
		})
	}
	for _, fl := range []struct {
		name, query string
		keep        func(name string) bool
	}{
		{"constant_query", "x := 1", func(string) bool { return false }},
		{"decision_without_rules", query, func(n string) bool { return n == "rego/lib.rego" || n == "rego/decision.rego" }},
		{"whole_policy", query, func(string) bool { return true }},
	} {
		opts := []func(*rego.Rego){rego.Query(fl.query), rego.GenerateJSON(resultTerm)}
		for _, m := range mods {
			if fl.keep(m.name) {
				opts = append(opts, rego.Module(m.name, m.source))
			}
		}
		floor(fl.name, floorIn, opts...)
	}
	// The least a combining step and a rule can cost in OPA, on policies
	// made for the measurement (floorModule): a result over one deny set;
	// the basis choice, reasons and validity window as comprehensions
	// like decision.rego's, with no rule, with twenty rules whose first
	// expression OPA's index skips, and with twenty whose first
	// expression it cannot index.
	for _, fl := range []struct {
		name string
		n    int
		kind string
	}{{"minimal_combine", 0, "minimal"}, {"comprehension_combine", 0, "indexed"},
		{"comprehension_combine_20_indexed_rules", 20, "indexed"}, {"comprehension_combine_20_unindexed_rules", 20, "unindexed"}} {
		floor(fl.name, floorModuleInput, rego.Query("data.floor.result"), rego.GenerateJSON(resultTerm),
			rego.Module("floor.rego", floorModule(fl.kind, fl.n)))
	}

	// Scaling: the same work from one goroutine and from GOMAXPROCS.
	many := make([]privacy.Request, 4096)
	for i := range many {
		many[i] = benchRequest
		many[i].Subject.ID = fmt.Sprintf("s-%05d", i)
		if d, err := cached.Decide(ctx, many[i]); err != nil || !d.Allowed {
			b.Fatal(d.Codes(), err)
		}
	}
	for _, s := range []struct {
		name string
		e    *Engine
		reqs []privacy.Request
	}{
		{"cached_hot_subject", cached, []privacy.Request{benchRequest}},
		{"cached_many_subjects", cached, many},
		{"uncached_many_subjects", uncached, many},
	} {
		var single float64 // decisions per second of one goroutine
		b.Run(s.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if d, err := s.e.Decide(ctx, s.reqs[i%len(s.reqs)]); err != nil || !d.Allowed {
					b.Fatal(d.Codes(), err)
				}
				i++
			}
			single = float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(single, "ops/s")
		})
		b.Run(s.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				i := int(time.Now().UnixNano()) // each goroutine its own walk
				for pb.Next() {
					if d, err := s.e.Decide(ctx, s.reqs[uint(i)%uint(len(s.reqs))]); err != nil || !d.Allowed {
						b.Error(d.Codes(), err)
						return
					}
					i++
				}
			})
			rate := float64(b.N) / time.Since(start).Seconds()
			b.ReportMetric(rate, "ops/s")
			if single > 0 {
				b.ReportMetric(rate/(float64(runtime.GOMAXPROCS(0))*single), "x-linear")
			}
		})
	}
}

// floorModule is a policy for the opa_floor cases: with kind "minimal" a
// result over one deny set; otherwise n deny rules, each failing on its
// first expression, which is an equality on an input field OPA's index
// skips ("indexed") or a comparison it cannot index ("unindexed"), and
// a combining step written as decision.rego's is: the first workable
// candidate, the reasons of each, the validity window.
func floorModule(kind string, n int) string {
	var b strings.Builder
	b.WriteString("package floor\n\ndeny contains {\"code\": \"never\"} if input.never == true\n\n")
	if kind == "minimal" {
		b.WriteString(`result := {"basis": input.static.candidates[0], "reasons": input.static.general | deny, "obligations": input.static.obligations}` + "\n")
		return b.String()
	}
	for i := range n {
		guard := fmt.Sprintf("input.flag%d == true", i)
		if kind == "unindexed" {
			guard = "count(input.subject_state) > 100"
		}
		fmt.Fprintf(&b, "deny contains {\"code\": \"c%d\", \"message\": sprintf(\"m %%v\", [input.request.purpose])} if {\n\t%s\n\tinput.consent.expires_ns > %d\n}\n\n", i, guard, i)
	}
	b.WriteString(`basis_deny[b] contains r if {
	some b in input.static.candidates
	some r in input.static.basis_deny[b]
}

general := input.static.general | deny

per_basis[b] := {r | some r in basis_deny[b]} if some b in input.static.candidates

workable := [b | some b in input.static.candidates; count(object.get(per_basis, b, set())) == 0]

default basis := ""

basis := workable[0] if {
	count(general) == 0
	count(workable) > 0
}

reasons := general if basis != ""

reasons := general | {r | some b in input.static.candidates; some r in per_basis[b]} if basis == ""

default valid_until := 0

valid_until := min(f) if {
	f := {t | some t in input.static.changes; t > input.now_ns}
	count(f) > 0
}

result := {"basis": basis, "reasons": reasons, "obligations": input.static.obligations, "valid_until_ns": valid_until}
`)
	return b.String()
}

// floorModuleInput is the input of floorModule's policies: a request, no
// consent or state, and what a previous step would have computed.
var floorModuleInput = ast.MustParseTerm(`{"request": {"purpose": "marketing.announcements", "subject": {"id": "u-1", "kind": "customer", "age": 0}},
	"consent": {"event": "", "expires_ns": 0}, "subject_state": {"restricted": false, "deactivated": false},
	"now_ns": 1000,
	"static": {"candidates": ["legitimate_interests"], "basis_deny": {}, "general": set(), "changes": [],
	           "obligations": {{"code": "x", "message": "y"}, {"code": "z", "message": "w"}}}}`).Value
