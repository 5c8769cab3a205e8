package accountability_test

import (
	"os"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
)

// TestFindingsDocument keeps FINDINGS.md (pasted into docs/coverage.md) true: it
// must list exactly the findings DiffNotice reports on the reference policy
// and show the reference catalog's current Mermaid diagram.
func TestFindingsDocument(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"FINDINGS.md", "../docs/coverage.md"} {
		t.Run(file, func(t *testing.T) { checkFindingsDocument(t, file) })
	}
}

func checkFindingsDocument(t *testing.T, file string) {
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := findingsText(accountability.DiffNotice(privacy.DefaultCatalog(), readText(t, "privacy-policy-24sessions-v1.2.txt")))
	if !strings.Contains(string(doc), "```\n"+got+"```\n") {
		t.Errorf("%s does not list the current findings on the reference policy; want this block:\n%s", file, got)
	}
	var mmd strings.Builder
	if err := accountability.WriteMermaid(&mmd, privacy.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```mermaid\n"+mmd.String()+"```\n") {
		t.Errorf("%s does not show the current Mermaid diagram of the reference catalog (go test ./accountability -update, then copy testdata/golden/reference.diagram.mmd)", file)
	}
}
