// Package plan holds query plans: what the policy leaves of a decision
// once everything but the subject is known. policies.Engine.Plan partially
// evaluates the policy (OPA's partial evaluation) with the subject's
// stored facts unknown and gives a Plan: a condition over those facts
// (consent, objections, restriction, deactivation, lifecycle, age,
// country) under which the processing is allowed.
//
// A condition is three-valued. True: the policy allows the processing for
// a subject with these facts, on the plan's basis and with its
// obligations. False: it denies it. Unknown: the residual holds something
// the condition cannot express (date arithmetic on a retention period, a
// controller's retention choice), and the subject must be decided one by
// one with policies.Engine.Decide. A plan never approximates: where it
// cannot say, it says Unknown.
//
// Stores translate a condition to their own query language (the SQL
// stores to a parameterised WHERE clause over their tables, the memory
// stores to Eval) through the optional Matcher interface.
package plan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/subject"
)

// Truth is a three-valued truth: False, True or Unknown.
type Truth int8

// The three truths. Unknown means the condition cannot say: decide the
// subject with Decide.
const (
	False Truth = iota
	True
	Unknown
)

func (t Truth) String() string {
	switch t {
	case False:
		return "false"
	case True:
		return "true"
	}
	return "unknown"
}

// Fact names one fact about a subject that a condition compares. The names
// are those of the policy's input.
type Fact string

// The facts a condition may name. Consent facts are the subject's consent
// for the plan's purpose at the plan's time, as the ledger gives it (the
// zero state when there is none); times are unix nanoseconds, 0 for none.
const (
	ConsentEvent      Fact = "consent.event"              // string: "", given, refused, withdrawn, expired
	ConsentAct        Fact = "consent.act"                // string
	ConsentGuardian   Fact = "consent.guardian"           // bool
	ConsentCollected  Fact = "consent.collected_ns"       // int
	ConsentExpires    Fact = "consent.expires_ns"         // int
	ConsentVersionKey Fact = "consent.policy_version_key" // string (privacy.PolicyVersion.Key)
	Restricted        Fact = "subject_state.restricted"   // bool
	Deactivated       Fact = "subject_state.deactivated"  // bool
	// DirectMarketingObjection is an objection to all direct marketing.
	DirectMarketingObjection Fact = "subject_state.direct_marketing_objection" // bool
	Age                      Fact = "request.subject.age"                      // int, as the caller gives it
	Country                  Fact = "request.subject.country"                  // string, as the caller gives it
)

// Op is the operator of a condition.
type Op string

// The operators.
const (
	OpTrue    Op = "true"
	OpFalse   Op = "false"
	OpUnknown Op = "unknown"
	OpAnd     Op = "and"
	OpOr      Op = "or"
	OpNot     Op = "not"
	// Comparisons of Fact with Value (a string, an int64 or a bool).
	OpEq Op = "eq"
	OpNe Op = "ne"
	OpLt Op = "lt"
	OpLe Op = "le"
	OpGt Op = "gt"
	OpGe Op = "ge"
	// OpIn: Fact is one of Value (a []string).
	OpIn Op = "in"
	// OpObjects: the subject objected to purpose Value (a string), other
	// than by an objection to all direct marketing.
	OpObjects Op = "objects"
	// OpHasTrigger: the subject's lifecycle records retention trigger
	// Value (a string).
	OpHasTrigger Op = "has_trigger"
)

// Cond is a condition over a subject's facts: a small tree of and, or, not
// and comparisons of named facts with constants.
type Cond struct {
	Op   Op     `json:"op"`
	Args []Cond `json:"args,omitempty"`
	Fact Fact   `json:"fact,omitempty"`
	// Value is a string, an int64, a bool or a []string.
	Value any `json:"value,omitempty"`
}

// Constant conditions.
var (
	Always = Cond{Op: OpTrue}
	Never  = Cond{Op: OpFalse}
	Maybe  = Cond{Op: OpUnknown}
)

