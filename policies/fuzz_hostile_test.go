package policies_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// tarball returns files as .tar.gz bytes.
func tarball(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, src := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(src)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write([]byte(src)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

const smallCatalog = `policy_version: "1"
subject_kinds: [{kind: user, role: controller}]
categories: [{key: a.b, subject: user}]
purposes: [{key: p, subjects: [user], categories: [a], bases: [contract]}]
consent_age: {default: 16}
`

// FuzzLoadBundle reads arbitrary bytes as a .tar.gz bundle and, when it
// loads, builds an engine on it: never a panic, and an engine only on a
// bundle whose modules pass the extension checks.
func FuzzLoadBundle(f *testing.F) {
	f.Add(tarball(f, map[string]string{"catalog.yaml": smallCatalog, ".manifest": `{"revision":"r1"}`}))
	f.Add(tarball(f, map[string]string{"catalog.yaml": smallCatalog, "ext/freeze.rego": freeze}))
	f.Add(tarball(f, map[string]string{"catalog.json": `{"policy_version":"1","Policy_version":"2"}`}))
	f.Add(tarball(f, map[string]string{"catalog.yaml": smallCatalog, "x.rego": "package privacy.ext.a.b\n\ndeny contains {\"code\": \"x\", \"message\": \"y\"} if true\n"}))
	f.Add(tarball(f, map[string]string{"catalog.yaml": smallCatalog, "x.rego": "package privacy.ext.x\n\nv := http.send({\"method\": \"GET\", \"url\": \"http://x\"})\n"}))
	f.Add(tarball(f, map[string]string{"catalog.yaml": smallCatalog, "data.json": `{"a":1}`}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "b.tar.gz")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := policies.LoadBundle(t.Context(), p)
		if err != nil {
			return
		}
		if b.Catalog == nil {
			t.Fatal("a bundle loaded without a catalog")
		}
		if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithBundle(b)); err != nil && !errors.Is(err, privacy.ErrInvalid) {
			t.Fatalf("New on a loaded bundle: %v, want nil or an error wrapping privacy.ErrInvalid", err)
		}
	})
}

// FuzzExtensionModule compiles arbitrary Rego as an extension module and
// decides with it: never a panic, a refused module is bad input, and a
// decision with an error is never an allow.
func FuzzExtensionModule(f *testing.F) {
	for _, src := range []string{
		freeze,
		"package privacy.ext.x\n\ndeny contains {\"code\": \"x.no\", \"message\": \"no\"} if input.request.purpose == \"billing\"\n",
		"package privacy.ext.x\n\nobligation contains {\"code\": \"notify\", \"message\": sprintf(\"%v\", [input.request.data])} if true\n",
		"package privacy.ext.a.b\n\ndeny contains {\"code\": \"x\", \"message\": \"y\"} if true\n",
		"package privacy.ext.x\n\nb.deny contains {\"code\": \"x\", \"message\": \"y\"} if true\n",
		"package privacy.ext.x\n\ndeny := true\n",
		"package privacy.ext.x\n\nv := time.now_ns()\n",
		"package privacy.ext.x\n\nv := opa.runtime()\n",
		"package privacy.decision\n\nresult := {}\n",
		"package privacy.ext.x\n\ndeny contains x if { x := {\"code\": 1/0, \"message\": \"\"} }\n",
	} {
		f.Add(src)
	}
	req := privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"},
		Purpose: "billing", Data: []string{"instance.contact.email"}}
	f.Fuzz(func(t *testing.T, src string) {
		eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("x.rego", src), policies.WithCache(0))
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalid) {
				t.Fatalf("New: %v, want an error wrapping privacy.ErrInvalid", err)
			}
			return
		}
		d, err := eng.Decide(t.Context(), req)
		if d.Allowed && err != nil {
			t.Fatalf("allowed with error %v", err)
		}
	})
}
