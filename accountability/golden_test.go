package accountability_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// catalogs are the catalogs every output is checked on: the embedded
// reference catalog and a small webshop that is not the reference one.
func catalogs(t *testing.T) map[string]*privacy.Catalog {
	t.Helper()
	shop, err := privacy.LoadCatalog(filepath.Join("testdata", "shop.yaml"))
	if err != nil {
		t.Fatalf("load shop catalog: %v", err)
	}
	return map[string]*privacy.Catalog{"reference": privacy.DefaultCatalog(), "shop": shop}
}

func TestGolden(t *testing.T) {
	outputs := []struct {
		name  string
		ext   string
		write func(io.Writer, *privacy.Catalog) error
	}{
		{"ropa", "md", func(w io.Writer, c *privacy.Catalog) error { return accountability.BuildRecord(c).WriteMarkdown(w) }},
		{"ropa", "csv", func(w io.Writer, c *privacy.Catalog) error { return accountability.BuildRecord(c).WriteCSV(w) }},
		{"ropa", "json", func(w io.Writer, c *privacy.Catalog) error { return accountability.BuildRecord(c).WriteJSON(w) }},
		{"notice", "md", accountability.WriteNotice},
		{"diagram", "mmd", accountability.WriteMermaid},
		{"diagram", "dot", accountability.WriteDOT},
	}
	for cname, c := range catalogs(t) {
		for _, out := range outputs {
			file := filepath.Join("testdata", "golden", cname+"."+out.name+"."+out.ext)
			t.Run(cname+"/"+out.name+"."+out.ext, func(t *testing.T) {
				var got bytes.Buffer
				if err := out.write(&got, c); err != nil {
					t.Fatalf("write: %v", err)
				}
				var again bytes.Buffer
				if err := out.write(&again, c); err != nil {
					t.Fatalf("write again: %v", err)
				}
				if !bytes.Equal(got.Bytes(), again.Bytes()) {
					t.Fatalf("output is not deterministic")
				}
				if *update {
					if err := os.WriteFile(file, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("read golden file (run go test ./accountability -update): %v", err)
				}
				if diff := cmp.Diff(string(want), got.String()); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
				}
			})
		}
	}
}
