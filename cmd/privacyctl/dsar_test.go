package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
)

func TestDSARObjectionThroughTheCLI(t *testing.T) {
	db := newDB(t)
	code, out, errs := ctl(t, "", "dsar", "open", "--db", db, "--kind", "objection", "--subject", "u-9", "--all-marketing")
	if code != exitOK {
		t.Fatalf("dsar open = %d; stderr %s", code, errs)
	}
	var r struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Due    string `json:"due"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.ID == "" || r.Status != "received" || r.Due == "" {
		t.Fatalf("dsar open printed %s (%v), want a received request with an id and a due date", out, err)
	}
	// Nothing happens before identity is verified.
	if code, _, _ := ctl(t, "", "dsar", "run", "--db", db, "--id", r.ID); code == exitOK {
		t.Fatal("dsar run before verification succeeded")
	}
	if code, _, errs := ctl(t, "", "dsar", "verify", "--db", db, "--id", r.ID, "--method", "login_session", "--by", "desk"); code != exitOK {
		t.Fatalf("dsar verify = %d; %s", code, errs)
	}
	if code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", r.ID); code != exitOK || !strings.Contains(out, `"status": "completed"`) {
		t.Fatalf("dsar run = %d %s %s", code, out, errs)
	}
	announce := `{"subject":{"id":"u-9","kind":"user"},"purpose":"marketing.announcements","data":["instance.contact.email"]}`
	_, out, _ = ctl(t, announce, "decide", "--db", db)
	if diff := cmp.Diff([]string{privacy.ReasonObjectionActive}, decision(t, out).Codes()); diff != "" {
		t.Fatalf("decision after the objection request (-want +got):\n%s", diff)
	}
	_, out, _ = ctl(t, "", "dsar", "list", "--db", db, "--subject", "u-9")
	if !strings.Contains(out, r.ID) {
		t.Fatalf("dsar list does not show %s: %s", r.ID, out)
	}
	_, out, _ = ctl(t, "", "dsar", "show", "--db", db, "--id", r.ID)
	if !strings.Contains(out, `"trail"`) || !strings.Contains(out, "verified") {
		t.Fatalf("dsar show lacks the audit trail: %s", out)
	}
}

func TestDSARGuestRequestIsForwarded(t *testing.T) {
	db := newDB(t)
	_, out, _ := ctl(t, "", "dsar", "open", "--db", db, "--kind", "erasure", "--subject", "g-1", "--subject-kind", "guest", "--controller", "acme")
	var r struct{ ID string }
	_ = json.Unmarshal([]byte(out), &r)
	code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", r.ID)
	if code != exitOK || !strings.Contains(out, `"status": "forwarded"`) || !strings.Contains(errs, "controller acme") {
		t.Fatalf("guest erasure: exit %d, stdout %s, stderr %s; want forwarded to acme", code, out, errs)
	}
	if strings.Contains(errs, "g-1") || !strings.Contains(errs, r.ID) {
		t.Errorf("the forward notice %q names the subject or not the request %s: personal data stays in", errs, r.ID)
	}
	if code, out, _ := ctl(t, "", "dsar", "instruct", "--db", db, "--id", r.ID, "--by", "dpo@acme", "--decline"); code != exitOK || !strings.Contains(out, `"status": "rejected"`) {
		t.Fatalf("decline: %d %s", code, out)
	}
}

func TestDSARBadInput(t *testing.T) {
	db := newDB(t)
	for _, args := range [][]string{
		{"dsar", "open", "--db", db, "--kind", "teleport", "--subject", "u"},
		{"dsar", "open", "--db", db, "--kind", "access"},
		{"dsar", "show", "--db", db},
		{"dsar", "extend", "--db", db, "--id", "x", "--by", "me"},
		{"dsar", "instruct", "--db", db, "--id", "x", "--by", "me"},
		{"dsar", "open", "--db", db, "--kind", "rectification", "--subject", "u"},
		{"dsar", "open", "--db", db, "--kind", "rectification", "--subject", "u", "--correct", "no-equals-sign"},
		{"dsar", "open", "--db", db, "--kind", "rectification", "--subject", "u", "--correct", "nope=x"},
	} {
		if code, _, errs := ctl(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errs)
		}
	}
	if code, _, _ := ctl(t, "", "dsar", "show", "--db", db, "--id", "nope"); code == exitOK {
		t.Error("dsar show of an unknown id succeeded")
	}
}

// TestDSARRectificationOpens checks that a rectification takes its
// corrections from --correct, and that running it without the services'
// sources says what is missing.
func TestDSARRectificationOpens(t *testing.T) {
	db := newDB(t)
	code, out, errs := ctl(t, "", "dsar", "open", "--db", db, "--kind", "rectification", "--subject", "u-1",
		"--correct", "instance.contact.email=ann@example.com", "--correct", "instance.account.username=ann", "--print-id")
	if code != exitOK {
		t.Fatalf("dsar open = %d: %s", code, errs)
	}
	id := strings.TrimSpace(out)
	_, out, _ = ctl(t, "", "dsar", "show", "--db", db, "--id", id)
	if !strings.Contains(out, `"value": "ann@example.com"`) || !strings.Contains(out, "instance.account.username") {
		t.Errorf("dsar show lacks the corrections:\n%s", out)
	}
	ctl(t, "", "dsar", "verify", "--db", db, "--id", id, "--method", "login_session", "--by", "desk")
	if code, _, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", id); code != exitUsage || !strings.Contains(errs, "--dataset") {
		t.Errorf("dsar run without sources = %d %q; want 2 asking for --dataset", code, errs)
	}
}

// TestDiffNoticeJSON: catalog diff-notice -o json prints the findings as a
// JSON array a script can read, and still exits 1 on findings.
func TestDiffNoticeJSON(t *testing.T) {
	notice := filepath.Join(t.TempDir(), "notice.txt")
	if err := os.WriteFile(notice, []byte("# Privacy\n\nWe sell your email address to advertisers.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := ctl(t, "", "catalog", "diff-notice", "-o", "json", notice)
	var findings []struct{ Kind, Key, Message, Article, Section, Quote string }
	if err := json.Unmarshal([]byte(out), &findings); err != nil || code != exitFailure || len(findings) == 0 || findings[0].Kind == "" {
		t.Fatalf("diff-notice -o json: exit %d, stdout %q (%v), stderr %s; want a JSON array of findings and exit 1", code, out, err, errs)
	}
}
