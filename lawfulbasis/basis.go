// Package lawfulbasis names the six lawful bases of GDPR Art. 6(1) as a typed
// enum, with the article, the condition each one rests on and its W3C DPV IRI,
// and describes legitimate-interest assessments (LIA).
//
// It is the bottom of the module's import graph (with internal/suggest): the root package privacy
// uses Basis in requests, decisions and the catalog, and the policies engine
// hands the catalog's assessments to Rego.
//
// Besides the six Art. 6(1) bases the package names one ground that is not an
// Art. 6 basis: ControllerInstruction, the documented instruction of a
// controller under which a processor acts (Art. 28(3)(a), 29). A processor
// needs no basis of its own; the controller's basis covers the processing.
package lawfulbasis

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/privacykit/privacy/internal/suggest"
)

// Basis is a lawful basis for processing personal data. Its string form is
// the snake_case name used in requests, decisions and catalog files.
type Basis string

// The six lawful bases of GDPR Art. 6(1), in the order of the article.
const (
	Consent             Basis = "consent"              // Art. 6(1)(a)
	Contract            Basis = "contract"             // Art. 6(1)(b)
	LegalObligation     Basis = "legal_obligation"     // Art. 6(1)(c)
	VitalInterests      Basis = "vital_interests"      // Art. 6(1)(d)
	PublicTask          Basis = "public_task"          // Art. 6(1)(e)
	LegitimateInterests Basis = "legitimate_interests" // Art. 6(1)(f)
)

// ControllerInstruction is the ground on which a processor processes personal
// data for a controller: the controller's documented instructions
// (Art. 28(3)(a), 29). It is not an Art. 6(1) basis; IsArticle6 reports false.
const ControllerInstruction Basis = "controller_instruction"

type info struct {
	article   string
	condition string
	dpv       string
	gdprIRI   string
}

var table = map[Basis]info{
	Consent: {"GDPR Art. 6(1)(a)",
		"the data subject has given consent to the processing for one or more specific purposes",
		"https://w3id.org/dpv#Consent", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-a"},
	Contract: {"GDPR Art. 6(1)(b)",
		"processing is necessary for the performance of a contract to which the data subject is party or to take steps at their request before entering into a contract",
		"https://w3id.org/dpv#Contract", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-b"},
	LegalObligation: {"GDPR Art. 6(1)(c)",
		"processing is necessary for compliance with a legal obligation to which the controller is subject",
		"https://w3id.org/dpv#LegalObligation", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-c"},
	VitalInterests: {"GDPR Art. 6(1)(d)",
		"processing is necessary to protect the vital interests of the data subject or of another natural person",
		"https://w3id.org/dpv#VitalInterest", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-d"},
	PublicTask: {"GDPR Art. 6(1)(e)",
		"processing is necessary for a task carried out in the public interest or in the exercise of official authority vested in the controller",
		"https://w3id.org/dpv#PublicInterest", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-e"},
	LegitimateInterests: {"GDPR Art. 6(1)(f)",
		"processing is necessary for the legitimate interests pursued by the controller or a third party, except where overridden by the interests or fundamental rights of the data subject, in particular where the data subject is a child",
		"https://w3id.org/dpv#LegitimateInterest", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-f"},
	ControllerInstruction: {"GDPR Art. 28(3)(a), 29",
		"the processor acts only on documented instructions from the controller, whose own lawful basis covers the processing",
		"", ""},
}

// All returns the six Art. 6(1) bases in the order of the article.
func All() []Basis {
	return []Basis{Consent, Contract, LegalObligation, VitalInterests, PublicTask, LegitimateInterests}
}

// Parse returns the Basis named by s, or an error naming the value when s is
// not one of the six Art. 6(1) bases or ControllerInstruction.
func Parse(s string) (Basis, error) {
	b := Basis(s)
	if !b.Valid() {
		known := []string{string(ControllerInstruction)}
		for _, b := range All() {
			known = append(known, string(b))
		}
		return "", fmt.Errorf("unknown lawful basis %q%s (want one of %v or %q)", s, suggest.DidYouMean(s, known), All(), ControllerInstruction)
	}
	return b, nil
}

// Valid reports whether b is one of the six Art. 6(1) bases or
// ControllerInstruction.
func (b Basis) Valid() bool {
	_, ok := table[b]
	return ok
}

// IsArticle6 reports whether b is one of the six bases of Art. 6(1).
func (b Basis) IsArticle6() bool { return b.Valid() && b != ControllerInstruction }

// Article returns the GDPR article that establishes b, such as
// "GDPR Art. 6(1)(a)", or "" for an unknown basis.
func (b Basis) Article() string { return table[b].article }

// Condition returns, in the words of the article, the condition under which
// b makes processing lawful.
func (b Basis) Condition() string { return table[b].condition }

// DPV returns the W3C Data Privacy Vocabulary IRI of b, or "" where DPV has
// none (ControllerInstruction).
func (b Basis) DPV() string { return table[b].dpv }

// GDPRIRI returns the GDPR-specific DPV IRI of b (dpv/legal/eu/gdpr#A6-1-x).
func (b Basis) GDPRIRI() string { return table[b].gdprIRI }

// Withdrawable reports whether the data subject can end processing on b by
// withdrawing (Art. 7(3)); only consent can be withdrawn.
func (b Basis) Withdrawable() bool { return b == Consent }

// Objectionable reports whether the right to object of Art. 21(1) applies to
// processing on b: only processing on public task or legitimate interests.
// Direct marketing can be objected to whatever its basis (Art. 21(2)).
func (b Basis) Objectionable() bool { return b == PublicTask || b == LegitimateInterests }

// UnmarshalText accepts only a known basis, so that a typo in a catalog or a
// request is an error instead of a basis that never matches.
func (b *Basis) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*b = ""
		return nil
	}
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalJSON writes b as a JSON string.
func (b Basis) MarshalJSON() ([]byte, error) { return json.Marshal(string(b)) }

// Contains reports whether list holds b.
func Contains(list []Basis, b Basis) bool { return slices.Contains(list, b) }
