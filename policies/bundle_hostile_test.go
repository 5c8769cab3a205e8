package policies_test

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/hostile"
	"github.com/privacykit/privacy/policies"
)

// zeros is a reader of n zero bytes that holds none of them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// writeArchive writes a .tar.gz of entries (name, size, content: zeros
// when content is "") and returns its path.
func writeArchive(t *testing.T, entries func(add func(name string, size int64, content string))) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	entries(func(name string, size int64, content string) {
		var r io.Reader = &zeros{size}
		if content != "" {
			size, r = int64(len(content)), strings.NewReader(content)
		}
		if err := tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, r); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []io.Closer{tw, gz, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestLoadBundleLimits: a bundle that unpacks beyond the limits, has too
// many files or points at a device is refused with an error naming the
// limit, before OPA's loader holds it in memory.
func TestLoadBundleLimits(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path func(t *testing.T) string
		want string
	}{
		"gzip bomb": {func(t *testing.T) string {
			return writeArchive(t, func(add func(string, int64, string)) {
				add("catalog.yaml", 0, reference())
				for i := range 5 {
					add(fmt.Sprintf("pad%d.rego", i), privacy.MaxBundleUnpackedBytes/4, "")
				}
			})
		}, "MaxBundleUnpackedBytes"},
		"too many files": {func(t *testing.T) string {
			return writeArchive(t, func(add func(string, int64, string)) {
				add("catalog.yaml", 0, reference())
				for i := range privacy.MaxBundleFiles {
					add(fmt.Sprintf("ext/m%d.rego", i), 0, fmt.Sprintf("package privacy.ext.m%d\n", i))
				}
			})
		}, "MaxBundleFiles"},
		"one file too large": {func(t *testing.T) string {
			return writeArchive(t, func(add func(string, int64, string)) {
				add("catalog.yaml", privacy.MaxCatalogBytes+1, "")
			})
		}, "size_limit_bytes"},
		"archive too large": {func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "big.tar.gz")
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, privacy.MaxBundleBytes+1); err != nil {
				t.Fatal(err)
			}
			return p
		}, "MaxBundleBytes"},
		"a device as the bundle": {func(*testing.T) string { return "/dev/zero" }, "not a directory or a regular file"},
		"a link to a device in a directory": {func(t *testing.T) string {
			dir := writeBundle(t, map[string]string{"ext/freeze.rego": freeze})
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "catalog.yaml")); err != nil {
				t.Skip(err)
			}
			return dir
		}, "not a regular file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "a device as the bundle" {
				if _, err := os.Stat("/dev/zero"); err != nil {
					t.Skip(err)
				}
			}
			_, err := policies.LoadBundle(t.Context(), tc.path(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadBundle error %v, want one containing %q", err, tc.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

const signingSecret = "a shared secret of the policy team"

// signBundle signs the bundle directory dir with secret (HS256).
func signBundle(t *testing.T, dir, secret string) {
	t.Helper()
	if err := hostile.SignBundle(dir, secret); err != nil {
		t.Fatal(err)
	}
}

// TestBundleSignature: with a verification key, a bundle loads only when
// its signature is good and covers every file as it is; a tampered
// catalog or module, an unsigned bundle, another key and a signed bundle
// without a configured key are refused.
func TestBundleSignature(t *testing.T) {
	t.Parallel()
	key := policies.WithVerificationKey("HS256", signingSecret)
	signed := func(t *testing.T) string {
		dir := writeBundle(t, map[string]string{"catalog.yaml": reference(), "ext/freeze.rego": freeze})
		signBundle(t, dir, signingSecret)
		return dir
	}
	b, err := policies.LoadBundle(t.Context(), signed(t), key)
	if err != nil {
		t.Fatalf("a signed bundle: %v", err)
	}
	if _, ok := b.Modules["ext/freeze.rego"]; !ok || b.Catalog == nil {
		t.Errorf("a signed bundle loaded without its module or catalog: %v", b.Modules)
	}
	tamper := func(file, from, to string) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := signed(t)
			p := filepath.Join(dir, file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), from) {
				t.Fatalf("fixture: %q not in %s", from, file)
			}
			if err := os.WriteFile(p, []byte(strings.Replace(string(b), from, to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}
	}
	for name, tc := range map[string]struct {
		path func(t *testing.T) string
		opts []policies.LoadOption
		want string
	}{
		"tampered catalog": {tamper("catalog.yaml", "consent_age:", "# edited\nconsent_age:"), []policies.LoadOption{key}, "catalog.yaml"},
		"tampered module":  {tamper("ext/freeze.rego", "frozen", "thawed"), []policies.LoadOption{key}, "ext/freeze.rego"},
		"added module": {func(t *testing.T) string {
			dir := signed(t)
			if err := os.WriteFile(filepath.Join(dir, "ext", "more.rego"), []byte("package privacy.ext.more\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, []policies.LoadOption{key}, "not included in bundle signature"},
		"unsigned": {func(t *testing.T) string {
			return writeBundle(t, map[string]string{"catalog.yaml": reference()})
		}, []policies.LoadOption{key}, "missing .signatures.json"},
		"another key":               {signed, []policies.LoadOption{policies.WithVerificationKey("HS256", "another secret")}, "signature"},
		"signed, no key configured": {signed, nil, "no verification key is configured"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := policies.LoadBundle(t.Context(), tc.path(t), tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadBundle error %v, want one containing %q", err, tc.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}
