package plan_test

import (
	"testing"

	"github.com/privacykit/privacy/plan"
)

// Conditions are evaluated in Kleene's three-valued logic: Unknown
// spreads unless a False (and) or a True (or) settles the answer.
func TestEvalKleene(t *testing.T) {
	val := map[plan.Truth]plan.Cond{plan.True: plan.Always, plan.False: plan.Never, plan.Unknown: plan.Maybe}
	raw := func(op plan.Op, a, b plan.Truth) plan.Cond {
		return plan.Cond{Op: op, Args: []plan.Cond{val[a], val[b]}}
	}
	truths := []plan.Truth{plan.False, plan.True, plan.Unknown}
	for _, a := range truths {
		for _, b := range truths {
			and, or := plan.True, plan.False
			switch {
			case a == plan.False || b == plan.False:
				and = plan.False
			case a == plan.Unknown || b == plan.Unknown:
				and = plan.Unknown
			}
			switch {
			case a == plan.True || b == plan.True:
				or = plan.True
			case a == plan.Unknown || b == plan.Unknown:
				or = plan.Unknown
			}
			f := &plan.Facts{}
			for _, c := range []struct {
				name string
				cond plan.Cond
				want plan.Truth
			}{
				{"and", raw(plan.OpAnd, a, b), and},
				{"And", plan.And(val[a], val[b]), and},
				{"or", raw(plan.OpOr, a, b), or},
				{"Or", plan.Or(val[a], val[b]), or},
			} {
				if got := plan.Eval(&c.cond, f); got != c.want {
					t.Errorf("%v %s %v = %v, want %v", a, c.name, b, got, c.want)
				}
			}
		}
		if got, want := plan.Eval(&plan.Cond{Op: plan.OpNot, Args: []plan.Cond{val[a]}}, &plan.Facts{}), map[plan.Truth]plan.Truth{plan.True: plan.False, plan.False: plan.True, plan.Unknown: plan.Unknown}[a]; got != want {
			t.Errorf("not %v = %v, want %v", a, got, want)
		}
	}
}

// A comparison across types is Unknown, never a guess.
func TestEvalMixedTypes(t *testing.T) {
	c := plan.Cond{Op: plan.OpLt, Fact: plan.Age, Value: "18"}
	if got := plan.Eval(&c, &plan.Facts{Age: 12}); got != plan.Unknown {
		t.Errorf("age < \"18\": %v, want unknown", got)
	}
	c = plan.Cond{Op: plan.OpLt, Fact: plan.Age, Value: int64(18)}
	if got := plan.Eval(&c, &plan.Facts{Age: 12}); got != plan.True {
		t.Errorf("12 < 18: %v", got)
	}
}
