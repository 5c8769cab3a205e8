package privacy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

func TestDefaultCatalog(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	if diff := cmp.Diff([]string{"instance.financial.account", "instance.financial.bank", "instance.financial.card", "instance.financial.payment"},
		c.Leaves("instance.financial")); diff != "" {
		t.Errorf("Leaves(instance.financial) (-want +got):\n%s", diff)
	}
	if got := c.Leaves("instance.shoe_size"); got != nil {
		t.Errorf("Leaves of an unknown key = %v, want nil", got)
	}
	// The keys SPEC.md fixes.
	for _, key := range []string{"account.profile", "account.access", "service.delivery", "service.personalisation",
		"site.personalisation", "support", "billing", "marketing.announcements", "research.surveys",
		"marketing.profiling", "referral", "legal.compliance", "legal.claims", "security.fraud_prevention"} {
		if c.Purpose(key) == nil {
			t.Errorf("purpose %s missing", key)
		}
	}
	if len(c.Purposes) != 14 {
		t.Errorf("%d purposes, want 14", len(c.Purposes))
	}
	for _, key := range []string{"instance.account.username", "instance.account.company_name", "instance.contact.email",
		"instance.financial.card", "instance.financial.bank", "instance.financial.account", "instance.financial.payment",
		"instance.meeting.data", "instance.meeting.recording", "instance.network.ip_address", "instance.profile.photo",
		"instance.profile.company_logo", "instance.feedback.review", "instance.feedback.wrapup",
		"guest.contact.name", "guest.contact.email", "guest.contact.phone", "guest.it.ip_address", "guest.it.usage",
		"guest.it.cookies", "guest.it.navigation", "guest.it.location", "guest.it.browser"} {
		if c.Category(key) == nil {
			t.Errorf("category %s missing", key)
		}
	}
	if n := len(c.Transfers.EEA); n != 30 {
		t.Errorf("EEA has %d countries, want 30", n)
	}
	if c.ConsentAge.For("NL") != 16 || c.ConsentAge.For("ZZ") != 16 {
		t.Errorf("age of digital consent NL=%d default=%d, want 16", c.ConsentAge.For("NL"), c.ConsentAge.For("ZZ"))
	}
	if c.Transfers.Checked != "2026-12" {
		t.Errorf("transfers checked %q, want the date in the data", c.Transfers.Checked)
	}
	if c.Hash() == "" || c.Hash() != privacy.DefaultCatalog().Hash() {
		t.Error("Hash is empty or not stable")
	}
}

