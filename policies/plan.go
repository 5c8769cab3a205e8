package policies

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/plan"
)

// planSubjectID stands for the subject in a plan's input: the subject is
// unknown, and the policy only checks that an id is there.
const planSubjectID = "plan-subject"

// planner holds the partial-evaluation queries of one policy, prepared on
// first use.
type planner struct {
	once sync.Once
	err  error
	// general gives the reasons that deny on every basis; candidates the
	// bases to try; obligations the obligations; basisDeny, one per rule
	// package that has basis_deny, the reasons that deny on each basis.
	general, candidates, obligations rego.PreparedPartialQuery
	basisDeny                        []rego.PreparedPartialQuery
}

// Plan partially evaluates the policy for req with the subject unknown and
// returns the plan: the condition over the subject's stored facts
// (consent for the purpose, objections, restriction, deactivation,
// lifecycle) and the attributes age and country under which the policy
// allows req for a subject, with the basis and obligations of every
// subject it allows. The request's subject gives the kind and controller
// shared by every subject the plan is for; its id, age and country are
// ignored. A request without a time is planned at the engine clock's now.
//
// The plan is derived from the same policy as Decide, by OPA's partial
// evaluation; nothing is restated in Go. Where the residual policy holds
// what a plan.Cond cannot express, the condition is plan.Unknown there,
// and the subjects it concerns must be decided with Decide (Filter does
// it): a plan never approximates. A processing that reads transfer consent
// (a recipient whose derogation is explicit_consent), or a time before
// the engine clock's now, gives a plan that is Unknown for every subject.
//
// An invalid request returns an error wrapping privacy.ErrInvalidRequest,
// naming the field.
func (e *Engine) Plan(ctx context.Context, req privacy.Request) (*plan.Plan, error) {
	return e.plan(ctx, e.policy.Load(), req, e.now())
}

// plan plans req under p, judging "now" to be now.
func (e *Engine) plan(ctx context.Context, p *policy, req privacy.Request, now time.Time) (*plan.Plan, error) {
	if req.Time.IsZero() {
		req.Time = now
	}
	req.Subject.ID = planSubjectID
	if err := p.validate(&req); err != nil {
		return nil, err
	}
	out := &plan.Plan{
		Cond:          plan.Maybe,
		PolicyVersion: p.catalog.PolicyVersion,
		Purpose:       req.Purpose,
		At:            req.Time,
		ReadsConsent:  p.needsConsent[req.Purpose][req.Subject.Kind],
	}
	if rc := req.Recipient; (rc != nil && rc.Derogation == privacy.DerogationExplicitConsent) || req.Time.Before(now) {
		return out, nil
	}
	pl := &p.planner
	pl.once.Do(func() { pl.err = pl.prepare(ctx, p) })
	if pl.err != nil {
		return nil, fmt.Errorf("%w: prepare the plan queries: %w", privacy.ErrEvaluation, pl.err)
	}

	f := facts{at: req.Time}
	input := rego.EvalParsedInput(f.input(&req))
	unknowns := []*ast.Term{ast.MustParseTerm("input.subject_state"), ast.MustParseTerm("input.request.subject.age"), ast.MustParseTerm("input.request.subject.country")}
	if out.ReadsConsent {
		unknowns = append(unknowns, ast.MustParseTerm("input.consent"))
	}
	if e.overrides != nil && req.Subject.Controller != "" {
		unknowns = append(unknowns, ast.MustParseTerm("input.retention_overrides"))
	}
	partial := func(q *rego.PreparedPartialQuery) (*rego.PartialQueries, error) {
		return q.Partial(ctx, input, rego.EvalParsedUnknowns(unknowns))
	}

	general, err := partial(&pl.general)
	if err != nil {
		return nil, fmt.Errorf("%w: plan: %w", privacy.ErrEvaluation, err)
	}
	denied, ok := bodies(ctx, general)
	if !ok {
		return out, nil
	}
	cands, err := partial(&pl.candidates)
	if err != nil {
		return nil, fmt.Errorf("%w: plan: %w", privacy.ErrEvaluation, err)
	}
	candidates, ok := groundStrings(cands)
	if !ok {
		return out, nil
	}
	perBasis := map[string][]plan.Cond{}
	for i := range pl.basisDeny {
		pq, err := partial(&pl.basisDeny[i])
		if err != nil {
			return nil, fmt.Errorf("%w: plan: %w", privacy.ErrEvaluation, err)
		}
		if !basisBodies(ctx, pq, perBasis) {
			return out, nil
		}
	}
	obls, err := partial(&pl.obligations)
	if err != nil {
		return nil, fmt.Errorf("%w: plan: %w", privacy.ErrEvaluation, err)
	}
	obligations, conditional, ok := obligationsOf(ctx, obls)
	if !ok {
		return out, nil
	}

	// The decision's own combination (decision.rego): no general reason,
	// and the first candidate with no reason against it is the basis.
	// Subjects allowed on a later candidate are left to Decide, so that
	// every subject the plan allows has the plan's basis.
	var alts []plan.Cond
	var first plan.Cond
	for _, b := range candidates {
		works := plan.Not(plan.Or(perBasis[b]...))
		if works.Op == plan.OpFalse {
			continue
		}
		if len(alts) == 0 {
			out.Basis = lawfulbasis.Basis(b)
			first = works
			alts = append(alts, works)
			continue
		}
		alts = append(alts, plan.And(plan.Not(first), works, plan.Maybe))
	}
	// A subject who would get an obligation that depends on them is left
	// to Decide, so that every subject the plan allows gets the plan's.
	out.Cond = plan.And(plan.Not(plan.Or(denied...)), plan.Or(alts...), plan.Or(plan.Not(plan.Or(conditional...)), plan.Maybe))
	if out.Cond.Op == plan.OpFalse {
		out.Basis = ""
		return out, nil
	}
	d := privacy.Decision{Basis: out.Basis, PolicyVersion: p.catalog.PolicyVersion, Obligations: obligations}
	d.Normalize()
	out.Obligations = d.Obligations
	return out, nil
}

