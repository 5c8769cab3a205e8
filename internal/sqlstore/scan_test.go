package sqlstore

import (
	"database/sql"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/privacykit/privacy/consent"
)

// TestScanUnpacksStoredRecords: every record a store appends comes
// through Scan's packed read, not the slower read again of a value
// unpack does not understand (which would give the same records, so no
// public test sees it), on every engine that packs (Dialect.packedScan).
func TestScanUnpacksStoredRecords(t *testing.T) {
	t.Parallel()
	engines := map[string]func(t *testing.T) (*sql.DB, Dialect){
		"sqlite": func(t *testing.T) (*sql.DB, Dialect) {
			db, err := sql.Open("sqlite", ":memory:?_txlock=immediate")
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			return db, SQLite()
		},
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db, d := open(t)
			if !d.packedScan {
				t.Fatalf("%s does not pack", name)
			}
			t.Cleanup(func() { db.Close() })
			stores, err := OpenStores(t.Context(), db, d, StoresOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := stores.ConsentStore()
			at := time.Date(2026, 12, 3, 12, 0, 0, 123456789, time.UTC)
			rs := []consent.Record{
				{SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given, PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: at},
				{SubjectID: "u-2", Purpose: "referral", Event: consent.Given, PolicyVersion: "2.0.1", Method: consent.MethodCheckbox, CollectedAt: at,
					ExpiresAt: at.Add(time.Hour), Guardian: true, Categories: []string{"email", "phone"}, Controller: "ACME: \"x\"",
					NoticeHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Act: consent.ActButton,
					CollectedBy: "web", Language: "fr", Jurisdiction: "FR"},
				{SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Withdrawn, Method: consent.MethodAPI, CollectedAt: at.Add(time.Minute)},
			}
			if _, err := s.AppendBatch(t.Context(), rs); err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryContext(t.Context(), scanQuery, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var (
					seq    int64
					packed string
				)
				if err := rows.Scan(&seq, &packed); err != nil {
					t.Fatal(err)
				}
				var r consent.Record
				if !unpack(&r, packed) {
					t.Errorf("record %d: unpack does not understand %q", seq, packed)
				}
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(rs) {
				t.Errorf("read %d records, want %d", n, len(rs))
			}
		})
	}
}
