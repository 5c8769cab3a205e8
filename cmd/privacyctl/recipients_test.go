package main

import (
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// TestDSARRecipients: dsar run --decision-log lists, for a restriction,
// the recipients the decision log shows the subject's data went to (Art.
// 19); dsar recipients prints them and dsar notify records each; mistakes
// exit 2 naming the flag.
func TestDSARRecipients(t *testing.T) {
	dir := t.TempDir()
	key := []byte("0123456789abcdef0123456789abcdef")
	keyPath := filepath.Join(dir, "decisions.key")
	var reqs []privacy.Request
	for _, id := range []string{"u-1", "u-2"} {
		reqs = append(reqs, privacy.Request{Subject: privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, Purpose: "support",
			Data: []string{"instance.contact.email"}, Recipient: &privacy.Recipient{ID: "helpdesk-" + id, Kind: privacy.RecipientProcessor, Country: "NL", DPA: true}})
	}
	logPath := decisionLog(t, key, reqs...)
	if err := os.WriteFile(keyPath, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	db := newDB(t)
	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errs := ctl(t, "", append(args, "--db", db)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d; stderr %s", args, code, want, errs)
		}
		return out + errs
	}
	id := strings.TrimSpace(run(exitOK, "dsar", "open", "--subject", "u-1", "--kind", "restriction", "--print-id"))
	run(exitOK, "dsar", "verify", "--id", id, "--method", "login_session", "--by", "support")
	run(exitUsage, "dsar", "run", "--id", id, "--decision-log", logPath)
	run(exitUsage, "dsar", "run", "--id", id, "--decision-log", logPath, "--decision-log-key-file", logPath)
	run(exitOK, "dsar", "run", "--id", id, "--decision-log", logPath, "--decision-log-key-file", keyPath)
	out := run(exitOK, "dsar", "recipients", "--id", id)
	if !strings.Contains(out, `"recipient": "helpdesk-u-1"`) || strings.Contains(out, "helpdesk-u-2") || !strings.Contains(out, `"origin": "disclosure_log"`) {
		t.Errorf("dsar recipients: want u-1's helpdesk only, from the log; got %s", out)
	}
	out = run(exitOK, "dsar", "notify", "--id", id, "--recipient", "helpdesk-u-1", "--by", "privacy-team")
	if !strings.Contains(out, `"notified_at"`) {
		t.Errorf("dsar notify: want the notice marked notified, got %s", out)
	}
	if out := run(exitUsage, "dsar", "notify", "--id", id, "--recipient", "helpdesk-u1", "--by", "privacy-team"); !strings.Contains(out, "did you mean") {
		t.Errorf("dsar notify an unknown recipient: %s", out)
	}
	if out := run(exitOK, "dsar", "show", "--id", id); !strings.Contains(out, "recipient_notified") {
		t.Errorf("dsar show: the trail lacks recipient_notified: %s", out)
	}
}

// decisionLog writes the decision log of an engine that decided reqs, all
// of which it must allow, under key, and returns its path.
func decisionLog(t *testing.T, key []byte, reqs ...privacy.Request) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "decisions.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithDecisionLog(slog.New(slog.NewJSONHandler(f, nil)), key))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if d, err := eng.Decide(t.Context(), r); err != nil || !d.Allowed {
			t.Fatalf("Decide %s: %v %v", r.Purpose, d, err)
		}
	}
	return path
}

// TestDSARAccessListsTheRecipients: dsar run --decision-log of an access
// request prints, in the completed request, the recipients the decision
// log shows the subject's data went to, with the purpose and the time
// (Art. 15(1)(c)); dsar export states them as the export's recipients.
func TestDSARAccessListsTheRecipients(t *testing.T) {
	dir := t.TempDir()
	key := []byte("0123456789abcdef0123456789abcdef")
	keyPath := filepath.Join(dir, "decisions.key")
	if err := os.WriteFile(keyPath, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var reqs []privacy.Request
	for _, id := range []string{"u-1", "u-2"} {
		reqs = append(reqs, privacy.Request{Subject: privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, Purpose: "support",
			Data: []string{"instance.contact.email"}, Recipient: &privacy.Recipient{ID: "helpdesk-" + id, Kind: privacy.RecipientProcessor, Country: "NL", DPA: true}})
	}
	logPath := decisionLog(t, key, reqs...)
	db := newDB(t)
	svc := serviceDB(t, filepath.Join(dir, "service.db"))
	id := request(t, db, "--kind", "access", "--subject", "u-1")
	code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", id, "--dataset", sampleDataset, "--dataset-dsn", svc,
		"--decision-log", logPath, "--decision-log-key-file", keyPath)
	if code != exitOK {
		t.Fatalf("dsar run: exit %d %s", code, errs)
	}
	for _, want := range []string{`"disclosed": {`, `"recipient": "helpdesk-u-1"`, `"purpose": "support"`, `"first": "`, `"last": "`, `"recipients_listed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("dsar run (access) output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "helpdesk-u-2") {
		t.Errorf("dsar run (access) lists another subject's recipient:\n%s", out)
	}
	code, out, errs = ctl(t, "", "dsar", "export", "--db", db, "--id", id)
	if code != exitOK || !strings.Contains(out, `"origin": "disclosure_log"`) || !strings.Contains(out, `"recipient": "helpdesk-u-1"`) {
		t.Errorf("dsar export: exit %d %s; want the recipient from the log\n%s", code, errs, out)
	}
}
