package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
)

// TestCatalogROPAFromDecisionLog: catalog ropa --decision-log names the
// third countries the logged transfers went to, with the Art. 49
// derogation used, and the customers of guest decisions (Art. 30(1)(e),
// 30(2)(a)); it states consent renewal (in the CSV form too) and the
// book-year rule; a log that
// is not one is exit 2 naming the flag.
func TestCatalogROPAFromDecisionLog(t *testing.T) {
	dir := t.TempDir()
	logPath := decisionLog(t, []byte("0123456789abcdef0123456789abcdef"),
		privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, Purpose: "legal.claims", Data: []string{"instance.contact.email"},
			Recipient: &privacy.Recipient{ID: "counsel-ny", Kind: privacy.RecipientThirdParty, Country: "US", Derogation: privacy.DerogationLegalClaims, Occasional: true}},
		privacy.Request{Subject: privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Controller: "acme"}, Purpose: "support", Data: []string{"guest.contact.email"}})
	code, out, errs := ctl(t, "", "catalog", "ropa", "--format", "markdown", "--decision-log", logPath)
	if code != exitOK {
		t.Fatalf("catalog ropa --decision-log: exit %d %s", code, errs)
	}
	for _, want := range []string{"derogation of Art. 49(1): legal claims", "counsel-ny", "acme",
		"Consent renewal", "the end of the book year"} {
		if !strings.Contains(out, want) {
			t.Errorf("the record lacks %q", want)
		}
	}
	// The CSV form states consent renewal too (column consent_renewal).
	code, out, errs = ctl(t, "", "catalog", "ropa", "--format", "csv")
	header, _, _ := strings.Cut(out, "\n")
	if code != exitOK || !strings.Contains(header, ",consent_renewal,") || !strings.Contains(out, "consent asked again after 13 months (P13M)") {
		t.Errorf("catalog ropa --format csv: exit %d %s; want a consent_renewal column with site.personalisation's 13 months; header %s", code, errs, header)
	}
	if code, _, errs := ctl(t, "", "catalog", "ropa", "--decision-log", filepath.Join(dir, "none.log")); code == exitOK || !strings.Contains(errs, "--decision-log") {
		t.Errorf("a missing log: exit %d %s", code, errs)
	}
	bad := filepath.Join(dir, "bad.log")
	os.WriteFile(bad, []byte("not json\n"), 0o600)
	if code, _, errs := ctl(t, "", "catalog", "ropa", "--decision-log", bad); code != exitUsage || !strings.Contains(errs, "decision log line 1") {
		t.Errorf("a log that is not one: exit %d %s", code, errs)
	}
}
