package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/hostile"
)

// TestCatalogCheckDevZero: `privacyctl catalog check /dev/zero` ran out
// of memory; it fails with a usage error naming the file and the limit.
func TestCatalogCheckDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	code, _, errs := ctl(t, "", "catalog", "check", "/dev/zero")
	if code != exitUsage || !strings.Contains(errs, "/dev/zero") || !strings.Contains(errs, "MaxCatalogBytes") {
		t.Errorf("catalog check /dev/zero = %d %q, want %d and an error naming the file and MaxCatalogBytes", code, errs, exitUsage)
	}
}

// TestCommandLineFilesAreBounded: the files the command line reads whole
// (a policy module of --policy DIR, the notice of diff-notice) fail with
// an error naming the file and the limit, not by running out of memory.
func TestCommandLineFilesAreBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.rego")); err != nil {
		t.Skip(err)
	}
	code, _, errs := ctl(t, surveyRequest, "decide", "--policy", dir)
	if code != exitUsage || !strings.Contains(errs, "zero.rego") || !strings.Contains(errs, "MaxModuleBytes") {
		t.Errorf("decide --policy with an endless module = %d %q, want %d naming the file and MaxModuleBytes", code, errs, exitUsage)
	}
	code, _, errs = ctl(t, "", "catalog", "diff-notice", "/dev/zero")
	if code != exitUsage || !strings.Contains(errs, "/dev/zero") || !strings.Contains(errs, "MaxTextBytes") {
		t.Errorf("catalog diff-notice /dev/zero = %d %q, want %d naming the file and MaxTextBytes", code, errs, exitUsage)
	}
}

// TestBundleKeyFlag: with --bundle-key a signed bundle is checked, and a
// bundle changed after signing is refused naming the file.
func TestBundleKeyFlag(t *testing.T) {
	signed := writeBundleDir(t, map[string]string{"catalog.yaml": string(privacy.ReferenceCatalogYAML())})
	if err := hostile.SignBundle(signed, "team secret"); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte("team secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"decide", "--db", newDB(t), "--bundle", signed, "--bundle-key", key, "--bundle-key-alg", "HS256"}
	if code, out, errs := ctl(t, surveyRequest, args...); code != exitOK {
		t.Fatalf("decide with a signed bundle = %d %q %q", code, out, errs)
	}
	if err := os.WriteFile(filepath.Join(signed, "catalog.yaml"), append(privacy.ReferenceCatalogYAML(), "# edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := ctl(t, surveyRequest, args...); code != exitUsage || !strings.Contains(errs, "catalog.yaml: digest mismatch") {
		t.Errorf("decide with a tampered bundle = %d %q, want %d naming catalog.yaml", code, errs, exitUsage)
	}
}
