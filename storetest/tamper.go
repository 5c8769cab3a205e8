package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy/consent"
)

// Exec runs one SQL statement against the database behind a store, as an
// attacker with write access to the tables would.
type Exec func(t *testing.T, query string, args ...any)

// RunTamper checks that consent.Verify finds records changed, removed,
// inserted or reordered by hand in the SQL tables, and names the first bad
// one. open returns an empty ledger and a way to run SQL on its database.
func RunTamper(t *testing.T, open func(t *testing.T) (consent.Ledger, Exec)) {
	type want struct {
		problem consent.Problem
		seq     int64
		// recordID: "" for none, "seq N" for the id of the record
		// originally at seq N, "forged" for the forged record.
		recordID string
		checked  int64
	}
	tests := []struct {
		name string
		// sql are statements that change the ledger of five records.
		sql []string
		// tamper changes it where a statement needs arguments or more
		// than SQL; rs are the records as appended. It returns the id of
		// a forged record, if any.
		tamper func(t *testing.T, s consent.Ledger, exec Exec, rs []consent.Record) (forged string)
		// head, if set, is the head kept elsewhere, for VerifyAgainst.
		head func(rs []consent.Record) consent.Head
		want want
	}{
		{
			name: "untouched",
			want: want{checked: 5},
		},
		{
			name: "edit a purpose",
			sql:  []string{`UPDATE privacy_consent_records SET purpose = 'marketing.profiling' WHERE seq = 3`},
			want: want{problem: consent.Altered, seq: 3, recordID: "seq 3", checked: 2},
		},
		{
			name: "turn a withdrawal into a grant",
			sql:  []string{`UPDATE privacy_consent_records SET event = 'given', policy_version = '1.2' WHERE seq = 4`},
			want: want{problem: consent.Altered, seq: 4, recordID: "seq 4", checked: 3},
		},
		{
			name: "move a record to another subject",
			sql:  []string{`UPDATE privacy_consent_records SET subject_id = 'u-9' WHERE seq = 2`},
			want: want{problem: consent.Altered, seq: 2, recordID: "seq 2", checked: 1},
		},
		{
			name: "move a record in time",
			tamper: func(t *testing.T, _ consent.Ledger, exec Exec, rs []consent.Record) string {
				exec(t, `UPDATE privacy_consent_records SET collected_at = $1 WHERE seq = 1`, rs[0].CollectedAt.Add(-time.Hour).UnixNano())
				return ""
			},
			want: want{problem: consent.Altered, seq: 1, recordID: "seq 1", checked: 0},
		},
		{
			name: "edit and seal again",
			tamper: func(t *testing.T, _ consent.Ledger, exec Exec, rs []consent.Record) string {
				r := rs[2]
				r.Purpose = "marketing.profiling"
				exec(t, `UPDATE privacy_consent_records SET purpose = $1, hash = $2 WHERE seq = 3`, r.Purpose, r.Digest())
				return ""
			},
			// The resealed record hashes right; its successor is no
			// longer sealed to it.
			want: want{problem: consent.Unlinked, seq: 4, recordID: "seq 4", checked: 3},
		},
		{
			name: "delete a record",
			sql:  []string{`DELETE FROM privacy_consent_records WHERE seq = 3`},
			want: want{problem: consent.Missing, seq: 3, checked: 2},
		},
		{
			name: "delete the first record",
			sql:  []string{`DELETE FROM privacy_consent_records WHERE seq = 1`},
			want: want{problem: consent.Missing, seq: 1, checked: 0},
		},
		{
			name: "delete and renumber",
			sql: []string{
				`DELETE FROM privacy_consent_records WHERE seq = 3`,
				`UPDATE privacy_consent_records SET seq = -seq WHERE seq > 3`,
				`UPDATE privacy_consent_records SET seq = -seq - 1 WHERE seq < 0`,
				`UPDATE privacy_consent_head SET seq = 4`,
			},
			want: want{problem: consent.Unlinked, seq: 3, recordID: "seq 4", checked: 2},
		},
		{
			name: "delete the last record",
			sql:  []string{`DELETE FROM privacy_consent_records WHERE seq = 5`},
			// The head row remembers it.
			want: want{problem: consent.Truncated, seq: 5, checked: 4},
		},
		{
			name: "delete the last record and move the head back",
			tamper: func(t *testing.T, _ consent.Ledger, exec Exec, rs []consent.Record) string {
				exec(t, `DELETE FROM privacy_consent_records WHERE seq = 5`)
				exec(t, `UPDATE privacy_consent_head SET seq = 4, hash = $1`, rs[3].Hash)
				return ""
			},
			// Only a head kept elsewhere shows it.
			head: func(rs []consent.Record) consent.Head { return consent.Head{Seq: 5, Hash: rs[4].Hash} },
			want: want{problem: consent.Truncated, seq: 5, checked: 4},
		},
		{
			name: "insert a forged record and renumber",
			tamper: func(t *testing.T, s consent.Ledger, exec Exec, rs []consent.Record) string {
				exec(t, `UPDATE privacy_consent_records SET seq = -seq WHERE seq >= 3`)
				exec(t, `UPDATE privacy_consent_records SET seq = -seq + 1 WHERE seq < 0`)
				forged := grant("u-1", "marketing.profiling", rs[1].CollectedAt)
				forged.Seq, forged.RecordID, forged.SubjectRef = 3, "forged-1", s.SubjectRef("u-1")
				forged.Seal(rs[1].Hash)
				insert(t, exec, forged)
				return forged.RecordID
			},
			want: want{problem: consent.Inserted, seq: 3, recordID: "forged", checked: 2},
		},
		{
			name: "append a record with a made-up hash",
			tamper: func(t *testing.T, s consent.Ledger, exec Exec, rs []consent.Record) string {
				forged := grant("u-1", "marketing.profiling", rs[1].CollectedAt)
				forged.Seq, forged.RecordID, forged.SubjectRef = 6, "forged-2", s.SubjectRef("u-1")
				forged.PrevHash, forged.Hash = rs[4].Hash, rs[4].Hash
				insert(t, exec, forged)
				return forged.RecordID
			},
			want: want{problem: consent.Altered, seq: 6, recordID: "forged", checked: 5},
		},
		{
			// A withdrawal blanked as erasure blanks records: its hash,
			// which covers the pseudonym, still holds, and the earlier
			// grant would count as consent again.
			name: "blank a withdrawal's subject id",
			sql:  []string{`UPDATE privacy_consent_records SET subject_id = '' WHERE seq = 4`},
			want: want{problem: consent.Altered, seq: 4, recordID: "seq 4", checked: 3},
		},
		{
			// The same, in a ledger where another subject's erasure
			// blanked records by right: that erasure is not reported,
			// the hand-blanked withdrawal is.
			name: "blank a withdrawal's subject id beside an erased subject",
			tamper: func(t *testing.T, s consent.Ledger, exec Exec, _ []consent.Record) string {
				if _, err := s.Pseudonymise(t.Context(), "u-2"); err != nil {
					t.Fatal(err)
				}
				exec(t, `UPDATE privacy_consent_records SET subject_id = '' WHERE seq = 4`)
				return ""
			},
			want: want{problem: consent.Altered, seq: 4, recordID: "seq 4", checked: 3},
		},
		{
			name: "append a sealed grant with a blank subject id and no pseudonym",
			tamper: func(t *testing.T, s consent.Ledger, exec Exec, rs []consent.Record) string {
				forged := grant("", "marketing.profiling", rs[1].CollectedAt)
				forged.Seq, forged.RecordID = 6, "forged-3"
				forged.Seal(rs[4].Hash)
				insert(t, exec, forged)
				exec(t, `UPDATE privacy_consent_head SET seq = 6, hash = $1`, forged.Hash)
				return forged.RecordID
			},
			want: want{problem: consent.Invalid, seq: 6, recordID: "forged", checked: 5},
		},
		{
			name: "append a sealed grant from a pre-ticked box",
			tamper: func(t *testing.T, s consent.Ledger, exec Exec, rs []consent.Record) string {
				forged := grant("u-2", "marketing.profiling", rs[1].CollectedAt)
				forged.Seq, forged.RecordID, forged.SubjectRef = 6, "forged-4", s.SubjectRef("u-2")
				forged.Act = consent.ActPreTickedBox
				forged.Seal(rs[4].Hash)
				insert(t, exec, forged)
				exec(t, `UPDATE privacy_consent_head SET seq = 6, hash = $1`, forged.Hash)
				return forged.RecordID
			},
			want: want{problem: consent.Invalid, seq: 6, recordID: "forged", checked: 5},
		},
		{
			name: "swap two records",
			sql: []string{
				`UPDATE privacy_consent_records SET seq = -1 WHERE seq = 3`,
				`UPDATE privacy_consent_records SET seq = 3 WHERE seq = 4`,
				`UPDATE privacy_consent_records SET seq = 4 WHERE seq = -1`,
			},
			want: want{problem: consent.Unlinked, seq: 3, recordID: "seq 4", checked: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, exec := open(t)
			rs := appendFive(t, s)
			for _, q := range tc.sql {
				exec(t, q)
			}
			forged := ""
			if tc.tamper != nil {
				forged = tc.tamper(t, s, exec, rs)
			}

			var (
				got consent.Report
				err error
			)
			if tc.head != nil {
				got, err = consent.VerifyAgainst(t.Context(), s, tc.head(rs))
			} else {
				got, err = consent.Verify(t.Context(), s)
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			wantID := ""
			switch id := tc.want.recordID; {
			case id == "forged":
				wantID = forged
			case id != "":
				var seq int
				if _, err := fmt.Sscanf(id, "seq %d", &seq); err != nil {
					t.Fatalf("bad test: record %q", id)
				}
				wantID = rs[seq-1].RecordID
			}
			type summary struct {
				Intact   bool
				Problem  consent.Problem
				Seq      int64
				RecordID string
				Checked  int64
			}
			w := summary{Intact: tc.want.problem == "", Problem: tc.want.problem, Seq: tc.want.seq, RecordID: wantID, Checked: tc.want.checked}
			g := summary{Intact: got.Intact, Problem: got.Problem, Seq: got.Seq, RecordID: got.RecordID, Checked: got.Checked}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("Verify (-want +got):\n%s\nreport: %s", diff, got)
			}
			if !got.Intact && got.Message == "" {
				t.Error("Verify reported a problem without a message")
			}
		})
	}
}

