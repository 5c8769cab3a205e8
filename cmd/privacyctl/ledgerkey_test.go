package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy/consent"
)

// TestLedgerKeysAndCheckpoint: with --key-file the ledger's records are
// sealed, ledger checkpoint signs the head, and ledger verify checks a copy
// against the checkpoint: a record appended since is fine, a checkpoint of
// another ledger is evidence against the copy (exit 1), and a keyed ledger
// refuses an append without its keys.
func TestLedgerKeysAndCheckpoint(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "ledger.keys")
	if err := os.WriteFile(keyFile, []byte("k1 "+strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	grant := func(subject string, extra ...string) (int, string) {
		args := append([]string{"consent", "grant", "--db", db, "--subject", subject, "--purpose", "research.surveys", "--method", "checkbox"}, extra...)
		code, _, errs := ctl(t, "", args...)
		return code, errs
	}
	if code, errs := grant("u-1", "--key-file", keyFile); code != exitOK {
		t.Fatalf("grant with keys: exit %d: %s", code, errs)
	}
	if code, errs := grant("u-2"); code == exitOK {
		t.Errorf("grant without the keys of a keyed ledger: exit 0, want a refusal")
	} else if !strings.Contains(errs, strings.TrimSuffix(consent.ErrKeyRequired.Error(), ": open the store with its keys")) {
		t.Logf("refusal: %s", errs)
	}

	cpFile := filepath.Join(dir, "checkpoint.json")
	if code, _, errs := ctl(t, "", "ledger", "checkpoint", "--db", db, "--out", cpFile); code != exitUsage {
		t.Errorf("checkpoint without keys: exit %d (%s), want %d", code, errs, exitUsage)
	}
	if code, _, errs := ctl(t, "", "ledger", "checkpoint", "--db", db, "--key-file", keyFile, "--out", cpFile); code != exitOK {
		t.Fatalf("checkpoint: exit %d: %s", code, errs)
	}
	if code, errs := grant("u-3", "--key-file", keyFile); code != exitOK {
		t.Fatalf("grant after the checkpoint: exit %d: %s", code, errs)
	}
	if code, out, errs := ctl(t, "", "ledger", "verify", "--db", db, "--key-file", keyFile, "--checkpoint", cpFile); code != exitOK {
		t.Errorf("verify against the checkpoint: exit %d: %s %s", code, out, errs)
	}
	if code, _, _ := ctl(t, "", "ledger", "verify", "--db", db, "--checkpoint", cpFile); code != exitUsage {
		t.Errorf("verify --checkpoint without keys: exit %d, want %d", code, exitUsage)
	}

	// A checkpoint of another ledger, signed with the same key: the copy
	// does not hold its head.
	other := newDB(t)
	for _, s := range []string{"x-1", "x-2"} {
		if code, _, errs := ctl(t, "", "consent", "grant", "--db", other, "--subject", s, "--purpose", "research.surveys", "--method", "checkbox", "--key-file", keyFile); code != exitOK {
			t.Fatalf("grant in the other ledger: exit %d: %s", code, errs)
		}
	}
	otherCP := filepath.Join(dir, "other.json")
	if code, _, errs := ctl(t, "", "ledger", "checkpoint", "--db", other, "--key-file", keyFile, "--out", otherCP); code != exitOK {
		t.Fatalf("checkpoint of the other ledger: exit %d: %s", code, errs)
	}
	if code, out, errs := ctl(t, "", "ledger", "verify", "--db", db, "--key-file", keyFile, "--checkpoint", otherCP); code != exitFailure {
		t.Errorf("verify against another ledger's checkpoint: exit %d (%s %s), want %d", code, out, errs, exitFailure)
	}
}

// TestVerifyWithAnotherKeyring: a keyring without the ledger's key cannot
// check it: exit 1 (not verified), saying so, and not calling the ledger
// broken, which would read as evidence of tampering.
func TestVerifyWithAnotherKeyring(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	keyFile, otherFile := filepath.Join(dir, "ledger.keys"), filepath.Join(dir, "other.keys")
	if err := os.WriteFile(keyFile, []byte("k1 "+strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherFile, []byte("k9 "+strings.Repeat("cd", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox", "--key-file", keyFile); code != exitOK {
		t.Fatalf("grant: exit %d: %s", code, errs)
	}
	code, out, errs := ctl(t, "", "ledger", "verify", "--db", db, "--key-file", otherFile, "-o", "text")
	if code != exitFailure {
		t.Fatalf("verify with another keyring: exit %d (%s), want %d", code, errs, exitFailure)
	}
	for _, s := range []string{out, errs} {
		if strings.Contains(s, "broken") || strings.Contains(s, "NOT intact") {
			t.Errorf("verify with another keyring reads %q: it must not call the ledger broken", s)
		}
	}
	if !strings.Contains(out, "could NOT be verified") {
		t.Errorf("verify with another keyring printed %q, want it to say the ledger could not be verified", out)
	}
}
