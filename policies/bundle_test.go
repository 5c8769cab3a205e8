package policies_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// freeze is an extension module that denies every announcement.
const freeze = `package privacy.ext.freeze

deny contains {"code": "ext.freeze", "message": "announcements are frozen"} if {
	input.request.purpose == "marketing.announcements"
}
`

// writeBundle writes files into a new bundle directory and returns it.
func writeBundle(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeTarball writes files as a .tar.gz bundle and returns its path.
func writeTarball(t *testing.T, files map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, src := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(src)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, gz, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func reference() string { return string(privacy.ReferenceCatalogYAML()) }

func announcement() privacy.Request {
	return privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
		Purpose: "marketing.announcements",
		Data:    []string{"instance.contact.email"},
	}
}

func TestLoadBundle(t *testing.T) {
	good := map[string]string{
		"catalog.yaml":         reference(),
		"ext/freeze.rego":      freeze,
		"ext/freeze_test.rego": "package privacy.ext.freeze_test\n\ntest_x if true\n",
		".manifest":            `{"revision": "r42"}`,
	}
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		modules []string
		wantErr string
	}{
		{"directory", func(t *testing.T) string { return writeBundle(t, good) }, []string{"ext/freeze.rego"}, ""},
		{"tarball", func(t *testing.T) string { return writeTarball(t, good) }, []string{"ext/freeze.rego"}, ""},
		{"no catalog", func(t *testing.T) string { return writeBundle(t, map[string]string{"x.rego": freeze}) }, nil, "no catalog.yaml"},
		{"invalid catalog", func(t *testing.T) string {
			return writeBundle(t, map[string]string{"catalog.yaml": strings.Replace(reference(), "policy_version:", "policy_versio:", 1)})
		}, nil, `policy_versio: unknown field`},
		{"data document", func(t *testing.T) string {
			return writeBundle(t, map[string]string{"catalog.yaml": reference(), "other/data.json": `{"a": 1}`})
		}, nil, "data documents [other]"},
		{"module syntax error", func(t *testing.T) string {
			return writeBundle(t, map[string]string{"catalog.yaml": reference(), "bad.rego": "package privacy.ext.bad\n\ndeny contains if {\n"})
		}, nil, "bad.rego"},
		{"missing path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, nil, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := policies.LoadBundle(t.Context(), tc.path(t))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadBundle error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for n := range b.Modules {
				names = append(names, n)
			}
			if diff := cmp.Diff(tc.modules, names); diff != "" {
				t.Errorf("modules (-want +got):\n%s", diff)
			}
			if b.Revision != "r42" || b.Catalog.PolicyVersion != "1.2" {
				t.Errorf("revision %q, policy version %q; want r42, 1.2", b.Revision, b.Catalog.PolicyVersion)
			}
		})
	}
}

func TestLoadBundleCatalogErrorIsTyped(t *testing.T) {
	dir := writeBundle(t, map[string]string{"catalog.yaml": "policy_version: x\n"})
	_, err := policies.LoadBundle(t.Context(), dir)
	if !errors.Is(err, privacy.ErrInvalidCatalog) {
		t.Fatalf("LoadBundle error = %v, want one wrapping privacy.ErrInvalidCatalog", err)
	}
}

func TestReloadRejectsBadBundleAndKeepsPolicy(t *testing.T) {
	dir := writeBundle(t, map[string]string{"catalog.yaml": reference(), ".manifest": `{"revision": "r1"}`})
	b, err := policies.LoadBundle(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithBundle(b))
	if err != nil {
		t.Fatal(err)
	}
	invalid := policies.Bundle{Catalog: &privacy.Catalog{PolicyVersion: "not a version"}}
	tests := []struct {
		name   string
		bundle *policies.Bundle
	}{
		{"no bundle", nil},
		{"catalog fails validation", &invalid},
		{"module fails to compile", &policies.Bundle{Catalog: privacy.DefaultCatalog(), Modules: map[string]string{
			"bad.rego": "package privacy.ext.bad\n\ndeny contains x if { x := undefined_function(1) }\n"}}},
		{"module outside privacy.ext", &policies.Bundle{Catalog: privacy.DefaultCatalog(), Modules: map[string]string{
			"evil.rego": "package privacy.decision\n\nresult := {}\n"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := eng.Reload(t.Context(), tc.bundle); err == nil {
				t.Fatal("Reload accepted a bad bundle")
			}
			if g := eng.Generation(); g != 1 {
				t.Errorf("generation after a rejected reload = %d, want 1", g)
			}
			d, err := eng.Decide(t.Context(), announcement())
			if err != nil || !d.Allowed {
				t.Errorf("the old policy stopped deciding: %v, %v", d, err)
			}
		})
	}
}

func TestReloadDuringDecide(t *testing.T) {
	eng, err := policies.New(t.Context(), policies.WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	next := &policies.Bundle{Catalog: privacy.DefaultCatalog(), Modules: map[string]string{"freeze.rego": freeze}, Revision: "r2"}

	var wg sync.WaitGroup
	errs := make(chan error, 1)
	seen := make([]map[string]bool, 4)
	for w := range seen {
		seen[w] = map[string]bool{}
		wg.Go(func() {
			for range 50 {
				d, err := eng.Decide(t.Context(), announcement())
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				seen[w][strings.Join(d.Codes(), ",")] = true
			}
		})
	}
	if err := eng.Reload(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("Decide failed during Reload: %v", err)
	}
	for _, s := range seen {
		for codes := range s {
			if codes != "" && codes != "ext.freeze" {
				t.Errorf("a decision from neither policy: reasons %q", codes)
			}
		}
	}
	if g := eng.Generation(); g != 2 {
		t.Errorf("generation = %d, want 2", g)
	}
	d, err := eng.Decide(t.Context(), announcement())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ext.freeze"}, d.Codes()); diff != "" {
		t.Errorf("after reload (-want +got):\n%s", diff)
	}
}

func TestWatchBundle(t *testing.T) {
	dir := writeBundle(t, map[string]string{"catalog.yaml": reference()})
	b, err := policies.LoadBundle(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithBundle(b))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- eng.WatchBundle(ctx, dir, time.Millisecond) }()

	// Write the module until the watcher reloads it: the watcher may start
	// after a first write and take it for the initial state. The wait is
	// bounded so that a broken watcher fails the test.
	staging := t.TempDir()
	deadline := time.After(30 * time.Second)
	for i := 0; eng.Generation() < 2; i++ {
		// Write beside the bundle and rename into it, so that the watcher
		// never reads half a module.
		tmp := filepath.Join(staging, "freeze.rego")
		if err := os.WriteFile(tmp, []byte(freeze+strings.Repeat("\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "freeze.rego")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-deadline:
			t.Fatal("WatchBundle did not reload a changed bundle within 30s")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("WatchBundle returned %v, want context.Canceled", err)
	}
	d, _ := eng.Decide(t.Context(), announcement())
	if !d.Has("ext.freeze") {
		t.Errorf("decision after the watched reload: %v", d)
	}
}