// And is the conjunction of cs, simplified: a False argument makes it
// False, True arguments drop out.
func And(cs ...Cond) Cond { return join(OpAnd, Never, Always, cs) }

// Or is the disjunction of cs, simplified: a True argument makes it True,
// False arguments drop out.
func Or(cs ...Cond) Cond { return join(OpOr, Always, Never, cs) }

// join combines cs with op, whose absorbing element decides it and whose
// identity drops out; nested uses of op are flattened.
func join(op Op, absorbing, identity Cond, cs []Cond) Cond {
	var args []Cond
	for _, c := range cs {
		switch c.Op {
		case absorbing.Op:
			return absorbing
		case identity.Op:
			continue
		case op:
			args = append(args, c.Args...)
		default:
			args = append(args, c)
		}
	}
	switch len(args) {
	case 0:
		return identity
	case 1:
		return args[0]
	}
	return Cond{Op: op, Args: args}
}

// Not is the negation of c, simplified.
func Not(c Cond) Cond {
	switch c.Op {
	case OpTrue:
		return Never
	case OpFalse:
		return Always
	case OpUnknown:
		return Maybe
	case OpNot:
		return c.Args[0]
	}
	return Cond{Op: OpNot, Args: []Cond{c}}
}

// String writes c in a compact, readable form (for logs and tests).
func (c Cond) String() string {
	switch c.Op {
	case OpTrue, OpFalse, OpUnknown:
		return string(c.Op)
	case OpAnd, OpOr:
		parts := make([]string, len(c.Args))
		for i, a := range c.Args {
			parts[i] = a.String()
		}
		return "(" + strings.Join(parts, " "+string(c.Op)+" ") + ")"
	case OpNot:
		return "not " + c.Args[0].String()
	case OpObjects, OpHasTrigger:
		return fmt.Sprintf("%s(%q)", c.Op, c.Value)
	}
	return fmt.Sprintf("%s %s %#v", c.Fact, c.Op, c.Value)
}

// Plan is the policy's answer for a processing with the subject unknown.
type Plan struct {
	// Cond is when the processing is allowed: True for a subject allowed
	// with Basis and Obligations, False for one denied, Unknown for one to
	// decide with Decide.
	Cond Cond `json:"cond"`
	// Basis is the lawful basis of every subject Cond makes True.
	Basis lawfulbasis.Basis `json:"basis,omitempty"`
	// Obligations are those of every subject Cond makes True.
	Obligations []privacy.Obligation `json:"obligations,omitempty"`
	// PolicyVersion is the catalog's version the plan was made under.
	PolicyVersion string `json:"policy_version"`
	// Purpose is the purpose whose consent the consent facts are; At the
	// moment the plan judges (consent as recorded at At, expiry against
	// At).
	Purpose string    `json:"purpose"`
	At      time.Time `json:"at"`
	// ReadsConsent reports whether the consent facts are read from the
	// ledger; when false the policy does not consult consent for this
	// processing and every consent fact is the zero state's.
	ReadsConsent bool `json:"reads_consent"`
}

// Subject is a subject to match a plan against: the id whose stored facts
// to read, and the attributes the caller gives.
type Subject struct {
	ID      string
	Age     int
	Country string
}

// Matcher is implemented by a consent store that can evaluate a plan's
// condition for a batch of subjects itself, reading its ledger and the
// subject state of states (a database answering with one query, say).
//
// MatchPlan calls fn with the index in batch and the truth of p.Cond for
// every subject whose truth is True or Unknown (never for False), in any
// order. It returns ok false, having called nothing, when states is not a
// store it can read together with its ledger: the caller then decides
// subject by subject.
type Matcher interface {
	MatchPlan(ctx context.Context, states subject.StateReader, p *Plan, batch []Subject, fn func(i int, t Truth)) (ok bool, err error)
}