func TestParseCatalogErrorsNameFileEntryField(t *testing.T) {
	t.Parallel()
	base := string(privacy.ReferenceCatalogYAML())
	replace := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("fixture: %q not in the reference catalog", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown category in a purpose", replace("categories: [instance.account, instance.profile, instance.contact.email]",
			"categories: [instance.account, instance.shoe_size]"),
			[]string{"catalog my.yaml", "purpose account.profile", "categories", `unknown category "instance.shoe_size"`}},
		{"unknown basis", replace("bases: [contract, legal_obligation]", "bases: [contract, gut_feeling]"),
			[]string{"catalog my.yaml: purpose billing: bases[1]: ", "gut_feeling"}},
		{"unknown field in a purpose", replace("  - key: referral\n", "  - key: referral\n    colour: blue\n"),
			[]string{"catalog my.yaml: purpose referral: colour: unknown field"}},
		{"wrong type in a category", replace("{key: instance.financial.bank,", "{key: instance.financial.bank, optional: maybe,"),
			[]string{"catalog my.yaml: category instance.financial.bank: optional: want bool"}},
		{"unknown field in the LIA", replace("      interest: improving the meeting product", "      intrest: x\n      interest: improving the meeting product"),
			[]string{"purpose service.personalisation: lia.intrest: unknown field"}},
		{"bad retention period", replace("retention:\n", "retention:\n  - {category: instance.feedback, trigger: collected, period: forever, action: delete}\n"),
			[]string{"catalog my.yaml: retention[0]: period"}},
		{"duplicate purpose", replace("  - key: account.access\n", "  - key: account.profile\n"),
			[]string{"purpose account.profile", "duplicate purpose"}},
		{"duplicate category", replace("{key: instance.financial.bank,", "{key: instance.financial.card,"),
			[]string{"category instance.financial.card", "duplicate category"}},
		{"LI purpose without LIA", withoutBlock(t, base, "    lia:\n      interest: improving the meeting product"),
			[]string{"catalog my.yaml", "purpose service.personalisation", "lia", "assessment"}},
		{"unknown field", replace("policy_version: \"1.2\"", "policy_version: \"1.2\"\npolicy_versoin: \"1.3\""),
			[]string{"catalog my.yaml: policy_versoin: unknown field"}},
		{"duplicate YAML key", replace("name: Privacy policy 24sessions", "name: a\nname: b"),
			[]string{"catalog my.yaml", "name"}},
		{"unknown recipient kind", replace("recipients: [individual]", "recipients: [friend]"),
			[]string{"purpose referral", "recipients", `"friend"`}},
		{"unknown subject kind", replace("subjects: [user, guest]", "subjects: [user, robot]"),
			[]string{"subjects", `"robot"`}},
		{"instructed purpose unknown", replace("default_instructions: [service.delivery,", "default_instructions: [teleport,"),
			[]string{"processor", "default_instructions", `"teleport"`}},
		{"bad country", replace("eea: [AT,", "eea: [Austria,"), []string{"transfers", "eea[0]"}},
		{"consent age out of range", replace("default: 16", "default: 12"), []string{"consent_age", "default"}},
		{"bad version", replace(`policy_version: "1.2"`, `policy_version: "v1"`), []string{"policy_version"}},
		{"not YAML", "{{{", []string{"catalog my.yaml"}},
		{"adequacy from not a day", replace(`from: "2026-01-26"`, `from: "2026-01"`), []string{"transfers", "adequacy[", ".from", "YYYY-MM-DD"}},
		{"adequacy from after until", replace(`until: "2031-12-27"`, "from: \"2032-01-01\"\n      until: \"2031-12-27\""), []string{"transfers", ".from", "not before until"}},
		{"adequacy sector not a key", replace("sectors: [commercial]", "sectors: [Commercial Activity]"), []string{"transfers", ".sectors[0]"}},
		{"adequacy excluded sector not a key", replace("excluded_sectors: [credit_information,", "excluded_sectors: [Credit,"), []string{"transfers", ".excluded_sectors[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := privacy.ParseCatalog("my.yaml", []byte(tc.yaml))
			if !errors.Is(err, privacy.ErrInvalidCatalog) {
				t.Fatalf("err = %v, want ErrInvalidCatalog", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// Removing the assessment of a legitimate-interests purpose is refused by
// the file loader (Check), not by Validate.
func TestCheckRequiresAssessments(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Purpose("marketing.announcements").LIA = nil
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v, want nil (structure is fine)", err)
	}
	err := c.Check()
	var ce *privacy.CatalogError
	if !errors.As(err, &ce) || ce.Entry != "purpose marketing.announcements" || ce.Field != "lia" {
		t.Fatalf("Check = %v, want a CatalogError on purpose marketing.announcements, field lia", err)
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, privacy.ReferenceCatalogYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := privacy.LoadCatalog(path)
	if err != nil || c.PolicyVersion != "1.2" {
		t.Fatalf("LoadCatalog = %v, %v", c, err)
	}
	if _, err := privacy.LoadCatalog(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: err = %v, want it to name the file", err)
	}
}

func FuzzParseCatalog(f *testing.F) {
	f.Add(privacy.ReferenceCatalogYAML())
	f.Add([]byte("policy_version: \"1\"\nsubject_kinds: [{kind: a, role: controller}]\ncategories: [{key: a.b, subject: a}]\nconsent_age: {default: 16}\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := privacy.ParseCatalog("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalidCatalog) {
				t.Fatalf("error does not wrap ErrInvalidCatalog: %v", err)
			}
			return
		}
		for _, p := range c.Purposes {
			for _, cat := range p.Categories {
				if len(c.Leaves(cat)) == 0 {
					t.Fatalf("accepted purpose %s with unknown category %s", p.Key, cat)
				}
			}
		}
	})
}

// withoutBlock removes from text the block that starts with start and runs
// to the next blank line.
func withoutBlock(t *testing.T, text, start string) string {
	t.Helper()
	i := strings.Index(text, start)
	if i < 0 {
		t.Fatalf("fixture: %q not found", start)
	}
	j := strings.Index(text[i:], "\n\n")
	return text[:i] + text[i+j+1:]
}

func TestPurposeDeclares(t *testing.T) {
	c := privacy.DefaultCatalog()
	for _, tc := range []struct {
		purpose string
		basis   lawfulbasis.Basis
		want    bool
	}{
		{"research.surveys", lawfulbasis.Consent, true},
		{"billing", lawfulbasis.Consent, false},
		{"billing", lawfulbasis.LegalObligation, true},
		{"service.delivery", lawfulbasis.ControllerInstruction, true}, // a guest's basis only
	} {
		if got := c.Purpose(tc.purpose).Declares(tc.basis); got != tc.want {
			t.Errorf("%s declares %s = %v, want %v", tc.purpose, tc.basis, got, tc.want)
		}
	}
}
