package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
)

func writeBundleDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBundleFlag(t *testing.T) {
	freeze := "package privacy.ext.freeze\n\ndeny contains {\"code\": \"ext.freeze\", \"message\": \"frozen\"} if input.request.purpose == \"support\"\n"
	good := writeBundleDir(t, map[string]string{"catalog.yaml": string(privacy.ReferenceCatalogYAML()), "freeze.rego": freeze})
	broken := writeBundleDir(t, map[string]string{"catalog.yaml": string(privacy.ReferenceCatalogYAML()),
		"bad.rego": "package privacy.ext.bad\n\ndeny contains x if { x := nope(1) }\n"})
	badCatalog := writeBundleDir(t, map[string]string{"catalog.yaml": "policy_version: nope\n"})
	db := newDB(t)
	req := `{"subject": {"id": "u-1", "kind": "user"}, "purpose": "support", "data": ["instance.contact.email"]}`

	tests := []struct {
		name      string
		stdin     string
		args      []string
		wantCode  int
		wantOut   string
		wantErr   string
		wantCodes []string
	}{
		{"decide with a bundle", req, []string{"decide", "--db", db, "--bundle", good}, exitOK, "", "", []string{"ext.freeze"}},
		{"check a bundle", "", []string{"catalog", "check", "--bundle", good}, exitOK, "ok: bundle " + good + ": policy 1.2", "", nil},
		{"check a bundle that does not compile", "", []string{"catalog", "check", "--bundle", broken}, exitUsage, "", "bad.rego", nil},
		{"decide with an invalid catalog", req, []string{"decide", "--db", db, "--bundle", badCatalog}, exitUsage, "", "policy_version", nil},
		{"bundle and catalog", req, []string{"decide", "--db", db, "--bundle", good, "--catalog", "x.yaml"}, exitUsage, "", "give one", nil},
		{"missing bundle", req, []string{"decide", "--db", db, "--bundle", filepath.Join(t.TempDir(), "none")}, exitUsage, "", "--bundle", nil},
		{"notice from a bundle", "", []string{"catalog", "notice", "--bundle", good}, exitOK, "# Privacy policy 24sessions", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := ctl(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.wantCode, out, errs)
			}
			if !strings.Contains(out, tc.wantOut) || !strings.Contains(errs, tc.wantErr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", out, tc.wantOut, errs, tc.wantErr)
			}
			if code == exitUsage && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("bad input must print one line, got:\n%s", errs)
			}
			if tc.wantCodes != nil {
				if diff := cmp.Diff(tc.wantCodes, decision(t, out).Codes()); diff != "" {
					t.Errorf("decision codes (-want +got):\n%s", diff)
				}
			}
		})
	}
}
