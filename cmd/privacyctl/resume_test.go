package main

import (
	"strings"
	"testing"
)

// TestDSARResumeNeedsABlockedRequest: dsar resume is for a request the
// desk blocked; on any other it changes nothing and exits 2 naming the
// state, and it asks for what was done and by whom.
func TestDSARResumeNeedsABlockedRequest(t *testing.T) {
	db := newDB(t)
	code, out, errs := ctl(t, "", "dsar", "open", "--db", db, "--subject", "u-1", "--kind", "objection", "--all-marketing", "--print-id")
	if code != exitOK {
		t.Fatalf("dsar open: exit %d: %s", code, errs)
	}
	id := strings.TrimSpace(out)
	if code, _, errs := ctl(t, "", "dsar", "resume", "--db", db, "--id", id, "--by", "ops"); code != exitUsage || !strings.Contains(errs, "--note") {
		t.Errorf("resume without --note: exit %d %q", code, errs)
	}
	if code, _, errs := ctl(t, "", "dsar", "resume", "--db", db, "--id", id, "--note", "fixed", "--by", "ops"); code != exitUsage || !strings.Contains(errs, "received") {
		t.Errorf("resume of a received request: exit %d %q; want 2 naming its state", code, errs)
	}
	if code, out, _ := ctl(t, "", "dsar", "show", "--db", db, "--id", id, "-o", "json"); code != exitOK || !strings.Contains(out, `"status": "received"`) {
		t.Errorf("after a refused resume: exit %d %s", code, out)
	}
}
