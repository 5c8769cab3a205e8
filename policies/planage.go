package policies

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/privacykit/privacy/plan"
)

// A consent's maximum age (consent.renewal_due) reaches the residual as
// date arithmetic on the time the consent was given: the rule's
// retention.add_period inlined (time.date, time.add_date, sums, min)
// and compared with the moment judged, `now >= due(collected_ns)`. A
// condition cannot do date arithmetic, but it can compare collected_ns
// with constants, and this comparison is one when due has the shape
// add_period gives it:
//
//  1. within one UTC day, due(c) - c is constant (the date decides the
//     months and days added; the time of day is carried over);
//  2. due at the start of a day does not decrease from one day to the
//     next.
//
// Then "due(c) <= now" holds for every c before some day L, for no c from
// some day R >= L on, and on each day D of [L, R) (at most a few: the
// days a month-end clamp maps onto one day, 29 to 31 January onto the
// end of February) for the c up to a cut-off of that day. The days and
// the cut-offs are found by binary search over time, asking OPA itself,
// with the residual's own expressions, whether due(c) <= now at each c
// tried: nothing of add_period is restated in Go. The condition is then
//
//	collected_ns < start(L) or (start(D) <= collected_ns <= cut(D)) for D in [L, R)
//
// It is not monotonic in collected_ns: a consent given on 30 January at
// 23:00 reaches a month on 28 February (29 in a leap year) at 23:00, one
// given on 31 January at 01:00 on 28 February at 01:00.
// The translator checks what it can of the properties at the days it
// finds; TestPlanConsentAge checks the condition against Decide on every
// day around the maximum age, at the cut-offs and a nanosecond either
// side, judged at month ends and in leap years, for the catalog's maximum
// ages and others with weeks, days and hours.

const dayNanos = int64(86400_000_000_000)

// ageDays bounds the days searched, from 1970-01-01: until 2230, within
// the nanoseconds an int64 holds after adding decades.
const ageDays = 95000

// maxAgePartialDays bounds the days with a cut-off: more is not the
// shape of add_period, and the group is left Unknown.
const maxAgePartialDays = 8

// ageBuiltins are the calls a group of date arithmetic may make.
var ageBuiltins = map[string]bool{
	"eq": true, "time.date": true, "time.add_date": true,
	"minus": true, "plus": true, "mul": true, "min": true,
	"gte": true, "gt": true, "lte": true, "lt": true,
}

var collectedRef = ast.MustParseRef("input.consent.collected_ns")

// ageGroup picks from the expressions of a body that no condition
// expresses (rest, by index) those that make up a comparison of a due
// time computed from input.consent.collected_ns with a constant: only
// unifications and the allowed builtins, reading nothing of the input but
// collected_ns, one comparison `n >= due` (or >, or the same written the
// other way round) with n a ground integer, and no variable shared with
// an expression outside the group. It returns the group's indexes, or
// none.
func ageGroup(q ast.Body, rest []int) []int {
	var group []int
	var cmp int
	vars := ast.NewVarSet()
	for _, i := range rest {
		e := q[i]
		if e.Negated || len(e.With) > 0 || !e.IsCall() {
			continue
		}
		good := true
		ast.WalkRefs(e, func(r ast.Ref) bool {
			switch {
			case r.Equal(collectedRef):
			case len(r) == 1:
				if _, ok := r[0].Value.(ast.Var); !ok || !ageBuiltins[r.String()] {
					good = false
				}
			default:
				if !ageBuiltins[r.String()] {
					good = false
				}
			}
			return false
		})
		ast.WalkTerms(e, func(t *ast.Term) bool {
			if c, ok := t.Value.(ast.Call); ok && !ageBuiltins[c[0].String()] {
				good = false
			}
			return false
		})
		op := e.Operator().String()
		if !good {
			continue
		}
		switch op {
		case "eq":
		case "gte", "gt", "lte", "lt":
			if !isDueComparison(e) {
				continue
			}
			cmp++
		default:
			continue
		}
		group = append(group, i)
		vars.Update(localVars(e))
	}
	if cmp != 1 {
		return nil
	}
	// The group reads collected_ns and shares no variable with the rest.
	reads := false
	for _, i := range group {
		ast.WalkRefs(q[i], func(r ast.Ref) bool { reads = reads || r.Equal(collectedRef); return false })
	}
	if !reads {
		return nil
	}
	for i, e := range q {
		if slices.Contains(group, i) {
			continue
		}
		if len(localVars(e).Intersect(vars)) > 0 {
			return nil
		}
	}
	return group
}