// appendFive appends the five records the tamper suites change: grants
// of u-1, u-2, u-1 (another purpose), u-1's withdrawal, a grant of u-3,
// a minute apart. It returns them as stored.
func appendFive(t *testing.T, s consent.Ledger) []consent.Record {
	t.Helper()
	var rs []consent.Record
	for _, r := range []consent.Record{
		grant("u-1", "research.surveys", base()),
		grant("u-2", "research.surveys", base().Add(time.Minute)),
		grant("u-1", "referral", base().Add(2*time.Minute)),
		withdrawal("u-1", "research.surveys", base().Add(3*time.Minute)),
		grant("u-3", "referral", base().Add(4*time.Minute)),
	} {
		rs = append(rs, mustAppend(t, s, r))
	}
	return rs
}

// insert writes r into the records table as it stands.
func insert(t *testing.T, exec Exec, r consent.Record) {
	t.Helper()
	categories, err := json.Marshal(r.Categories)
	if err != nil || r.Categories == nil {
		categories = []byte("[]")
	}
	exec(t, `INSERT INTO privacy_consent_records (seq, record_id, subject_id, subject_ref, controller, purpose,
	categories, event, policy_version, notice_hash, method, collected_by, language, jurisdiction,
	collected_at, expires_at, guardian, prev_hash, hash, act, key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, $16, $17, $18, $19, $20)`,
		r.Seq, r.RecordID, r.SubjectID, r.SubjectRef, r.Controller, r.Purpose,
		string(categories), string(r.Event), r.PolicyVersion, r.NoticeHash, r.Method, r.CollectedBy, r.Language, r.Jurisdiction,
		r.CollectedAt.UnixNano(), r.Guardian, r.PrevHash, r.Hash, string(r.Act), r.KeyID)
}

