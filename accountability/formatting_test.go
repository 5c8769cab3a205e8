package accountability_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
)

// TestDiffNoticeFormatting: the same policy in another form — other
// bullets, no blank lines, bold headings, upper or lower case, straight
// quotes, one paragraph, CRLF and tabs — gives the same findings.
func TestDiffNoticeFormatting(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	policy := readText(t, "privacy-policy-24sessions-v1.2.txt")
	base := keys(accountability.DiffNotice(c, policy))
	heads := regexp.MustCompile(`(?m)^([A-Z][^.\n]{3,60}\?)$`)
	for name, f := range map[string]func(string) string{
		"star bullets":   func(s string) string { return strings.ReplaceAll(s, "  • ", "* ") },
		"no blank lines": func(s string) string { return strings.ReplaceAll(s, "\n\n", "\n") },
		"bold headings":  func(s string) string { return heads.ReplaceAllString(s, "**$1**") },
		"lower case":     strings.ToLower,
		"upper case":     strings.ToUpper,
		"straight quotes": func(s string) string {
			return strings.NewReplacer("“", "\"", "”", "\"", "’", "'").Replace(s)
		},
		"single spaces": func(s string) string { return strings.ReplaceAll(s, "  ", " ") },
		"one paragraph": func(s string) string { return strings.ReplaceAll(s, "\n", " ") },
		"crlf+tabs": func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, "\n", "\r\n"), "  • ", "\t- ")
		},
	} {
		got := accountability.DiffNotice(c, f(policy))
		if diff := cmp.Diff(base, keys(got)); diff != "" {
			t.Errorf("%s: %s", name, diff)
		}
	}
}
