package consent_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
)

const (
	hex1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	hex2 = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	kr, err := consent.ParseKeyring("# ledger keys\nold " + hex1 + "\n\nnew " + hex2 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := kr.CurrentKey(t.Context()); k.ID != "new" {
		t.Errorf("current key %q, want the last, new", k.ID)
	}
	if k, err := kr.Key(t.Context(), "old"); err != nil || k.Secret[1] != 1 {
		t.Errorf("Key(old): %v %v", k, err)
	}
	if _, err := kr.Key(t.Context(), "gone"); !errors.Is(err, consent.ErrUnknownKey) {
		t.Errorf("Key(gone): %v, want ErrUnknownKey", err)
	}
	for name, text := range map[string]string{
		"empty":        "# nothing\n",
		"short secret": "k 0011",
		"not hex":      "k " + strings.Repeat("z", 64),
		"bad id":       "k/1 " + hex1,
		"id twice":     "k " + hex1 + ";k " + hex2,
		"three fields": "k " + hex1 + " extra",
	} {
		if _, err := consent.ParseKeyring(text); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), hex1) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

func TestLoadKeyFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.keys")
	if err := os.WriteFile(path, []byte("k1 "+hex1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := consent.LoadKeyFile(path); err != nil {
		t.Errorf("LoadKeyFile: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := consent.LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "anyone may read") {
		t.Errorf("LoadKeyFile of a world-readable file: %v", err)
	}
	if _, err := consent.LoadKeyFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadKeyFile of a missing file: no error")
	}
	if _, err := consent.LoadKeyFile(dir); err == nil {
		t.Error("LoadKeyFile of a directory: no error")
	}
	t.Setenv("TEST_LEDGER_KEYS", "k1 "+hex1+"; k2 "+hex2)
	kr, err := consent.KeysFromEnv("TEST_LEDGER_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := kr.CurrentKey(t.Context()); k.ID != "k2" {
		t.Errorf("current key from env %q, want k2", k.ID)
	}
	if _, err := consent.KeysFromEnv("TEST_LEDGER_KEYS_UNSET"); err == nil {
		t.Error("KeysFromEnv of an unset variable: no error")
	}
}

// TestKeyedLedgerAndCheckpoint: a keyed memory ledger verifies with its
// keys, across a rotation; a checkpoint signed earlier pins its head, and
// a changed checkpoint is refused.
func TestKeyedLedgerAndCheckpoint(t *testing.T) {
	t.Parallel()
	k1, _ := consent.ParseKeyring("k1 " + hex1)
	s := memory.NewConsentStore(memory.WithKeys(k1))
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	g := func(id string) {
		if _, err := consent.Grant(t.Context(), s, privacy.DefaultCatalog(), consent.Record{SubjectID: id, Purpose: "research.surveys",
			PolicyVersion: "1.2", Act: consent.ActButton, CollectedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	g("u-1")
	g("u-2")
	ckpt, rep, err := consent.TakeCheckpoint(t.Context(), s, k1, at.Add(time.Hour))
	if err != nil || ckpt.Seq != 2 || ckpt.KeyID != "k1" || rep.Keyed != 2 {
		t.Fatalf("TakeCheckpoint: %+v %s, %v", ckpt, rep, err)
	}
	// The checkpoint travels as JSON.
	b, _ := json.Marshal(ckpt)
	back, err := consent.ReadCheckpoint(strings.NewReader(string(b)))
	if err != nil || back != ckpt {
		t.Fatalf("ReadCheckpoint: %+v, %v", back, err)
	}
	if _, err := consent.ReadCheckpoint(strings.NewReader(strings.Repeat(" ", 5000))); err == nil {
		t.Error("ReadCheckpoint of 5000 bytes: no error")
	}

	// Rotation: both keys verify.
	both, _ := consent.ParseKeyring("k1 " + hex1 + ";k2 " + hex2)
	rotated := memory.NewConsentStore(memory.WithKeys(both))
	if _, err := rotated.Append(t.Context(), consent.Record{SubjectID: "u-3", Purpose: "referral", Event: consent.Refused, CollectedAt: at}); err != nil {
		t.Fatal(err)
	}
	if rep, err := consent.VerifyWith(t.Context(), rotated, consent.VerifyOptions{Keys: both}); err != nil || !rep.Intact || rep.Keyed != 1 {
		t.Errorf("VerifyWith after rotation: %s, %v", rep, err)
	}
	if rep, err := consent.VerifyWith(t.Context(), rotated, consent.VerifyOptions{Keys: k1}); err != nil || rep.Problem != consent.Unverifiable {
		t.Errorf("VerifyWith without the new key: %s, %v; want unverifiable", rep, err)
	} else if msg := rep.String(); strings.Contains(msg, "broken") || !strings.Contains(msg, "not a sign of tampering") {
		// A keyring without the key is not evidence of a change.
		t.Errorf("unverifiable report reads %q: it must not call the ledger broken", msg)
	}
	rep, err = consent.VerifyWith(t.Context(), s, consent.VerifyOptions{Keys: both, Checkpoint: &ckpt})
	if err != nil || !rep.Intact || !rep.Checkpoint || rep.Keyed != 2 {
		t.Errorf("VerifyWith checkpoint: %s (checkpoint %v), %v", rep, rep.Checkpoint, err)
	}
	// Without keys, keyed records are only chained.
	if rep, err := consent.Verify(t.Context(), s); err != nil || !rep.Intact || rep.Unchecked != 2 || rep.Keyed != 0 {
		t.Errorf("Verify without keys: %s (unchecked %d), %v", rep, rep.Unchecked, err)
	}
	// A checkpoint whose head was changed, or checked with another key,
	// is refused.
	forged := ckpt
	forged.Seq = 1
	if _, err := consent.VerifyWith(t.Context(), s, consent.VerifyOptions{Keys: both, Checkpoint: &forged}); err == nil {
		t.Error("VerifyWith a changed checkpoint: no error")
	}
	other, _ := consent.ParseKeyring("k1 " + hex2)
	if _, err := consent.VerifyWith(t.Context(), s, consent.VerifyOptions{Keys: other, Checkpoint: &ckpt}); err == nil {
		t.Error("VerifyWith a checkpoint under another key: no error")
	}
	if _, err := consent.VerifyWith(t.Context(), s, consent.VerifyOptions{Checkpoint: &ckpt}); err == nil {
		t.Error("VerifyWith a checkpoint without keys: no error")
	}
	// A ledger grown since the checkpoint still meets it.
	g("u-4")
	if rep, err := consent.VerifyWith(t.Context(), s, consent.VerifyOptions{Keys: k1, Checkpoint: &ckpt}); err != nil || !rep.Intact || rep.Checked != 3 {
		t.Errorf("VerifyWith an older checkpoint: %s, %v", rep, err)
	}
}