// TestKeys returns a keyring of two keys, "k1" and the current "k2", for
// the keyed tamper suite.
func TestKeys(t *testing.T) *consent.Keyring {
	t.Helper()
	kr, err := consent.NewKeyring(
		consent.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef-one")},
		consent.Key{ID: "k2", Secret: []byte("0123456789abcdef0123456789abcdef-two")})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// RunKeyedTamper checks what the keyed chain adds: someone with write
// access to the tables but not the key edits a record and recomputes the
// chain, which Verify without the key cannot see and VerifyWith with the
// key reports; a signed checkpoint shows the last records removed or the
// whole chain rewritten. open returns an empty ledger sealing with keys
// (TestKeys) and a way to run SQL on its database.
func RunKeyedTamper(t *testing.T, open func(t *testing.T, keys consent.KeyProvider) (consent.Ledger, Exec)) {
	// reseal recomputes the hashes of records from index i on, as an
	// attacker without the key can: unkeyed, or keeping the key id.
	reseal := func(t *testing.T, exec Exec, rs []consent.Record, i int, keepKeyID bool) {
		prev := ""
		if i > 0 {
			prev = rs[i-1].Hash
		}
		for j := i; j < len(rs); j++ {
			id := rs[j].KeyID
			rs[j].Seal(prev)
			if keepKeyID {
				rs[j].KeyID = id
				rs[j].Hash = rs[j].Digest()
			}
			prev = rs[j].Hash
			exec(t, `UPDATE privacy_consent_records SET purpose = $1, key_id = $2, prev_hash = $3, hash = $4 WHERE seq = $5`,
				rs[j].Purpose, rs[j].KeyID, rs[j].PrevHash, rs[j].Hash, rs[j].Seq)
		}
		exec(t, `UPDATE privacy_consent_head SET hash = $1, key_id = $2`, prev, rs[len(rs)-1].KeyID)
	}
	tests := []struct {
		name string
		// sql are statements that change the ledger; tamper changes it
		// where more is needed.
		sql    []string
		tamper func(t *testing.T, exec Exec, rs []consent.Record)
		// without: the problem Verify without keys finds ("" for none).
		without consent.Problem
		// with: the problem and seq VerifyWith with the keys finds.
		with    consent.Problem
		seq     int64
		useCkpt bool
	}{
		{
			name: "untouched",
		},
		{
			name: "edit a purpose and recompute the chain, keeping the key ids",
			tamper: func(t *testing.T, exec Exec, rs []consent.Record) {
				rs[2].Purpose = "marketing.profiling"
				reseal(t, exec, rs, 2, true)
			},
			with: consent.Altered, seq: 3,
		},
		{
			name: "edit a purpose and recompute the chain without a key",
			tamper: func(t *testing.T, exec Exec, rs []consent.Record) {
				rs[2].Purpose = "marketing.profiling"
				reseal(t, exec, rs, 2, false)
			},
			// An unkeyed record after a keyed one shows, key or not.
			without: consent.Altered, with: consent.Altered, seq: 3,
		},
		{
			name: "rewrite the whole chain without a key",
			tamper: func(t *testing.T, exec Exec, rs []consent.Record) {
				rs[2].Purpose = "marketing.profiling"
				reseal(t, exec, rs, 0, false)
			},
			// Consistent, and unkeyed throughout: only a checkpoint
			// taken before shows it.
			with: consent.Truncated, seq: 5, useCkpt: true,
		},
		{
			name: "name a key the keyring lacks",
			sql:  []string{`UPDATE privacy_consent_records SET key_id = 'k9' WHERE seq = 2`},
			// Without the keys, keyed records are not checked.
			with: consent.Unverifiable, seq: 2,
		},
		{
			name: "delete the last record and move the head back",
			tamper: func(t *testing.T, exec Exec, rs []consent.Record) {
				exec(t, `DELETE FROM privacy_consent_records WHERE seq = 5`)
				exec(t, `UPDATE privacy_consent_head SET seq = 4, hash = $1`, rs[3].Hash)
			},
			with: consent.Truncated, seq: 5, useCkpt: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys := TestKeys(t)
			s, exec := open(t, keys)
			rs := appendFive(t, s)
			for _, r := range rs {
				if r.KeyID != "k2" || r.Hash != r.MAC(keyOf(t, keys, "k2")) {
					t.Fatalf("record %d sealed with key %q, hash %s: want the MAC under k2", r.Seq, r.KeyID, r.Hash)
				}
			}
			ckpt, _, err := consent.TakeCheckpoint(t.Context(), s, keys, base().Add(time.Hour))
			if err != nil {
				t.Fatalf("TakeCheckpoint: %v", err)
			}
			for _, q := range tc.sql {
				exec(t, q)
			}
			if tc.tamper != nil {
				tc.tamper(t, exec, rs)
			}

			without, err := consent.Verify(t.Context(), s)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if without.Problem != tc.without {
				t.Errorf("Verify without keys: %s; want problem %q", without, tc.without)
			}
			o := consent.VerifyOptions{Keys: keys}
			if tc.useCkpt {
				o.Checkpoint = &ckpt
			}
			with, err := consent.VerifyWith(t.Context(), s, o)
			if err != nil {
				t.Fatalf("VerifyWith: %v", err)
			}
			if with.Problem != tc.with || (tc.with != "" && with.Seq != tc.seq) {
				t.Errorf("VerifyWith keys: %s; want problem %q at seq %d", with, tc.with, tc.seq)
			}
			if tc.with == "" && (with.Keyed != 5 || with.Unkeyed != 0 || with.Unchecked != 0) {
				t.Errorf("VerifyWith keys on an intact keyed ledger: keyed %d, unkeyed %d, unchecked %d; want 5, 0, 0", with.Keyed, with.Unkeyed, with.Unchecked)
			}
		})
	}
}

func keyOf(t *testing.T, keys consent.KeyProvider, id string) []byte {
	t.Helper()
	k, err := keys.Key(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}
