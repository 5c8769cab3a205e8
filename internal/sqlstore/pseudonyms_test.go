package sqlstore

import (
	"fmt"
	"testing"

	"github.com/privacykit/privacy/consent"
)

// TestPseudonymsAreSubjectRef: the pooled HMAC gives consent.SubjectRef
// for id after id, so that records sealed before it still verify and a
// reused state carries nothing over.
func TestPseudonymsAreSubjectRef(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p := &pseudonyms{key: key}
	for i := range 100 {
		id := fmt.Sprintf("subject-%d", i%13)
		if got, want := p.ref(id), consent.SubjectRef(key, id); got != want {
			t.Fatalf("ref(%q) = %s, want %s", id, got, want)
		}
	}
}
