package dsar

import (
	"context"
	"slices"
	"time"

	"github.com/privacykit/privacy"
)

// Source is a service that holds personal data and answers requests for
// it. A service implements Source and registers it with WithSource; the
// Desk calls it concurrently with other sources, only after identity
// verification, and at most once per request for each step that succeeded.
//
// Methods must be idempotent: after a crash the Desk may call a source
// again for a step it finished but could not record.
type Source interface {
	// Export returns every record the source holds about the subject, each
	// with its catalog category. A subject it does not know yields none.
	Export(ctx context.Context, s privacy.Subject) ([]Record, error)
	// Erase deletes or anonymises the subject's records in the given leaf
	// categories, and leaves every other category alone (those are held by
	// law). It returns what it did, one entry per category it touched.
	Erase(ctx context.Context, s privacy.Subject, categories []string) ([]Erased, error)
	// Rectify applies the corrections to the subject's records and returns
	// how many records it changed. Corrections in categories it does not
	// hold are not an error.
	Rectify(ctx context.Context, s privacy.Subject, corrections []Correction) (int, error)
}

// Record is one item of personal data a Source holds.
type Record struct {
	// Category is the catalog's leaf category key.
	Category string `json:"category"`
	// ID identifies the record in its source, if it has one.
	ID string `json:"id,omitempty"`
	// Value is the data; anything encoding/json can marshal.
	Value any `json:"value"`
	// CollectedAt is when the source got the data, if known.
	CollectedAt time.Time `json:"collected_at,omitzero"`
}

// ErasureMethod is how a source erased data.
type ErasureMethod string

// The ways to erase.
const (
	Deleted ErasureMethod = "deleted"
	// Anonymised: kept in a form that no longer relates to the subject
	// (Recital 26), such as aggregate meeting statistics.
	Anonymised ErasureMethod = "anonymised"
)

// Erased reports what a source erased in one category.
type Erased struct {
	Category string        `json:"category"`
	Method   ErasureMethod `json:"method"`
	Count    int           `json:"count"`
}

// Evidence is what an identity check rests on.
type Evidence struct {
	// Method is how identity was checked: "email_link", "login_session",
	// "id_document" …
	Method string `json:"method"`
	// By is the operator or system that checked.
	By string `json:"by"`
	// Token is whatever the subject returned (a code, a session id); the
	// Desk does not store it.
	Token string `json:"-"`
	Note  string `json:"note,omitempty"`
}

