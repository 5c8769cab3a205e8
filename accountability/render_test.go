package accountability_test

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/lawfulbasis"
)

func TestRenderGraphviz(t *testing.T) {
	var dot bytes.Buffer
	if err := accountability.WriteDOT(&dot, privacy.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	if _, err := accountability.RenderGraphviz(t.Context(), dot.Bytes(), "gif"); err == nil {
		t.Errorf("RenderGraphviz(gif) = nil error, want an error naming the format")
	}
	t.Run("without dot", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := accountability.RenderGraphviz(t.Context(), dot.Bytes(), "svg")
		if !errors.Is(err, exec.ErrNotFound) {
			t.Errorf("RenderGraphviz without dot: err = %v, want one wrapping exec.ErrNotFound", err)
		}
	})
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("graphviz dot not installed")
	}
	for _, tc := range []struct {
		format string
		magic  []byte
	}{
		{"svg", []byte("<svg")},
		{"png", []byte("\x89PNG")},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out, err := accountability.RenderGraphviz(t.Context(), dot.Bytes(), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out[:min(len(out), 512)], tc.magic) {
				t.Errorf("RenderGraphviz(%s) output starts %q, want it to contain %q", tc.format, out[:min(len(out), 64)], tc.magic)
			}
		})
	}
	t.Run("bad dot", func(t *testing.T) {
		if _, err := accountability.RenderGraphviz(t.Context(), []byte("digraph {"), "svg"); err == nil {
			t.Errorf("RenderGraphviz(malformed) = nil error, want dot's complaint")
		}
	})
}

// TestDiagramUnvalidatedCatalog: a catalog built in Go and never validated
// (no bases, no category index) still draws instead of panicking.
func TestDiagramUnvalidatedCatalog(t *testing.T) {
	t.Parallel()
	c := &privacy.Catalog{
		SubjectKinds: []privacy.SubjectKindSpec{{Kind: "customer", Role: privacy.RoleController}},
		Categories:   []privacy.Category{{Key: "customer.email", Subject: "customer"}},
		Purposes:     []privacy.Purpose{{Key: "orders", Subjects: []privacy.SubjectKind{"customer"}, Categories: []string{"customer.email"}}},
	}
	var b bytes.Buffer
	if err := accountability.WriteMermaid(&b, c); err != nil {
		t.Fatal(err)
	}
	if err := accountability.WriteDOT(&b, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("p_orders")) {
		t.Errorf("diagram lacks the purpose node p_orders:\n%s", b.String())
	}
}

// TestDiagramKeepsLookalikeKeysApart: keys that are the same identifier
// once their dots are replaced get nodes of their own.
func TestDiagramKeepsLookalikeKeysApart(t *testing.T) {
	t.Parallel()
	c, err := privacy.LoadCatalog("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	twin := *c.Purpose("order.fulfilment")
	twin.Key = "order_fulfilment"
	twin.Bases = []lawfulbasis.Basis{lawfulbasis.Consent}
	c.Purposes = append(c.Purposes, twin)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := accountability.WriteMermaid(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`p_order_fulfilment["order.fulfilment"]`, `p_order_fulfilment_2["order_fulfilment"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("diagram lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `p_order_fulfilment[`); n != 1 {
		t.Errorf("node p_order_fulfilment declared %d times", n)
	}
}
