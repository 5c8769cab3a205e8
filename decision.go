package privacy

import (
	"slices"
	"strings"

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

// Normalize sorts reasons and obligations by code (then message), removes
// exact duplicates, replaces nil slices with empty ones so that they marshal
// as [], and sets Allowed to whether no reason remains. A decision with
// reasons is never allowed, whatever Allowed said before.
func (d *Decision) Normalize() {
	if d.Reasons == nil {
		d.Reasons = []Reason{}
	}
	if d.Obligations == nil {
		d.Obligations = []Obligation{}
	}
	slices.SortFunc(d.Reasons, func(a, b Reason) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	d.Reasons = slices.Compact(d.Reasons)
	slices.SortFunc(d.Obligations, func(a, b Obligation) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	d.Obligations = slices.Compact(d.Obligations)
	d.Allowed = len(d.Reasons) == 0 && d.Basis != ""
	if !d.Allowed {
		d.Basis = ""
		d.Obligations = d.Obligations[:0]
	}
}

// Deny returns a denial with one reason, as the engine returns it when a
// request cannot be evaluated.
func Deny(policyVersion string, reasons ...Reason) Decision {
	d := Decision{Reasons: reasons, PolicyVersion: policyVersion}
	d.Normalize()
	return d
}
