package consent

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
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

// TestFieldChecksAgree: the byte loops Verify checks key ids and hashes
// with say what the regular expressions they replace say.
func TestFieldChecksAgree(t *testing.T) {
	hexPattern := regexp.MustCompile(`^[0-9a-f]{64}$`)
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "0", "9", "f", "g", ".", "_", "-", " ", "\n", "\x00", "é", "\xff", "A", "F"}
	cases := []string{"", "k1", strings.Repeat("a", 64), strings.Repeat("a", 65), "a\n", "\na", "k 1", "ké",
		strings.Repeat("0f", 32), strings.Repeat("0F", 32), strings.Repeat("0f", 32) + "\n", strings.Repeat("é", 32)}
	for range 20000 {
		var b strings.Builder
		n := rng.IntN(70)
		if rng.IntN(2) == 0 {
			n = 64
		}
		for b.Len() < n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := validKeyID(s), keyIDPattern.MatchString(s); got != want {
			t.Errorf("validKeyID(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := isSHA256Hex(s), hexPattern.MatchString(s); got != want {
			t.Errorf("isSHA256Hex(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}
