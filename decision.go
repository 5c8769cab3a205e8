package privacy

import (
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy/lawfulbasis"
)

// Decision is the explained answer to a Request. A decision is allowed only
// when it carries no reason; a denial lists every reason that applies,
// sorted by code. Obligations are what the caller must do when it goes ahead.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Basis is the lawful basis the processing rests on when allowed, and
	// empty when denied.
	Basis         lawfulbasis.Basis `json:"basis"`
	Reasons       []Reason          `json:"reasons"`
	Obligations   []Obligation      `json:"obligations"`
	PolicyVersion string            `json:"policy_version"`
	// ValidUntil, when not zero, is the first moment after the decision's
	// time at which a time-dependent fact it read changes the answer (a
	// consent's expiry, the end of a retention period or of an adequacy
	// decision): the decision stands for times before it, as long as the
	// subject's state does not change. Zero means no time-dependent fact
	// limits it. It is an optional field of the decision JSON
	// ("valid_until", RFC 3339), absent when zero.
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// Reason explains why a request is denied.
type Reason struct {
	// Code is stable; the reason codes are listed in the README and as
	// constants in this package.
	Code string `json:"code"`
	// Article is the legal provision the reason rests on.
	Article string `json:"article"`
	// Clause is the heading of the policy section that makes the promise.
	Clause  string `json:"clause"`
	Message string `json:"message"`
}

// Obligation is something the caller must do when it performs an allowed
// processing.
type Obligation struct {
	Code    string `json:"code"`
	Article string `json:"article"`
	Message string `json:"message"`
}

// Has reports whether the decision carries the reason code.
func (d Decision) Has(code string) bool {
	return slices.ContainsFunc(d.Reasons, func(r Reason) bool { return r.Code == code })
}

// Requires reports whether the decision carries the obligation code.
func (d Decision) Requires(code string) bool {
	return slices.ContainsFunc(d.Obligations, func(o Obligation) bool { return o.Code == code })
}

// Codes returns the reason codes of the decision in order.
func (d Decision) Codes() []string {
	out := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		out[i] = r.Code
	}
	return out
}

// ObligationCodes returns the obligation codes of the decision in order.
func (d Decision) ObligationCodes() []string {
	out := make([]string, len(d.Obligations))
	for i, o := range d.Obligations {
		out[i] = o.Code
	}
	return out
}

// String returns the decision as indented JSON.
func (d Decision) String() string { return marshalIndent(d) }

// Normalize puts a decision in its canonical form: one reason per code
// (the messages of several findings under one code joined with "; "),
// reasons and obligations sorted by code, nil slices replaced by empty ones
// so that they marshal as [], and Allowed set to whether no reason remains
// and a basis was found. A denial carries no basis and no obligations. A
// decision with reasons is never allowed, whatever Allowed said before.
func (d *Decision) Normalize() {
	d.Reasons = mergeByCode(d.Reasons, func(r Reason) string { return r.Code }, func(a *Reason, b Reason) {
		a.Message += "; " + b.Message
	})
	d.Obligations = mergeByCode(d.Obligations, func(o Obligation) string { return o.Code }, func(a *Obligation, b Obligation) {
		a.Message += "; " + b.Message
	})
	d.Allowed = len(d.Reasons) == 0 && d.Basis != ""
	if !d.Allowed {
		d.Basis = ""
		d.Obligations = d.Obligations[:0]
	}
}

// mergeByCode sorts items by code, then message, and merges the items of
// one code into the first, skipping repeated messages.
func mergeByCode[T any](items []T, code func(T) string, merge func(*T, T)) []T {
	out := make([]T, 0, len(items))
	slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(code(a), code(b)) })
	for _, it := range items {
		if n := len(out); n > 0 && code(out[n-1]) == code(it) {
			merge(&out[n-1], it)
			continue
		}
		out = append(out, it)
	}
	return out
}

// Deny returns a denial with one reason, as the engine returns it when a
// request cannot be evaluated.
func Deny(policyVersion string, reasons ...Reason) Decision {
	d := Decision{Reasons: reasons, PolicyVersion: policyVersion}
	d.Normalize()
	return d
}
