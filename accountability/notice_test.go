package accountability_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/lawfulbasis"
)

// TestNoticePlainLanguage: the notice is for the data subject (Art. 12(1):
// clear and plain language). It shows no engine values: no ISO 8601
// periods, no snake_case identifiers (bases, triggers, obligations), no
// reason codes, no dotted catalog keys, no bare country codes.
func TestNoticePlainLanguage(t *testing.T) {
	t.Parallel()
	iso := regexp.MustCompile(`\bP(T?\d+[YMWDH])+\b`)
	snake := regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`)
	codes := []string{privacy.ReasonSecurityUnencryptedFinance, privacy.ReasonDisclosureProcessorNoDPA,
		privacy.ReasonTransferNoSafeguard, privacy.ReasonObjectionActive, privacy.ReasonConsentWithdrawn,
		privacy.ObligationEncryptInTransit, privacy.ObligationHumanReview}
	for name, c := range catalogs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := accountability.WriteNotice(&b, c); err != nil {
				t.Fatal(err)
			}
			text := b.String()
			if m := iso.FindAllString(text, -1); m != nil {
				t.Errorf("notice shows ISO 8601 periods %q; want words such as \"7 years\"", m)
			}
			if m := snake.FindAllString(text, -1); m != nil {
				t.Errorf("notice shows identifiers %q", m)
			}
			for _, code := range codes {
				if strings.Contains(text, code) {
					t.Errorf("notice shows the engine code %q", code)
				}
			}
			for _, b := range lawfulbasis.All() {
				if strings.Contains(string(b), "_") && strings.Contains(text, string(b)) {
					t.Errorf("notice shows the basis identifier %q", b)
				}
			}
			for _, cat := range c.Categories {
				if strings.Contains(text, cat.Key) {
					t.Errorf("notice shows the category key %q", cat.Key)
				}
			}
			for _, a := range c.Transfers.Adequacy {
				if a.Country != "" && regexp.MustCompile(`[\s(:]`+a.Country+`[\s,;.)]`).MatchString(text) {
					t.Errorf("notice shows the country code %q, want the country's name", a.Country)
				}
			}
		})
	}
}

// TestNoticeProvisionRequirement: the notice states Art. 13(2)(e) — which
// data the subject must give because the law or a contract requires it,
// and what follows if not — derived from each purpose's bases.
func TestNoticeProvisionRequirement(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := accountability.WriteNotice(&b, privacy.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	section := text[strings.Index(text, "## Do you have to give us your data?"):]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	for _, want := range []string{
		// billing is on contract and legal obligation: its data is a
		// statutory requirement.
		"**Statutory requirement**: user name, company name, email address, credit card details",
		// service delivery is on contract: meeting data is needed.
		"**Needed for our contract with you**: meeting data and IP address. You are not obliged to give it, but without it we cannot",
		// optional categories and consent-only data are voluntary.
		"**Up to you**: meeting recordings, profile photo",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("Art. 13(2)(e) section lacks %q:\n%s", want, section)
		}
	}
	// Each purpose says whether its data must be given.
	for _, want := range []string{
		"**To conduct questionnaires and surveys",
		"- Do you have to give it? No. It is up to you: if you do not give it or do not consent, we do not do this",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	// Consent renewal per purpose and the Art. 49 exceptions, in words.
	for _, want := range []string{
		"- Your consent lasts 13 months: then we ask you again",
		"- Your consent lasts 24 months: then we ask you again",
		"your explicit consent to that transfer, given after we have told you its risks",
		"necessary to establish, exercise or defend legal claims (Art. 49(1))",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	if strings.Contains(text, "P13M") || strings.Contains(text, "P24M") || strings.Contains(text, "12-31") {
		t.Error("notice shows a machine value (P13M, P24M, 12-31)")
	}
	if !strings.Contains(text, "at least 7 years from the end of the book year in which it was collected (our book year ends on 31 December)") {
		t.Errorf("notice does not state the fiscal retention as \"7 years\" from the end of the book year (AWR art. 52(4))")
	}
}
