package reasondoc_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy/internal/reasondoc"
)

// TestGeneratedPageIsCurrent fails when docs/reason-codes.md is not what
// the code table generates: run go generate in the module root.
func TestGeneratedPageIsCurrent(t *testing.T) {
	t.Parallel()
	got, err := os.ReadFile("../../docs/reason-codes.md")
	if err != nil {
		t.Fatalf("%v: run go generate in the module root", err)
	}
	if want := reasondoc.Markdown(); !bytes.Equal(got, want) {
		t.Errorf("docs/reason-codes.md is stale: run go generate in the module root (-want +got):\n%s", cmp.Diff(string(want), string(got)))
	}
}