// prepare compiles the partial-evaluation queries of the policy.
func (pl *planner) prepare(ctx context.Context, p *policy) error {
	// The first query compiles the modules; the others reuse its
	// compiler.
	var compiler *ast.Compiler
	prep := func(q string) (rego.PreparedPartialQuery, error) {
		opts := append(slices.Clip(p.regoBase), rego.Compiler(compiler), rego.Query(q))
		return rego.New(opts...).PrepareForPartial(ctx)
	}
	var err error
	pl.general, err = rego.New(append(slices.Clip(p.regoOpts), rego.Query("data.privacy.decision.general[_]"),
		rego.CompilerHook(func(c *ast.Compiler) { compiler = c }))...).PrepareForPartial(ctx)
	if err != nil {
		return err
	}
	if pl.candidates, err = prep("x = data.privacy.lib.candidates"); err != nil {
		return err
	}
	if pl.obligations, err = prep("x = data.privacy.decision.obligations"); err != nil {
		return err
	}
	base, err := baseModules()
	if err != nil {
		return err
	}
	// The rule packages with reasons per basis (basis_deny), as the
	// decision reads them (data.privacy.rules[_].basis_deny). Each is
	// evaluated as a whole document: OPA's partial evaluation does not
	// descend into a partial object's keys.
	for _, m := range base {
		mod, err := ast.ParseModuleWithOpts(m.name, m.source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		if !strings.HasPrefix(mod.Package.Path.String(), "data.privacy.rules.") || !slices.ContainsFunc(mod.Rules, func(r *ast.Rule) bool {
			return r.Head.Ref()[0].Value.Compare(ast.Var("basis_deny")) == 0
		}) {
			continue
		}
		q, err := prep("x = " + mod.Package.Path.String() + ".basis_deny")
		if err != nil {
			return err
		}
		pl.basisDeny = append(pl.basisDeny, q)
	}
	if len(pl.basisDeny) == 0 {
		return errors.New("no rule package has basis_deny")
	}
	return nil
}

// bodies turns the residual of a query for the members of a set into one
// condition per way a member exists; ok false when the residual needs
// support rules.
func bodies(ctx context.Context, pq *rego.PartialQueries) ([]plan.Cond, bool) {
	if len(pq.Support) > 0 {
		return nil, false
	}
	out := make([]plan.Cond, len(pq.Queries))
	for i, q := range pq.Queries {
		out[i] = translateBody(ctx, q)
	}
	return out, true
}

// groundStrings reads the residual of `x = <array of strings>` fully
// known; none when x is undefined.
func groundStrings(pq *rego.PartialQueries) ([]string, bool) {
	if len(pq.Support) > 0 || len(pq.Queries) > 1 {
		return nil, false
	}
	if len(pq.Queries) == 0 {
		return nil, true
	}
	t, ok := boundTo(pq.Queries[0])
	if !ok {
		return nil, false
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, arr.Len())
	for i := range arr.Len() {
		s, ok := arr.Elem(i).Value.(ast.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// obligationsOf reads the residual of `x = obligations`: the obligations
// every subject gets (ground, or support rules whose body is true), and
// the conditions under which a subject gets others; ok false for a shape
// it does not know.
func obligationsOf(ctx context.Context, pq *rego.PartialQueries) (fixed []privacy.Obligation, conds []plan.Cond, ok bool) {
	if len(pq.Queries) != 1 {
		return nil, nil, false
	}
	add := func(o *ast.Term) bool {
		obj, ok := o.Value.(ast.Object)
		if !ok {
			return false
		}
		code, ok1 := termString(obj.Get(ast.StringTerm("code")))
		msg, ok2 := termString(obj.Get(ast.StringTerm("message")))
		if !ok1 || !ok2 || code == "" {
			return false
		}
		fixed = append(fixed, privacy.Obligation{Code: code, Article: obligationArticle(code), Message: msg})
		return true
	}
	if t, ok := boundTo(pq.Queries[0]); ok {
		set, ok := t.Value.(ast.Set)
		if !ok {
			return nil, nil, false
		}
		good := true
		set.Foreach(func(o *ast.Term) { good = good && add(o) })
		return fixed, nil, good
	}
	q := pq.Queries[0]
	if len(q) != 1 || q[0].Negated || !q[0].IsCall() || !q[0].Operator().Equal(ast.Equality.Ref()) {
		return nil, nil, false
	}
	for _, m := range pq.Support {
		if !m.Package.Path.Equal(ast.MustParseRef("data.partial.privacy.decision")) {
			continue // a helper: a body that reads it is Unknown
		}
		for _, r := range m.Rules {
			if r.Head.Name != "obligations" {
				continue
			}
			if r.Default || r.Else != nil || r.Head.RuleKind() != ast.MultiValue {
				return nil, nil, false
			}
			if r.Body.Equal(ast.NewBody(ast.NewExpr(ast.BooleanTerm(true)))) && r.Head.Key != nil && r.Head.Key.IsGround() {
				if !add(r.Head.Key) {
					return nil, nil, false
				}
				continue
			}
			conds = append(conds, translateBody(ctx, r.Body))
		}
	}
	return fixed, conds, true
}

func termString(t *ast.Term) (string, bool) {
	if t == nil {
		return "", false
	}
	s, ok := t.Value.(ast.String)
	return string(s), ok
}

// boundTo returns the ground term of a residual query `x = term`.
func boundTo(q ast.Body) (*ast.Term, bool) {
	if len(q) != 1 || !q[0].IsCall() {
		return nil, false
	}
	ops := q[0].Operands()
	if q[0].Negated || len(ops) != 2 || !q[0].Operator().Equal(ast.Equality.Ref()) {
		return nil, false
	}
	for i, t := range ops {
		if _, ok := t.Value.(ast.Var); ok && ops[1-i].IsGround() && !readsDocument(ops[1-i]) {
			return ops[1-i], true
		}
	}
	return nil, false
}

// basisBodies adds to perBasis the conditions under which the rule
// package denies each basis, from the residual of `x = <package>.basis_deny`:
// either a ground object of reasons, or support rules `basis contains
// reason if { … }`.
func basisBodies(ctx context.Context, pq *rego.PartialQueries, perBasis map[string][]plan.Cond) bool {
	if len(pq.Queries) != 1 {
		return false
	}
	if t, ok := boundTo(pq.Queries[0]); ok {
		obj, ok := t.Value.(ast.Object)
		if !ok {
			return false
		}
		good := true
		obj.Foreach(func(k, v *ast.Term) {
			b, ok := k.Value.(ast.String)
			set, ok2 := v.Value.(ast.Set)
			if !ok || !ok2 {
				good = false
				return
			}
			if set.Len() > 0 {
				perBasis[string(b)] = append(perBasis[string(b)], plan.Always)
			}
		})
		return good
	}
	// data.partial.<package>.basis_deny = x, and the support rules.
	q := pq.Queries[0]
	if len(q) != 1 || q[0].Negated || !q[0].IsCall() || !q[0].Operator().Equal(ast.Equality.Ref()) {
		return false
	}
	var doc ast.Ref
	for _, t := range q[0].Operands() {
		if r, ok := t.Value.(ast.Ref); ok {
			doc = r
		}
	}
	for _, m := range pq.Support {
		if doc == nil || !m.Package.Path.Equal(doc) {
			continue // a helper: a body that reads it is Unknown
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if r.Default || r.Else != nil || len(ref) != 1 || r.Head.RuleKind() != ast.MultiValue {
				return false
			}
			b := ref[0].Value.(ast.Var)
			perBasis[string(b)] = append(perBasis[string(b)], translateBody(ctx, r.Body))
		}
	}
	return true
}

// factRefs maps the input paths of the facts a condition names.
var factRefs = map[string]plan.Fact{
	"input.consent.event":                            plan.ConsentEvent,
	"input.consent.act":                              plan.ConsentAct,
	"input.consent.guardian":                         plan.ConsentGuardian,
	"input.consent.collected_ns":                     plan.ConsentCollected,
	"input.consent.expires_ns":                       plan.ConsentExpires,
	"input.consent.policy_version_key":               plan.ConsentVersionKey,
	"input.subject_state.restricted":                 plan.Restricted,
	"input.subject_state.deactivated":                plan.Deactivated,
	"input.subject_state.direct_marketing_objection": plan.DirectMarketingObjection,
	"input.request.subject.age":                      plan.Age,
	"input.request.subject.country":                  plan.Country,
}

// translateBody turns one residual body (a conjunction) into a condition.
// A group of its expressions that compares a consent's age with the
// moment judged is translated together (ageCond).
func translateBody(ctx context.Context, q ast.Body) plan.Cond {
	seen := ast.NewVarSet()
	cs := make([]plan.Cond, len(q))
	var rest []int
	for i, e := range q {
		c, ok := plan.Cond{}, false
		if len(e.With) == 0 {
			c, ok = exactExpr(e, seen)
		}
		if !ok {
			c = unknownExpr(e)
			rest = append(rest, i)
		}
		if e.Negated {
			c = plan.Not(c)
		}
		cs[i] = c
		ast.WalkVars(e, func(v ast.Var) bool { seen.Add(v); return false })
	}
	if g := ageGroup(q, rest); g != nil {
		var group ast.Body
		for _, i := range g {
			group.Append(q[i].Copy())
		}
		if c, ok := ageCond(ctx, group); ok {
			for _, i := range g {
				cs[i] = plan.Always
			}
			cs[g[0]] = c
		}
	}
	return plan.And(cs...)
}

// unknownExpr is the condition of an expression no condition expresses:
// Unknown, guarded by the lifecycle triggers e reads: a body reading a
// trigger the subject's lifecycle lacks is undefined, hence false,
// whatever the rest.
func unknownExpr(e *ast.Expr) plan.Cond {
	var guards []plan.Cond
	ast.WalkRefs(e, func(r ast.Ref) bool {
		if len(r) >= 4 && r[:3].Equal(ast.MustParseRef("input.subject_state.lifecycle")) {
			if s, ok := r[3].Value.(ast.String); ok {
				guards = append(guards, plan.Cond{Op: plan.OpHasTrigger, Value: string(s)})
			}
		}
		return false
	})
	return plan.And(append(guards, plan.Maybe)...)
}

// exactExpr translates the expressions a condition expresses exactly.
func exactExpr(e *ast.Expr, seen ast.VarSet) (plan.Cond, bool) {
	if t, ok := e.Terms.(*ast.Term); ok {
		// A bare reference: true when the fact is true.
		if f, ok := fact(t); ok && sameKind(f, true) {
			return plan.Cond{Op: plan.OpEq, Fact: f, Value: true}, true
		}
		return plan.Cond{}, false
	}
	if !e.IsCall() {
		return plan.Cond{}, false
	}
	ops := e.Operands()
	switch name := e.Operator().String(); name {
	case "eq", "equal", "neq", "lt", "lte", "gt", "gte":
		if len(ops) != 2 {
			return plan.Cond{}, false
		}
		if name == "eq" {
			// A binding of a fresh variable to a value that reads no
			// input (the reason's message) always succeeds.
			for i, t := range ops {
				if v, ok := t.Value.(ast.Var); ok && !seen.Contains(v) && !readsDocument(ops[1-i]) {
					return plan.Always, true
				}
			}
		}
		op := map[string]plan.Op{"eq": plan.OpEq, "equal": plan.OpEq, "neq": plan.OpNe, "lt": plan.OpLt, "lte": plan.OpLe, "gt": plan.OpGt, "gte": plan.OpGe}[name]
		a, b := ops[0], ops[1]
		if _, ok := fact(a); !ok {
			a, b = b, a
			op = map[plan.Op]plan.Op{plan.OpEq: plan.OpEq, plan.OpNe: plan.OpNe, plan.OpLt: plan.OpGt, plan.OpLe: plan.OpGe, plan.OpGt: plan.OpLt, plan.OpGe: plan.OpLe}[op]
		}
		f, ok := fact(a)
		if ok {
			if c, ok := lookupCompare(op, f, b); ok {
				return c, true
			}
		}
		v, ok2 := scalar(b)
		if !ok || !ok2 || !sameKind(f, v) {
			return plan.Cond{}, false
		}
		return plan.Cond{Op: op, Fact: f, Value: v}, true
	case "internal.member_2":
		if len(ops) != 2 {
			return plan.Cond{}, false
		}
		if f, ok := fact(ops[0]); ok && ops[1].IsGround() {
			var list []string
			good := true
			collect := func(t *ast.Term) {
				s, ok := t.Value.(ast.String)
				good = good && ok
				list = append(list, string(s))
			}
			switch c := ops[1].Value.(type) {
			case ast.Set:
				c.Foreach(collect)
			case *ast.Array:
				c.Foreach(collect)
			default:
				good = false
			}
			if !good || !sameKind(f, "") {
				return plan.Cond{}, false
			}
			slices.Sort(list)
			return plan.Cond{Op: plan.OpIn, Fact: f, Value: list}, true
		}
		if s, ok := ops[0].Value.(ast.String); ok && ops[1].Equal(ast.MustParseTerm("input.subject_state.objections")) {
			return plan.Cond{Op: plan.OpObjects, Value: string(s)}, true
		}
	case "sprintf":
		// A reason's message of values known or bound: it formats,
		// whatever they are.
		if len(ops) == 3 && !readsUndefined(ops[0]) && !readsUndefined(ops[1]) {
			if v, ok := ops[2].Value.(ast.Var); ok && !seen.Contains(v) {
				return plan.Always, true
			}
		}
	}
	return plan.Cond{}, false
}

// readsDocument reports whether t holds a reference (to a document of
// the support rules, say) rather than only values.
func readsDocument(t *ast.Term) bool {
	found := false
	ast.WalkRefs(t, func(ast.Ref) bool { found = true; return true })
	return found
}

// readsUndefined reports whether t reads a document that may be
// undefined: anything but the consent's fields and the subject's age and
// country, which the input always has, and lookups in a constant object
// with a default (objectLookup).
func readsUndefined(t *ast.Term) bool {
	found := false
	ast.WalkTerms(t, func(x *ast.Term) bool {
		switch v := x.Value.(type) {
		case ast.Call:
			if _, _, _, ok := objectLookup(x); !ok {
				found = true
				return true
			}
			for _, a := range v[1:] {
				found = found || readsUndefined(a)
			}
			return true
		case ast.Ref:
			if !(len(v) == 3 && v.IsGround() && v.HasPrefix(ast.MustParseRef("input.consent"))) &&
				!v.Equal(ast.MustParseRef("input.request.subject.age")) && !v.Equal(ast.MustParseRef("input.request.subject.country")) {
				found = true
			}
			return true
		}
		return found
	})
	return found
}

// objectLookup reads object.get(obj, key, default) with obj a constant
// object and default a constant: a call that is never undefined.
func objectLookup(t *ast.Term) (obj ast.Object, key, def *ast.Term, ok bool) {
	c, isCall := t.Value.(ast.Call)
	if !isCall || len(c) != 4 || c[0].String() != "object.get" {
		return nil, nil, nil, false
	}
	obj, ok = c[1].Value.(ast.Object)
	if !ok || !c[1].IsGround() || !c[3].IsGround() {
		return nil, nil, nil, false
	}
	return obj, c[2], c[3], true
}

// lookupCompare translates `f op object.get(obj, key, default)`, where key
// is a string fact and obj and default are constants (the age of digital
// consent by country), into one comparison per value the lookup can
// give: f op v where key is one of the keys holding v, and f op default
// where it is none of obj's keys.
func lookupCompare(op plan.Op, f plan.Fact, t *ast.Term) (plan.Cond, bool) {
	obj, key, def, ok := objectLookup(t)
	if !ok {
		return plan.Cond{}, false
	}
	kf, ok := fact(key)
	if !ok || !sameKind(kf, "") {
		return plan.Cond{}, false
	}
	type group struct {
		v    any
		keys []string
	}
	var groups []group
	var all []string
	good := true
	obj.Foreach(func(k, v *ast.Term) {
		ks, ok := k.Value.(ast.String)
		val, ok2 := scalar(v)
		if !ok || !ok2 || !sameKind(f, val) {
			good = false
			return
		}
		all = append(all, string(ks))
		for i := range groups {
			if groups[i].v == val {
				groups[i].keys = append(groups[i].keys, string(ks))
				return
			}
		}
		groups = append(groups, group{v: val, keys: []string{string(ks)}})
	})
	dv, ok := scalar(def)
	if !good || !ok || !sameKind(f, dv) {
		return plan.Cond{}, false
	}
	slices.Sort(all)
	alts := []plan.Cond{plan.And(plan.Not(plan.Cond{Op: plan.OpIn, Fact: kf, Value: all}), plan.Cond{Op: op, Fact: f, Value: dv})}
	for _, g := range groups {
		slices.Sort(g.keys)
		alts = append(alts, plan.And(plan.Cond{Op: plan.OpIn, Fact: kf, Value: g.keys}, plan.Cond{Op: op, Fact: f, Value: g.v}))
	}
	return plan.Or(alts...), true
}

func fact(t *ast.Term) (plan.Fact, bool) {
	r, ok := t.Value.(ast.Ref)
	if !ok {
		return "", false
	}
	f, ok := factRefs[r.String()]
	return f, ok
}

// scalar is a ground string, integer or boolean.
func scalar(t *ast.Term) (any, bool) {
	switch v := t.Value.(type) {
	case ast.String:
		return string(v), true
	case ast.Boolean:
		return bool(v), true
	case ast.Number:
		n, ok := v.Int64()
		return n, ok
	}
	return nil, false
}

// sameKind reports whether v has the type of the fact's values, so that a
// comparison across types (which Rego orders by type) is never
// translated.
func sameKind(f plan.Fact, v any) bool {
	switch v.(type) {
	case string:
		return f == plan.ConsentEvent || f == plan.ConsentAct || f == plan.ConsentVersionKey || f == plan.Country
	case int64:
		return f == plan.ConsentCollected || f == plan.ConsentExpires || f == plan.Age
	case bool:
		return f == plan.ConsentGuardian || f == plan.Restricted || f == plan.Deactivated || f == plan.DirectMarketingObjection
	}
	return false
}
