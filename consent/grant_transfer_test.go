package consent_test

import (
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
)

// TestGrantTransferConsent: the subject's explicit consent to a transfer
// (Art. 49(1)(a)) is recorded under TransferConsentPurpose for a declared
// purpose, even one not processed on consent; an undeclared purpose or a
// malformed key is refused with a suggestion.
func TestGrantTransferConsent(t *testing.T) {
	cat := privacy.DefaultCatalog()
	store := memory.NewConsentStore()
	rec := func(purpose string) consent.Record {
		return consent.Record{SubjectID: "u-1", Purpose: purpose, PolicyVersion: "1.2",
			Method: consent.MethodCheckbox, Act: consent.ActUntickedBox, CollectedBy: "transfer-dialog"}
	}
	if _, err := consent.Grant(t.Context(), store, cat, rec(privacy.TransferConsentPurpose("support", "US"))); err != nil {
		t.Fatalf("transfer consent for support (a contract purpose) to the US: %v", err)
	}
	for _, bad := range []string{"transfer.suport.us", "transfer.support.usa", "transfer.support", "support.us"} {
		_, err := consent.Grant(t.Context(), store, cat, rec(bad))
		if err == nil {
			t.Errorf("%s: granted, want an error", bad)
		} else if bad == "transfer.suport.us" && !strings.Contains(err.Error(), `did you mean "support"`) {
			t.Errorf("%s: %v, want a suggestion", bad, err)
		}
	}
	for key, want := range map[string][2]string{"transfer.support.us": {"support", "US"}, "transfer.legal.claims.ch": {"legal.claims", "CH"}} {
		p, c, ok := privacy.ParseTransferConsentPurpose(key)
		if !ok || p != want[0] || c != want[1] {
			t.Errorf("ParseTransferConsentPurpose(%q) = %q %q %v", key, p, c, ok)
		}
	}
}