// Facts are a subject's facts for Eval.
type Facts struct {
	Age     int
	Country string
	// Consent is the consent for the plan's purpose at its time (zero when
	// the plan does not read consent).
	Consent consent.State
	State   *subject.State
}

// Eval evaluates c on f in three-valued (Kleene) logic.
func Eval(c *Cond, f *Facts) Truth {
	switch c.Op {
	case OpTrue:
		return True
	case OpFalse:
		return False
	case OpUnknown:
		return Unknown
	case OpAnd:
		return evalAll(c.Args, f, False, True)
	case OpOr:
		return evalAll(c.Args, f, True, False)
	case OpNot:
		switch Eval(&c.Args[0], f) {
		case True:
			return False
		case False:
			return True
		}
		return Unknown
	case OpObjects:
		p, _ := c.Value.(string)
		return truth(f.State != nil && slices.ContainsFunc(f.State.Objections, func(o subject.Objection) bool {
			return !o.DirectMarketing && o.Purpose == p
		}))
	case OpHasTrigger:
		tr, _ := c.Value.(string)
		if f.State == nil {
			return False
		}
		_, ok := f.State.Lifecycle[privacy.Trigger(tr)]
		return truth(ok)
	case OpIn:
		v, ok := f.value(c.Fact).(string)
		list, _ := c.Value.([]string)
		if !ok {
			return Unknown
		}
		return truth(slices.Contains(list, v))
	}
	return compare(c.Op, f.value(c.Fact), c.Value)
}

// evalAll evaluates args in Kleene logic: absorbing (False for and, True
// for or) decides at once; otherwise Unknown if any is, else identity.
func evalAll(args []Cond, f *Facts, absorbing, identity Truth) Truth {
	out := identity
	for i := range args {
		switch Eval(&args[i], f) {
		case absorbing:
			return absorbing
		case Unknown:
			out = Unknown
		}
	}
	return out
}

func truth(b bool) Truth {
	if b {
		return True
	}
	return False
}

// value is the fact's value: a string, an int64 or a bool; nil for a fact
// it does not know.
func (f *Facts) value(fact Fact) any {
	cs := &f.Consent
	switch fact {
	case ConsentEvent:
		return string(cs.Event)
	case ConsentAct:
		return string(cs.Act)
	case ConsentGuardian:
		return cs.Guardian
	case ConsentCollected:
		return unixNano(cs.CollectedAt)
	case ConsentExpires:
		return unixNano(cs.ExpiresAt)
	case ConsentVersionKey:
		pv, _ := privacy.ParsePolicyVersion(cs.PolicyVersion)
		return pv.Key()
	case Restricted:
		return f.State != nil && f.State.Restricted
	case Deactivated:
		return f.State != nil && f.State.Deactivated
	case DirectMarketingObjection:
		return f.State != nil && slices.ContainsFunc(f.State.Objections, func(o subject.Objection) bool { return o.DirectMarketing })
	case Age:
		return int64(f.Age)
	case Country:
		return f.Country
	}
	return nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// compare compares a fact's value with a constant of the same type;
// Unknown when the types differ or the fact is unknown.
func compare(op Op, a, b any) Truth {
	var c int
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return Unknown
		}
		c = strings.Compare(x, y)
	case int64:
		y, ok := b.(int64)
		if !ok {
			return Unknown
		}
		c = cmpInt(x, y)
	case bool:
		y, ok := b.(bool)
		if !ok || (op != OpEq && op != OpNe) {
			return Unknown
		}
		if x == y {
			c = 0
		} else {
			c = 1
		}
	default:
		return Unknown
	}
	switch op {
	case OpEq:
		return truth(c == 0)
	case OpNe:
		return truth(c != 0)
	case OpLt:
		return truth(c < 0)
	case OpLe:
		return truth(c <= 0)
	case OpGt:
		return truth(c > 0)
	case OpGe:
		return truth(c >= 0)
	}
	return Unknown
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
