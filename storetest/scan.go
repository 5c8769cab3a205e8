package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy/consent"
)

// scanTextColumns are the text columns of privacy_consent_records.
var scanTextColumns = []string{"record_id", "subject_id", "subject_ref", "controller", "purpose", "categories",
	"event", "policy_version", "notice_hash", "method", "collected_by", "language", "jurisdiction",
	"prev_hash", "hash", "act", "key_id"}

// RunScanAsStored checks that Scan, which Verify reads the ledger with,
// returns every record as Record returns it, whatever its text columns
// hold: records are written by hand with each value of values (passed as
// parameters) and of exprs (SQL expressions of the engine, such as a
// BLOB), in each text column in turn, and with each expression of
// numbers in the number column it is listed under (collected_at,
// expires_at, guardian), where Scan must also fail where Record fails.
// The records need not be valid or chained: Scan returns records as
// stored. open returns an empty ledger and a way to run SQL on its
// database.
func RunScanAsStored(t *testing.T, open func(t *testing.T) (consent.Ledger, Exec), values, exprs []string, numbers map[string][]string) {
	t.Parallel()
	s, exec := open(t)
	values = append([]string{"", "a", "12:ab", ":", "0:", "3:abc", "99999999999:", "héllo wörld ✓", "tab\there",
		"line\nbreak", `quote"'\`, "\u2028", "\x7f", strings.Repeat("x", 5000)}, values...)
	seq := int64(0)
	// insert writes a record whose column col is v: a parameter, or SQL
	// when expr is set.
	insert := func(col, v string, expr bool) string {
		seq++
		id := fmt.Sprintf("rec-%d", seq)
		vals := map[string]any{"seq": seq, "record_id": id, "subject_id": "u-1", "subject_ref": "", "controller": "",
			"purpose": "research.surveys", "categories": "[]", "event": "given", "policy_version": "1.2", "notice_hash": "",
			"method": "checkbox", "collected_by": "", "language": "", "jurisdiction": "", "collected_at": base().UnixNano() + seq,
			"guardian": seq%2 == 0, "expires_at": nil, "prev_hash": "", "hash": "h", "act": "", "key_id": ""}
		if col == "categories" && !expr {
			j, _ := json.Marshal([]string{v}) // a JSON array that holds v
			v = string(j)
		}
		cols := append(append([]string{"seq"}, scanTextColumns...), "collected_at", "guardian", "expires_at")
		var (
			place []string
			args  []any
		)
		for _, c := range cols {
			switch {
			case c == col && expr:
				place = append(place, v)
				continue
			case c == col && c == "record_id":
				id = v + "#" + id // unique
				args = append(args, id)
			case c == col:
				args = append(args, v)
			default:
				args = append(args, vals[c])
			}
			place = append(place, fmt.Sprintf("$%d", len(args)))
		}
		exec(t, `INSERT INTO privacy_consent_records (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(place, ", ")+`)`, args...)
		return id
	}
	var ids []string
	for _, col := range scanTextColumns {
		for _, v := range values {
			ids = append(ids, insert(col, v, false))
		}
		if col == "record_id" || col == "categories" {
			continue // a record is looked up by its id; categories must be JSON
		}
		for _, e := range exprs {
			ids = append(ids, insert(col, e, true))
		}
	}
	// One with an expiry, one with categories.
	ids = append(ids, insert("categories", `'["email","phone:home"]'`, true))
	exec(t, `UPDATE privacy_consent_records SET expires_at = $1 WHERE seq = $2`, base().UnixNano()+1e12, seq)

	got := scanAll(t, s, 0)
	if len(got) != len(ids) {
		t.Fatalf("Scan returned %d records, want %d", len(got), len(ids))
	}
	for i, id := range ids {
		want, err := s.Record(t.Context(), id)
		if err != nil {
			t.Fatalf("Record(%q): %v", id, err)
		}
		if diff := cmp.Diff(want, got[i], cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("record %d: Scan differs from Record (-Record +Scan):\n%s", i+1, diff)
		}
	}

	// Numbers as each engine may hold them: Scan reads what Record reads,
	// and fails where it fails.
	for _, col := range []string{"collected_at", "expires_at", "guardian"} {
		for _, e := range numbers[col] {
			id := insert(col, e, true)
			want, wantErr := s.Record(t.Context(), id)
			var got []consent.Record
			gotErr := s.Scan(t.Context(), seq-1, func(r consent.Record) error {
				got = append(got, r)
				return nil
			})
			switch {
			case (wantErr == nil) != (gotErr == nil):
				t.Errorf("%s = %s: Record: %v; Scan: %v", col, e, wantErr, gotErr)
			case wantErr == nil && len(got) != 1:
				t.Errorf("%s = %s: Scan returned %d records, want 1", col, e, len(got))
			case wantErr == nil:
				if diff := cmp.Diff(want, got[0], cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s = %s: Scan differs from Record (-Record +Scan):\n%s", col, e, diff)
				}
			}
			exec(t, `DELETE FROM privacy_consent_records WHERE seq = $1`, seq)
		}
	}

	// Categories that are no JSON array: Scan fails, as Record does,
	// naming the record.
	bad := insert("categories", `'not json'`, true)
	if _, err := s.Record(t.Context(), bad); err == nil {
		t.Fatal("Record of categories that are no JSON: no error")
	}
	err := s.Scan(t.Context(), 0, func(consent.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Scan over categories that are no JSON: got %v, want an error naming %s", err, bad)
	}
}
