package main

import (
	"encoding/json"
	"path/filepath"
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