// Verifier checks that the person behind a request is its subject
// (Art. 12(6)). It is a pluggable step: a service checks a login session,
// a link sent to the address on file, or an operator's attestation.
type Verifier interface {
	// Verify reports whether the evidence establishes the subject's
	// identity for the request. An error means the check could not be made
	// and changes nothing; false is recorded as a failed verification.
	Verify(ctx context.Context, r Request, ev Evidence) (bool, error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, r Request, ev Evidence) (bool, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, r Request, ev Evidence) (bool, error) {
	return f(ctx, r, ev)
}

// Attestation is the default Verifier: an operator attests that they
// verified the subject. It passes when the evidence names a method and who
// checked, and proves nothing else; services should plug in a real check.
type Attestation struct{}

// Verify reports whether ev names a method and who checked.
func (Attestation) Verify(_ context.Context, _ Request, ev Evidence) (bool, error) {
	return ev.Method != "" && ev.By != "", nil
}

// Notifier forwards the request of a subject whose data the operator
// processes for a controller (Art. 28(3)(e): the processor assists the
// controller in answering). The controller answers with Desk.Instruct.
type Notifier interface {
	// Forward tells the controller named in r.Subject.Controller about the
	// request. It must be idempotent.
	Forward(ctx context.Context, r Request) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, r Request) error

// Forward calls f.
func (f NotifierFunc) Forward(ctx context.Context, r Request) error { return f(ctx, r) }

// ConsentEraser pseudonymises a subject's consent evidence. An erasure
// never deletes the consent ledger: it is the controller's proof of consent
// (Art. 7(1)) and of its withdrawal, kept under Art. 17(3)(e). A ledger
// that can replace the subject id by a pseudonym implements this and is
// registered with WithConsent; the Desk calls it once an erasure's sources
// are done. It must be idempotent.
type ConsentEraser interface {
	// Pseudonymise replaces the subject's id in their consent records by
	// a pseudonym and returns how many records it changed.
	Pseudonymise(ctx context.Context, subjectID string) (int64, error)
}

// Ground is an exemption from erasure of Art. 17(3).
type Ground string

// The Art. 17(3) exemptions.
const (
	GroundExpression      Ground = "17(3)(a)" // freedom of expression and information
	GroundLegalObligation Ground = "17(3)(b)" // legal obligation or public task
	GroundPublicHealth    Ground = "17(3)(c)" // public health
	GroundArchiving       Ground = "17(3)(d)" // archiving, research, statistics
	GroundLegalClaims     Ground = "17(3)(e)" // establishment, exercise or defence of legal claims
)

// Article returns the ground's full citation, such as "GDPR Art. 17(3)(b)".
func (g Ground) Article() string { return "GDPR Art. " + string(g) }

// Exemption is a category an erasure keeps, and why.
type Exemption struct {
	Category string `json:"category"`
	Ground   Ground `json:"ground"`
	// Reason names the duty or the hold, such as "fiscal records, 7 years
	// (AWR art. 52(4))".
	Reason string `json:"reason"`
	// Until is when the hold ends, if known.
	Until time.Time `json:"until,omitzero"`
	// Subjects is, in an offboarding, how many of the controller's
	// subjects a hold placed on them keeps the category of (a legal hold
	// on one guest); zero: the category is kept for all of them. The
	// request names no subject: Reason names the hold.
	Subjects int `json:"subjects,omitempty"`
}

// Holds says which of a subject's categories the law keeps from erasure.
// The retention package's rules and legal holds implement it; CatalogHolds
// is a catalog-driven default. Its errors and exemption reasons go to the
// request's trail: they name a hold, never a subject.
type Holds interface {
	// Held returns an exemption for each of the leaf categories that must
	// not be erased at the time at, at most one per category, in the order
	// of categories.
	Held(ctx context.Context, s privacy.Subject, categories []string, at time.Time) ([]Exemption, error)
}

// LegalHold keeps a subject's categories for a legal claim (Art. 17(3)(e)).
type LegalHold struct {
	// ID names the hold in the exemptions it makes ("legal hold ID:
	// Reason"); optional.
	ID        string
	SubjectID string
	// Categories are catalog keys; a parent holds its children.
	Categories []string
	Reason     string
}

// CatalogHolds is the default Holds. It keeps under the statutory duty to
// keep fiscal records (Art. 17(3)(b); in the Netherlands 7 years, AWR art.
// 52(4)) every category whose retention rule in the catalog carries a
// statutory hold, or, for a category without a rule, that the catalog
// marks as financial; and the categories of its legal holds under Art.
// 17(3)(e). So it keeps what the retention sweeper keeps (card numbers,
// financial but under no duty, are erased). It does not know when a
// subject's records were made, so it reports no end date; the retention
// package's rules do.
type CatalogHolds struct {
	Catalog *privacy.Catalog
	// FiscalReason names the fiscal duty; empty means the Dutch one.
	FiscalReason string
	LegalHolds   []LegalHold
}

// statutory reports whether a statutory duty keeps the leaf category.
func (h *CatalogHolds) statutory(key string) bool {
	if r := h.Catalog.RetentionRule(key); r != nil {
		return r.StatutoryHold != nil
	}
	c := h.Catalog.Category(key)
	return c != nil && c.Financial
}

// Held implements Holds.
func (h *CatalogHolds) Held(_ context.Context, s privacy.Subject, categories []string, _ time.Time) ([]Exemption, error) {
	fiscal := h.FiscalReason
	if fiscal == "" {
		fiscal = "fiscal records are kept 7 years (AWR art. 52(4), BW 2:10(3))"
	}
	var out []Exemption
	for _, key := range categories {
		if h.statutory(key) {
			out = append(out, Exemption{Category: key, Ground: GroundLegalObligation, Reason: fiscal})
			continue
		}
		for _, lh := range h.LegalHolds {
			if lh.SubjectID == s.ID && slices.ContainsFunc(lh.Categories, func(k string) bool {
				return slices.Contains(h.Catalog.Leaves(k), key)
			}) {
				reason := lh.Reason
				if lh.ID != "" {
					reason = "legal hold " + lh.ID + ": " + reason
				}
				out = append(out, Exemption{Category: key, Ground: GroundLegalClaims, Reason: reason})
				break
			}
		}
	}
	return out, nil
}