// localVars are the variables of e, but for the roots of documents
// (input, data) and the heads of builtins' names.
func localVars(e *ast.Expr) ast.VarSet {
	out := ast.NewVarSet()
	ast.WalkVars(e, func(v ast.Var) bool {
		if v != ast.InputRootDocument.Value && v != ast.DefaultRootDocument.Value && ast.BuiltinMap[string(v)] == nil && string(v) != "time" {
			out.Add(v)
		}
		return false
	})
	return out
}

// isDueComparison reports whether e compares a ground integer n with a
// computed value as n >= x, n > x, x <= n or x < n: true for the times
// before a cut-off.
func isDueComparison(e *ast.Expr) bool {
	ops := e.Operands()
	if len(ops) != 2 {
		return false
	}
	ground := 0
	switch e.Operator().String() {
	case "gte", "gt":
	default: // lte, lt
		ground = 1
	}
	n, ok := ops[ground].Value.(ast.Number)
	if !ok {
		return false
	}
	_, ok = n.Int64()
	return ok && !ops[1-ground].IsGround()
}

// ageCond turns the group's expressions into a condition on
// ConsentCollected, asking OPA for the truth of the group at the times
// the search tries; ok false when the truths do not have the shape the
// condition rests on (the group is then Unknown).
func ageCond(ctx context.Context, group ast.Body) (plan.Cond, bool) {
	pq, err := rego.New(rego.ParsedQuery(group)).PrepareForEval(ctx)
	if err != nil {
		return plan.Cond{}, false
	}
	var failed bool
	holds := func(c int64) bool {
		in := ast.NewObject(ast.Item(ast.StringTerm("consent"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("collected_ns"), ast.NumberTerm(json.Number(strconv.FormatInt(c, 10)))))))
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(in))
		if err != nil {
			failed = true
			return false
		}
		return len(rs) > 0
	}
	return ageCutoffs(holds, &failed)
}

// ageCutoffs finds, with holds (true for the collected times whose due
// time is reached), the first day L not wholly reached and the first day
// R not reached at its start, and the cut-off of each day between, and
// returns the condition; ok false on a shape it does not know.
func ageCutoffs(holds func(int64) bool, failed *bool) (plan.Cond, bool) {
	start := func(d int64) int64 { return d * dayNanos }
	end := func(d int64) int64 { return d*dayNanos + dayNanos - 1 }
	// The first day in [0, ageDays] for which not at(d), at(ageDays)
	// being false.
	first := func(at func(int64) bool) (int64, bool) {
		if at(ageDays) {
			return 0, false
		}
		lo, hi := int64(0), int64(ageDays)
		for lo < hi {
			mid := lo + (hi-lo)/2
			if at(mid) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return lo, true
	}
	l, ok1 := first(func(d int64) bool { return holds(end(d)) })
	r, ok2 := first(func(d int64) bool { return holds(start(d)) })
	if !ok1 || !ok2 || r < l || r-l > maxAgePartialDays || *failed {
		return plan.Cond{}, false
	}
	// Property 1 and 2 at the edges: the day before L is reached at its
	// end, day R is not reached at its start, every day between is
	// reached at its start and not at its end.
	if l > 0 && !holds(end(l-1)) {
		return plan.Cond{}, false
	}
	alts := []plan.Cond{{Op: plan.OpLt, Fact: plan.ConsentCollected, Value: start(l)}}
	for d := l; d < r; d++ {
		lo, hi := start(d), end(d) // holds(lo), !holds(hi)
		if !holds(lo) || holds(hi) {
			return plan.Cond{}, false
		}
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if holds(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		alts = append(alts, plan.And(
			plan.Cond{Op: plan.OpGe, Fact: plan.ConsentCollected, Value: start(d)},
			plan.Cond{Op: plan.OpLe, Fact: plan.ConsentCollected, Value: lo}))
	}
	if *failed {
		return plan.Cond{}, false
	}
	return plan.Or(alts...), true
}
