package main

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestLedgerVerifyReceiptAndStale(t *testing.T) {
	db := newDB(t)
	_, out, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--version", "1.1")
	var rec struct {
		RecordID string `json:"record_id"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.RecordID == "" {
		t.Fatalf("consent grant printed %q (%s)", out, errs)
	}
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-2", "--purpose", "research.surveys")
	ctl(t, "", "consent", "withdraw", "--db", db, "--subject", "u-2", "--purpose", "research.surveys")

	if code, out, errs := ctl(t, "", "ledger", "verify", "--db", db); code != exitOK || !strings.Contains(out, `"intact": true`) {
		t.Fatalf("ledger verify on an intact ledger = %d %s %s", code, out, errs)
	}

	code, out, errs := ctl(t, "", "consent", "receipt", "--db", db, "--record", rec.RecordID)
	if code != exitOK || !strings.Contains(out, `"KI-CR-v1.1.0"`) || !strings.Contains(out, `"piiPrincipalId"`) || !strings.Contains(out, "research.surveys") {
		t.Fatalf("consent receipt = %d %s %s", code, out, errs)
	}
	if code, _, _ := ctl(t, "", "consent", "receipt", "--db", db, "--record", "nope"); code != exitNotFound {
		t.Errorf("receipt of an unknown record: exit %d, want 3 (not found)", code)
	}

	_, out, _ = ctl(t, "", "consent", "stale", "--db", db, "--purpose", "research.surveys")
	var stale struct{ Subjects []string }
	if err := json.Unmarshal([]byte(out), &stale); err != nil || len(stale.Subjects) != 1 || stale.Subjects[0] != "u-1" {
		t.Fatalf("consent stale = %s, want [u-1] (consent under 1.1, purpose changed in 1.2)", out)
	}

	// Tamper with the first record by hand: verify exits 1 and names it.
	sqldb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.Exec(`UPDATE privacy_consent_records SET policy_version = '1.2' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	sqldb.Close()
	code, out, errs = ctl(t, "", "ledger", "verify", "--db", db)
	if code != exitFailure || !strings.Contains(out, `"intact": false`) || !strings.Contains(out, rec.RecordID) || !strings.Contains(errs, "ledger verify") {
		t.Fatalf("ledger verify after tampering = %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if code, _, _ := ctl(t, "", "ledger", "verify", "--db", db, "--head", "x"); code != exitUsage {
		t.Errorf("bad --head: exit %d, want 2", code)
	}
}

func TestConsentExpire(t *testing.T) {
	db := newDB(t)
	// --at may not be ahead of now (TestConsentExpireNotAhead): the
	// consent lapses half a second from now, and the test waits for it.
	start := time.Now().UTC()
	expires := start.Add(500 * time.Millisecond)
	if code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys",
		"--expires", expires.Format(time.RFC3339Nano)); code != exitOK {
		t.Fatalf("consent grant: exit %d %s", code, errs)
	}
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-2", "--purpose", "research.surveys")

	expire := func(args ...string) int {
		t.Helper()
		code, out, errs := ctl(t, "", append([]string{"consent", "expire", "--db", db}, args...)...)
		var got struct{ Recorded int }
		if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil {
			t.Fatalf("consent expire %v = %d %s %s", args, code, out, errs)
		}
		return got.Recorded
	}
	if n := expire("--at", start.Format(time.RFC3339Nano)); n != 0 {
		t.Errorf("before the expiry: recorded %d", n)
	}
	time.Sleep(time.Until(expires) + 10*time.Millisecond)
	if n := expire(); n != 1 {
		t.Errorf("after the expiry: recorded %d, want 1", n)
	}
	if n := expire(); n != 0 {
		t.Errorf("again: recorded %d, want 0", n)
	}
	_, out, _ := ctl(t, "", "consent", "show", "--db", db, "--subject", "u-1")
	if !strings.Contains(out, `"expired"`) || !strings.Contains(out, "privacykit:expiry") {
		t.Errorf("consent show after the expiry lacks the expiry record:\n%s", out)
	}
	if code, out, _ := ctl(t, "", "ledger", "verify", "--db", db); code != exitOK || !strings.Contains(out, `"intact": true`) {
		t.Errorf("ledger verify after expiries = %d %s", code, out)
	}
	if code, _, errs := ctl(t, "", "consent", "expire", "--db", db, "--at", "tomorrow"); code != exitUsage || !strings.Contains(errs, "--at") {
		t.Errorf("bad --at: exit %d %s", code, errs)
	}
}
