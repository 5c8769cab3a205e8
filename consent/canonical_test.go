package consent

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// TestCanonicalIsJSONMarshal: the hand-written canonical encoding is byte
// for byte json.Marshal's, on random records with every kind of string,
// so that hashes sealed before it still verify.
func TestCanonicalIsJSONMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "u-1", "research.surveys", `"`, `\`, "<", ">", "&", "é", "日本", "\u2028", "\u2029", "\x7f",
		"\t", "\n", "\x00", "\x1f", "\xff", "\U0001F600", "a&b<c>", "1.2"}
	s := func() string {
		var b bytes.Buffer
		for range rng.IntN(4) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	tm := func() time.Time {
		if rng.IntN(5) == 0 {
			return time.Time{}
		}
		return time.Unix(rng.Int64N(1<<33)-1<<32, rng.Int64N(1e9)).In(time.FixedZone("x", rng.IntN(3600)*60-100000))
	}
	for i := range 20000 {
		r := Record{RecordID: s(), Seq: rng.Int64() - 1<<62, SubjectID: s(), SubjectRef: s(), Controller: s(), Purpose: s(),
			Event: Event(s()), PolicyVersion: s(), NoticeHash: s(), Method: s(), Act: Act(s()), CollectedBy: s(),
			Language: s(), Jurisdiction: s(), CollectedAt: tm(), ExpiresAt: tm(), Guardian: rng.IntN(2) == 0,
			KeyID: s(), PrevHash: s(), Hash: s()}
		switch rng.IntN(3) {
		case 1:
			r.Categories = []string{}
		case 2:
			r.Categories = []string{s(), s()}
		}
		got := r.canonical()
		// What canonical encodes: the record as json.Marshal writes it.
		w := r
		w.Hash = ""
		if w.SubjectRef != "" {
			w.SubjectID = ""
		}
		w.CollectedAt = w.CollectedAt.UTC()
		if !w.ExpiresAt.IsZero() {
			w.ExpiresAt = w.ExpiresAt.UTC()
		}
		want, err := json.Marshal(w)
		if err != nil {
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	r := Record{RecordID: "0190f1a2-5f32-73d1-943c-2565192deaf7", Seq: 123456, SubjectRef: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Purpose: "research.surveys", Event: Given, PolicyVersion: "1.2", Method: "checkbox", Act: ActUntickedBox, CollectedBy: "signup form",
		CollectedAt: time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.UTC), PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	b.Run("canonical", func(b *testing.B) {
		for b.Loop() {
			_ = r.Digest()
		}
	})
	b.Run("Sealer", func(b *testing.B) {
		s := NewSealer(nil)
		for b.Loop() {
			s.Seal(&r, r.PrevHash)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(r)
		}
	})
}
