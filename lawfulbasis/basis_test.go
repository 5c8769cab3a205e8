package lawfulbasis_test

import (
	"encoding/json"
	"testing"

	"github.com/privacykit/privacy/lawfulbasis"
)

func TestBases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b             lawfulbasis.Basis
		article, dpv  string
		objectionable bool
	}{
		{lawfulbasis.Consent, "GDPR Art. 6(1)(a)", "https://w3id.org/dpv#Consent", false},
		{lawfulbasis.Contract, "GDPR Art. 6(1)(b)", "https://w3id.org/dpv#Contract", false},
		{lawfulbasis.LegalObligation, "GDPR Art. 6(1)(c)", "https://w3id.org/dpv#LegalObligation", false},
		{lawfulbasis.VitalInterests, "GDPR Art. 6(1)(d)", "https://w3id.org/dpv#VitalInterest", false},
		{lawfulbasis.PublicTask, "GDPR Art. 6(1)(e)", "https://w3id.org/dpv#PublicInterest", true},
		{lawfulbasis.LegitimateInterests, "GDPR Art. 6(1)(f)", "https://w3id.org/dpv#LegitimateInterest", true},
	}
	if len(lawfulbasis.All()) != 6 {
		t.Fatalf("All() has %d bases, want 6", len(lawfulbasis.All()))
	}
	for i, tc := range tests {
		if lawfulbasis.All()[i] != tc.b {
			t.Errorf("All()[%d] = %s, want %s", i, lawfulbasis.All()[i], tc.b)
		}
		if tc.b.Article() != tc.article || tc.b.DPV() != tc.dpv || tc.b.Objectionable() != tc.objectionable || !tc.b.IsArticle6() {
			t.Errorf("%s: article %q dpv %q objectionable %v", tc.b, tc.b.Article(), tc.b.DPV(), tc.b.Objectionable())
		}
		if tc.b.Condition() == "" || tc.b.GDPRIRI() == "" {
			t.Errorf("%s lacks a condition or GDPR IRI", tc.b)
		}
	}
	if lawfulbasis.ControllerInstruction.IsArticle6() || !lawfulbasis.ControllerInstruction.Valid() {
		t.Error("controller_instruction must be valid but not an Art. 6 basis")
	}
	if !lawfulbasis.Consent.Withdrawable() || lawfulbasis.Contract.Withdrawable() {
		t.Error("only consent is withdrawable")
	}
}

func TestParseAndJSON(t *testing.T) {
	t.Parallel()
	if _, err := lawfulbasis.Parse("gut_feeling"); err == nil {
		t.Error("Parse accepted an unknown basis")
	}
	var b lawfulbasis.Basis
	if err := json.Unmarshal([]byte(`"vital_interests"`), &b); err != nil || b != lawfulbasis.VitalInterests {
		t.Errorf("unmarshal = %q, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`"vibes"`), &b); err == nil {
		t.Error("unmarshal accepted an unknown basis")
	}
}

func TestAssessmentValidate(t *testing.T) {
	t.Parallel()
	a := lawfulbasis.Assessment{Interest: "x", Necessity: "y"}
	if err := a.Validate(); err == nil {
		t.Error("an assessment without balancing passed")
	}
	a.Balancing = "z"
	if err := a.Validate(); err != nil {
		t.Errorf("complete assessment: %v", err)
	}
}
