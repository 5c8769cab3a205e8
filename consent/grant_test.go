package consent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
)

// TestGrantRefusesWhatTheCatalogDoesNot: the Go API refuses a grant the
// command line refuses, naming the field, and appends nothing.
func TestGrantRefusesWhatTheCatalogDoesNot(t *testing.T) {
	t.Parallel()
	cat := privacy.DefaultCatalog()
	ok := consent.Record{SubjectID: "u-1", Purpose: "research.surveys", PolicyVersion: "1.2",
		Method: consent.MethodCheckbox, Act: consent.ActUntickedBox, CollectedBy: "signup form"}
	tests := []struct {
		name  string
		edit  func(r *consent.Record)
		field string
		says  string
	}{
		{"undeclared purpose", func(r *consent.Record) { r.Purpose = "research.survey" }, "purpose", "declares no purpose"},
		{"purpose on contract", func(r *consent.Record) { r.Purpose = "billing" }, "purpose", "not processed on consent"},
		{"purpose on legitimate interests", func(r *consent.Record) { r.Purpose = "marketing.announcements" }, "purpose", "not processed on consent"},
		{"version newer than the catalog", func(r *consent.Record) { r.PolicyVersion = "1.3" }, "policy_version", "newer than the catalog"},
		{"version that does not parse", func(r *consent.Record) { r.PolicyVersion = "1.x" }, "policy_version", "dotted numbers"},
		{"undeclared category", func(r *consent.Record) { r.Categories = []string{"instance.contact.email", "instance.dna"} }, "personal_data[1]", "no category"},
		{"pre-ticked box", func(r *consent.Record) { r.Act = consent.ActPreTickedBox }, "act", "not consent"},
		{"continued use", func(r *consent.Record) { r.Act = consent.ActContinuedUse }, "act", "not consent"},
		{"api without the collecting system", func(r *consent.Record) { r.Act, r.CollectedBy = consent.ActAPI, "" }, "collected_by", "name the system"},
		{"a withdrawal passed as a grant", func(r *consent.Record) { r.Event = consent.Withdrawn }, "event", "given"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := memory.NewConsentStore()
			r := ok
			tc.edit(&r)
			_, err := consent.Grant(t.Context(), s, cat, r)
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Grant: %v, want a validation error on %s saying %q", err, tc.field, tc.says)
			}
			if h, _ := s.Head(t.Context()); h.Seq != 0 {
				t.Errorf("a refused grant was appended (head %d)", h.Seq)
			}
		})
	}
	if _, err := consent.Grant(t.Context(), memory.NewConsentStore(), nil, ok); err == nil {
		t.Error("Grant without a catalog: no error")
	}
	// CheckGrant stands alone: a version that does not parse, the record's
	// or the (unvalidated) catalog's, is an error naming it, not an old
	// version that passes.
	bad := ok
	bad.PolicyVersion = "v1.3"
	var ve *privacy.ValidationError
	if err := consent.CheckGrant(cat, bad); !errors.As(err, &ve) || ve.Field != "policy_version" {
		t.Errorf("CheckGrant of version v1.3: %v, want a validation error on policy_version", err)
	}
	badCat := privacy.DefaultCatalog()
	badCat.PolicyVersion = "1.2-beta"
	if err := consent.CheckGrant(badCat, ok); !errors.As(err, &ve) || ve.Field != "catalog.policy_version" {
		t.Errorf("CheckGrant under catalog version 1.2-beta: %v, want a validation error on catalog.policy_version", err)
	}
	g, err := consent.Grant(t.Context(), memory.NewConsentStore(), cat, ok)
	if err != nil || g.Act != consent.ActUntickedBox || g.Event != consent.Given {
		t.Errorf("Grant of a good record: %+v, %v", g, err)
	}
}

// TestWithdrawNamesTheCollectingSystem: a withdrawal keeps who received it
// and how.
func TestWithdrawNamesTheCollectingSystem(t *testing.T) {
	t.Parallel()
	s := memory.NewConsentStore()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if _, err := consent.Grant(t.Context(), s, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "referral",
		PolicyVersion: "1.2", CollectedAt: at}); err != nil {
		t.Fatal(err)
	}
	w, err := consent.Withdraw(t.Context(), s, consent.Record{SubjectID: "u-1", Purpose: "referral",
		Method: "email", Act: consent.ActSignedForm, CollectedBy: "support desk"})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	if w.Event != consent.Withdrawn || w.CollectedBy != "support desk" || w.Method != "email" || w.Act != consent.ActSignedForm {
		t.Errorf("Withdraw stored %+v", w)
	}
	if _, err := consent.Withdraw(t.Context(), s, consent.Record{SubjectID: "u-1", Purpose: "referral", Event: consent.Given}); err == nil {
		t.Error("Withdraw of a record with event given: no error")
	}
}
