package consent

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// TestSealerIsSealWith: a Sealer used for record after record, keyed and
// unkeyed, seals each as SealWith does, so that reusing its hash state
// carries nothing from one record into the next.
func TestSealerIsSealWith(t *testing.T) {
	key := &Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, MinKeySize)}
	for _, k := range []*Key{nil, key} {
		s := NewSealer(k)
		prev := ""
		for i := range 50 {
			r := Record{RecordID: fmt.Sprintf("r-%d", i), Seq: int64(i + 1), SubjectID: fmt.Sprintf("u-%d", i%7),
				Purpose: "research.surveys", Event: Given, PolicyVersion: "1.2", Method: MethodCheckbox,
				CollectedAt: time.Date(2026, 12, 3, 12, 0, i, i*1000, time.UTC)}
			if i%3 == 0 {
				r.SubjectRef = SubjectRef([]byte("pseudonym key"), r.SubjectID)
				r.Categories = []string{"contact.email", fmt.Sprint(i)}
			}
			want := r
			want.SealWith(prev, k)
			got := r
			s.Seal(&got, prev)
			if got.Hash != want.Hash || got.PrevHash != want.PrevHash || got.KeyID != want.KeyID {
				t.Fatalf("key %v, record %d: Sealer gives %s %q %q, SealWith %s %q %q", k != nil, i,
					got.Hash, got.PrevHash, got.KeyID, want.Hash, want.PrevHash, want.KeyID)
			}
			if !s.matches(&got) {
				t.Fatalf("key %v, record %d: the sealed record does not match", k != nil, i)
			}
			prev = got.Hash
		}
	}
}
