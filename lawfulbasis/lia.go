package lawfulbasis

import (
	"errors"
	"strings"
)

// Assessment is a legitimate-interest assessment (LIA): the documented
// three-part test (purpose, necessity, balancing) a controller must be able
// to show for processing on Art. 6(1)(f) (accountability, Art. 5(2)).
//
// The engine reads two of its answers: CoversChildren, whether the balancing
// test considered subjects under 18 and still found the interest prevails;
// and CompellingGrounds, whether compelling legitimate grounds may be
// assessed at all for a subject who objects under Art. 21(1). Whether they
// override a subject's objection is a finding for that subject
// (subject.Assess), never a setting of the purpose.
type Assessment struct {
	// Interest is the legitimate interest pursued (purpose test).
	Interest string `json:"interest"`
	// Necessity explains why the processing is necessary for that interest.
	Necessity string `json:"necessity"`
	// Balancing records why the interest is not overridden by the subject's
	// interests, rights and freedoms.
	Balancing string `json:"balancing"`
	// CoversChildren reports whether the balancing test covered children;
	// without it, processing of a subject under 18 on this basis is denied.
	CoversChildren bool `json:"covers_children"`
	// CompellingGrounds reports whether an assessment of compelling
	// legitimate grounds may be recorded for a subject who objects to the
	// purpose (subject.Assess, Art. 21(1)). It lifts no objection by
	// itself: after an objection the processing stops until such an
	// assessment for that subject is on record. False rules assessments
	// out: an objection always stops the purpose. Never honoured for
	// direct marketing (Art. 21(3)).
	CompellingGrounds bool `json:"compelling_grounds"`
	// Reviewed is the date (YYYY-MM-DD) the assessment was last reviewed.
	Reviewed string `json:"reviewed,omitempty"`
}

// Validate reports the first missing part of the three-part test, naming
// the field.
func (a *Assessment) Validate() error {
	var missing []string
	if strings.TrimSpace(a.Interest) == "" {
		missing = append(missing, "interest")
	}
	if strings.TrimSpace(a.Necessity) == "" {
		missing = append(missing, "necessity")
	}
	if strings.TrimSpace(a.Balancing) == "" {
		missing = append(missing, "balancing")
	}
	if len(missing) > 0 {
		return errors.New("legitimate-interest assessment is missing " + strings.Join(missing, ", "))
	}
	return nil
}
