package main

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/privacykit/privacy/dsar"
)

// TestDSAROffboard: dsar offboard --return prints the offboarding record
// with acme's guest data and deletes it from the service's tables (Art.
// 28(3)(g)); dsar returned deletes the copy the record held; the choice is
// required and exclusive.
func TestDSAROffboard(t *testing.T) {
	db := newDB(t)
	svc := serviceDB(t, filepath.Join(t.TempDir(), "service.db"))
	args := func(extra ...string) []string {
		return append([]string{"dsar", "offboard", "--db", db, "--dataset", sampleDataset, "--dataset-dsn", svc, "--controller", "acme", "--by", "ops"}, extra...)
	}
	if code, _, errs := ctl(t, "", args()...); code != exitUsage || !strings.Contains(errs, "--return or --delete") {
		t.Errorf("offboard without a choice: exit %d %s", code, errs)
	}
	typo := []string{"dsar", "offboard", "--db", db, "--dataset", sampleDataset, "--dataset-dsn", svc, "--controller", "acmee", "--by", "ops", "--delete"}
	if code, out, errs := ctl(t, "", typo...); code != exitNotFound || !strings.Contains(errs, "acmee") || out != "" {
		t.Errorf("offboard of a mistyped controller: exit %d %q %s; want exit 3 naming it and no record", code, out, errs)
	}
	code, out, errs := ctl(t, "", args("--return", "--reference", "termination 2026-88")...)
	if code != exitOK {
		t.Fatalf("offboard --return: exit %d %s", code, errs)
	}
	var r dsar.Request
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("offboard output: %v\n%s", err, out)
	}
	if r.Kind != dsar.KindOffboarding || r.Status != dsar.StatusCompleted || len(r.Sources) != 1 || !strings.Contains(out, "gail@guest.example") || strings.Contains(out, "Gus G.") {
		t.Fatalf("offboarding record: want acme's guests returned (not globex's), got %s", out)
	}
	code, out, errs = ctl(t, "", args("--return")...)
	if code != exitOK || strings.Contains(out, "gail@guest.example") {
		t.Errorf("offboard again: exit %d %s; want nothing left to return", code, errs)
	}
	code, out, errs = ctl(t, "", "dsar", "returned", "--db", db, "--id", r.ID, "--by", "ops")
	if code != exitOK || strings.Contains(out, "gail@guest.example") || !strings.Contains(out, `"returned"`) {
		t.Errorf("dsar returned: exit %d %s %s", code, out, errs)
	}
	if code, _, errs := ctl(t, "", "dsar", "returned", "--db", db, "--id", r.ID, "--by", "ops"); code == exitOK {
		t.Errorf("dsar returned twice: exit 0 %s", errs)
	}
}

// TestDSAROffboardKeepsAGuestUnderAHold: a legal hold placed with
// retention hold on one of acme's guests keeps his contact data through
// dsar offboard --delete (the rest of his data and the other guest's go);
// the record names the hold and counts one subject, and names no guest.
func TestDSAROffboardKeepsAGuestUnderAHold(t *testing.T) {
	db := newDB(t)
	svc := serviceDB(t, filepath.Join(t.TempDir(), "service.db"))
	code, out, errs := ctl(t, "", "retention", "hold", "--db", db, "--subject", "gus@guest.example", "--category", "guest.contact", "--by", "legal@operator.example", "--reason", "dispute 2026-17")
	if code != exitOK {
		t.Fatalf("retention hold: exit %d %s", code, errs)
	}
	var hold struct{ ID string }
	if err := json.Unmarshal([]byte(out), &hold); err != nil || hold.ID == "" {
		t.Fatalf("retention hold output: %v %s", err, out)
	}
	code, out, errs = ctl(t, "", "dsar", "offboard", "--db", db, "--dataset", sampleDataset, "--dataset-dsn", svc, "--controller", "acme", "--by", "ops", "--delete")
	if code != exitOK {
		t.Fatalf("offboard --delete: exit %d %s", code, errs)
	}
	var r dsar.Request
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("offboard output: %v\n%s", err, out)
	}
	if strings.Contains(out+errs, "gus@guest.example") || strings.Contains(out+errs, "gail@guest.example") {
		t.Errorf("the offboarding record names a guest: %s %s", out, errs)
	}
	if !slices.ContainsFunc(r.Exemptions, func(e dsar.Exemption) bool {
		return e.Category == "guest.contact.email" && e.Subjects == 1 && strings.Contains(e.Reason, "legal hold "+hold.ID)
	}) {
		t.Errorf("exemptions %+v: want guest.contact.email of 1 subject under hold %s", r.Exemptions, hold.ID)
	}
	sdb, err := sql.Open("sqlite", "file:"+svc)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var rows []string
	res, err := sdb.QueryContext(t.Context(), "SELECT id, email, coalesce(ip_address, 'NULL') FROM meeting_guests ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	for res.Next() {
		var id, email, ip string
		if err := res.Scan(&id, &email, &ip); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, id+" "+email+" "+ip)
	}
	want := []string{"1 gus@guest.example NULL", "2 gus@guest.example 198.51.100.8"}
	if !slices.Equal(rows, want) {
		t.Errorf("guest rows after offboarding acme: %q, want %q (Gus's contact kept at acme, his globex row whole, Gail's gone)", rows, want)
	}
}
