package consent_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy/consent"
)

// ledger is a Scanner over a slice, which tests tamper with freely.
type ledger struct {
	records []consent.Record
	key     []byte
	err     error
}

func (l *ledger) Scan(ctx context.Context, after int64, fn func(consent.Record) error) error {
	if l.err != nil {
		return l.err
	}
	for _, r := range l.records {
		if r.Seq <= after {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// keyed adds the subject check of a Pseudonymiser.
type keyed struct{ *ledger }

func (k keyed) SubjectRef(id string) string { return consent.SubjectRef(k.key, id) }
func (k keyed) Pseudonymise(context.Context, string) (int64, error) {
	return 0, errors.New("not here")
}

// headed adds a stored head.
type headed struct {
	*ledger
	head consent.Head
}

func (h headed) Head(context.Context) (consent.Head, error) { return h.head, nil }

// build seals n records in a chain, as a store would.
func build(n int) *ledger {
	l := &ledger{key: []byte("test key")}
	prev := ""
	for i := range n {
		r := consent.Record{
			RecordID:      fmt.Sprintf("r%d", i+1),
			Seq:           int64(i + 1),
			SubjectID:     fmt.Sprintf("u-%d", i%2),
			Purpose:       "research.surveys",
			Event:         consent.Given,
			PolicyVersion: "1.2",
			Method:        consent.MethodCheckbox,
			CollectedAt:   time.Date(2026, 11, 28, 12, i, 0, 0, time.UTC),
		}
		r.SubjectRef = consent.SubjectRef(l.key, r.SubjectID)
		r.Seal(prev)
		prev = r.Hash
		l.records = append(l.records, r)
	}
	return l
}

// renumber sets the Seqs of l's records to their positions.
func renumber(l *ledger) {
	for i := range l.records {
		l.records[i].Seq = int64(i + 1)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	type result struct {
		Intact   bool
		Problem  consent.Problem
		Seq      int64
		RecordID string
		Checked  int64
	}
	tests := []struct {
		name   string
		tamper func(l *ledger) consent.Scanner
		want   result
	}{
		{"intact", func(l *ledger) consent.Scanner { return l }, result{Intact: true, Checked: 5}},
		{"empty", func(l *ledger) consent.Scanner { l.records = nil; return l }, result{Intact: true}},
		{"edited", func(l *ledger) consent.Scanner { l.records[2].Purpose = "referral"; return l },
			result{Problem: consent.Altered, Seq: 3, RecordID: "r3", Checked: 2}},
		{"edited subject ref", func(l *ledger) consent.Scanner { l.records[1].SubjectRef = "x"; return l },
			result{Problem: consent.Altered, Seq: 2, RecordID: "r2", Checked: 1}},
		{"subject id swapped, unkeyed", func(l *ledger) consent.Scanner { l.records[1].SubjectID = "u-9"; return l },
			// The hash covers SubjectRef only: without the key, a
			// swapped id goes unseen.
			result{Intact: true, Checked: 5}},
		{"subject id swapped, keyed", func(l *ledger) consent.Scanner { l.records[1].SubjectID = "u-9"; return keyed{l} },
			result{Problem: consent.Altered, Seq: 2, RecordID: "r2", Checked: 1}},
		{"subject id erased, keyed", func(l *ledger) consent.Scanner { l.records[1].SubjectID = ""; return keyed{l} },
			result{Intact: true, Checked: 5}},
		{"removed", func(l *ledger) consent.Scanner { l.records = slices.Delete(l.records, 2, 3); return l },
			result{Problem: consent.Missing, Seq: 3, Checked: 2}},
		{"two removed", func(l *ledger) consent.Scanner { l.records = slices.Delete(l.records, 1, 3); return l },
			result{Problem: consent.Missing, Seq: 2, Checked: 1}},
		{"removed and renumbered", func(l *ledger) consent.Scanner {
			l.records = slices.Delete(l.records, 2, 3)
			renumber(l)
			return l
		}, result{Problem: consent.Unlinked, Seq: 3, RecordID: "r4", Checked: 2}},
		{"inserted", func(l *ledger) consent.Scanner {
			f := l.records[0]
			f.RecordID, f.Purpose = "forged", "referral"
			f.Seal(l.records[1].Hash)
			l.records = slices.Insert(l.records, 2, f)
			renumber(l)
			l.records[2].Seal(l.records[1].Hash) // the forger seals it right
			return l
		}, result{Problem: consent.Inserted, Seq: 3, RecordID: "forged", Checked: 2}},
		{"inserted first", func(l *ledger) consent.Scanner {
			f := l.records[0]
			f.RecordID = "forged"
			l.records = slices.Insert(l.records, 0, f)
			renumber(l)
			l.records[0].Seal("")
			return l
		}, result{Problem: consent.Inserted, Seq: 1, RecordID: "forged", Checked: 0}},
		{"reordered", func(l *ledger) consent.Scanner {
			l.records[1], l.records[2] = l.records[2], l.records[1]
			renumber(l)
			return l
		}, result{Problem: consent.Unlinked, Seq: 2, RecordID: "r3", Checked: 1}},
		{"last removed, store head remembers", func(l *ledger) consent.Scanner {
			h := consent.Head{Seq: 5, Hash: l.records[4].Hash}
			l.records = l.records[:4]
			return headed{l, h}
		}, result{Problem: consent.Truncated, Seq: 5, Checked: 4}},
		{"last replaced, store head remembers", func(l *ledger) consent.Scanner {
			h := consent.Head{Seq: 5, Hash: l.records[4].Hash}
			l.records[4].Purpose = "referral"
			l.records[4].Seal(l.records[3].Hash)
			return headed{l, h}
		}, result{Problem: consent.Truncated, Seq: 5, RecordID: "r5", Checked: 4}},
		{"last removed, head moved back", func(l *ledger) consent.Scanner {
			l.records = l.records[:4]
			return headed{l, consent.Head{Seq: 4, Hash: l.records[3].Hash}}
		}, result{Intact: true, Checked: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.tamper(build(5))
			rep, err := consent.Verify(t.Context(), s)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got := result{rep.Intact, rep.Problem, rep.Seq, rep.RecordID, rep.Checked}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Verify (-want +got):\n%s\nreport: %s", diff, rep)
			}
			if rep.Intact != (rep.Message == "") {
				t.Errorf("Verify: Intact %v with message %q", rep.Intact, rep.Message)
			}
		})
	}
}

func TestVerifyAgainst(t *testing.T) {
	t.Parallel()
	full := build(5)
	tests := []struct {
		name    string
		records []consent.Record
		head    consent.Head
		want    consent.Problem
		seq     int64
	}{
		{"same", full.records, consent.Head{Seq: 5, Hash: full.records[4].Hash}, "", 0},
		{"grown since", full.records, consent.Head{Seq: 3, Hash: full.records[2].Hash}, "", 0},
		{"zero head", full.records, consent.Head{}, "", 0},
		{"last removed", full.records[:4], consent.Head{Seq: 5, Hash: full.records[4].Hash}, consent.Truncated, 5},
		{"all removed", nil, consent.Head{Seq: 5, Hash: full.records[4].Hash}, consent.Truncated, 1},
		{"other ledger", build(5).records[:3], consent.Head{Seq: 3, Hash: "0000"}, consent.Truncated, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := consent.VerifyAgainst(t.Context(), &ledger{records: tc.records}, tc.head)
			if err != nil {
				t.Fatalf("VerifyAgainst: %v", err)
			}
			if rep.Problem != tc.want || rep.Seq != tc.seq || rep.Intact != (tc.want == "") {
				t.Errorf("VerifyAgainst: got %s (problem %q, seq %d), want problem %q at seq %d", rep, rep.Problem, rep.Seq, tc.want, tc.seq)
			}
		})
	}
}

func TestVerifyScanError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	_, err := consent.Verify(t.Context(), &ledger{err: boom})
	if !errors.Is(err, boom) {
		t.Errorf("Verify over a failing scanner: got %v, want it wrapped", err)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	r := build(1).records[0]
	tests := []struct {
		name  string
		edit  func(r *consent.Record)
		equal bool
	}{
		{"same record", func(*consent.Record) {}, true},
		{"subject id blanked", func(r *consent.Record) { r.SubjectID = "" }, true},
		{"subject id changed", func(r *consent.Record) { r.SubjectID = "u-9" }, true},
		{"other zone", func(r *consent.Record) { r.CollectedAt = r.CollectedAt.In(time.FixedZone("CET", 3600)) }, true},
		{"hash field", func(r *consent.Record) { r.Hash = "x" }, true},
		{"subject ref", func(r *consent.Record) { r.SubjectRef = "x" }, false},
		{"seq", func(r *consent.Record) { r.Seq++ }, false},
		{"prev hash", func(r *consent.Record) { r.PrevHash = "x" }, false},
		{"nanosecond", func(r *consent.Record) { r.CollectedAt = r.CollectedAt.Add(1) }, false},
		{"guardian", func(r *consent.Record) { r.Guardian = true }, false},
		{"notice", func(r *consent.Record) { r.NoticeHash = "ab" }, false},
		// A record sealed before SubjectRef existed is hashed over its id.
		{"legacy id changed", func(r *consent.Record) { r.SubjectRef = ""; r.Hash = r.Digest(); r.SubjectID = "u-9" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := r
			tc.edit(&c)
			if got := c.Digest() == r.Digest(); got != tc.equal {
				t.Errorf("Digest unchanged = %v, want %v", got, tc.equal)
			}
		})
	}
}

func TestSubjectRef(t *testing.T) {
	t.Parallel()
	a, b := []byte("key a"), []byte("key b")
	if consent.SubjectRef(a, "u-1") != consent.SubjectRef(a, "u-1") {
		t.Error("SubjectRef is not deterministic")
	}
	for _, tc := range []struct{ name, x, y string }{
		{"subjects", consent.SubjectRef(a, "u-1"), consent.SubjectRef(a, "u-2")},
		{"keys", consent.SubjectRef(a, "u-1"), consent.SubjectRef(b, "u-1")},
	} {
		if tc.x == tc.y {
			t.Errorf("SubjectRef equal across %s", tc.name)
		}
	}
	if got := consent.SubjectRef(a, "u-1"); len(got) != 64 {
		t.Errorf("SubjectRef = %q, want 64 hex digits", got)
	}
}
