package accountability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// basisColours colours the diagram by lawful basis.
var basisColours = []struct {
	basis  lawfulbasis.Basis
	colour string
}{
	{lawfulbasis.Consent, "#1f77b4"},
	{lawfulbasis.Contract, "#2ca02c"},
	{lawfulbasis.LegalObligation, "#7f7f7f"},
	{lawfulbasis.VitalInterests, "#d62728"},
	{lawfulbasis.PublicTask, "#9467bd"},
	{lawfulbasis.LegitimateInterests, "#ff7f0e"},
	{lawfulbasis.ControllerInstruction, "#8c564b"},
}

func colourOf(b lawfulbasis.Basis) string {
	for _, bc := range basisColours {
		if bc.basis == b {
			return bc.colour
		}
	}
	return "#000000"
}

// The destination regions a recipient may be in.
const (
	regionEEA       = "EEA"
	regionAdequacy  = "adequacy decision (Art. 45)"
	regionSafeguard = "elsewhere: only with an Art. 46 safeguard (SCC, BCR, …)"
)

type node struct {
	id, label string
	basis     lawfulbasis.Basis // purposes only: the colour of the node
}

type edge struct {
	from, to string
	basis    lawfulbasis.Basis // "" for an uncoloured edge
	label    string
	dashed   bool
}

// flow is the data-flow graph of a catalog, in deterministic order, in
// columns: subject kinds, category groups, purposes, recipient kinds,
// regions.
type flow struct {
	columns [5][]node
	titles  [5]string
	edges   []edge
	bases   []lawfulbasis.Basis // bases used, in legend order
	// ids gives each prefixed key its node id, taken tells which key an
	// id went to: two keys that look alike as identifiers
	// (order.fulfilment, order_fulfilment) get different ids.
	ids   map[string]string
	taken map[string]string
}

// id returns the node id of key under prefix ("p_" for purposes …): the
// key as an identifier, with a number added when another key has it.
func (f *flow) id(prefix, key string) string {
	if id, ok := f.ids[prefix+key]; ok {
		return id
	}
	base := prefix + ident(key)
	id := base
	for n := 2; f.taken[id] != ""; n++ {
		id = fmt.Sprintf("%s_%d", base, n)
	}
	f.ids[prefix+key], f.taken[id] = id, prefix+key
	return id
}

func buildFlow(c *privacy.Catalog) flow {
	f := flow{titles: [5]string{"Data subjects", "Personal data", "Purposes", "Recipients", "Destinations"},
		ids: map[string]string{}, taken: map[string]string{}}
	used := map[lawfulbasis.Basis]bool{}
	for _, sk := range c.SubjectKinds {
		f.columns[0] = append(f.columns[0], node{id: f.id("s_", string(sk.Kind)), label: fmt.Sprintf("%s (%s)", sk.Kind, sk.Role)})
	}
	// Group leaves by parent key, in catalog order of first appearance.
	var groups []string
	members := map[string][]string{}
	groupSubject := map[string]privacy.SubjectKind{}
	for _, cat := range c.Categories {
		g := parent(cat.Key)
		if _, ok := members[g]; !ok {
			groups = append(groups, g)
			groupSubject[g] = cat.Subject
			f.edges = append(f.edges, edge{from: f.id("s_", string(cat.Subject)), to: f.id("c_", g)})
		}
		members[g] = append(members[g], cat.Key[len(g)+1:])
	}
	for _, g := range groups {
		f.columns[1] = append(f.columns[1], node{id: f.id("c_", g), label: fmt.Sprintf("%s: %s", g, strings.Join(members[g], ", "))})
	}
	recipients := map[privacy.RecipientKind]bool{}
	for i := range c.Purposes {
		p := &c.Purposes[i]
		first := firstBasis(p.Bases)
		f.columns[2] = append(f.columns[2], node{id: f.id("p_", p.Key), label: p.Key, basis: first})
		used[first] = true
		// A purpose that may use every category of a subject kind (the
		// legal purposes) gets one edge from the subject kind instead of
		// one from every group, which keeps the diagram readable.
		all := map[privacy.SubjectKind]bool{}
		for _, k := range p.Subjects {
			if usesAll(c, p, k) {
				all[k] = true
				b := firstBasis(p.BasesFor(k))
				used[b] = true
				f.edges = append(f.edges, edge{from: f.id("s_", string(k)), to: f.id("p_", p.Key), basis: b, label: "all data"})
			}
		}
		for _, g := range groups {
			k := groupSubject[g]
			if !slices.Contains(p.Subjects, k) || all[k] || !usesGroup(c, p, g) {
				continue
			}
			b := firstBasis(p.BasesFor(k))
			used[b] = true
			f.edges = append(f.edges, edge{from: f.id("c_", g), to: f.id("p_", p.Key), basis: b})
		}
		for _, r := range sortedRecipients(p.Recipients) {
			recipients[r] = true
			f.edges = append(f.edges, edge{from: f.id("p_", p.Key), to: f.id("r_", string(r)), basis: first})
		}
	}
	for _, r := range privacy.RecipientKinds() {
		if !recipients[r] {
			continue
		}
		f.columns[3] = append(f.columns[3], node{id: f.id("r_", string(r)), label: string(r)})
		if r == privacy.RecipientIndividual {
			// A private individual is no importer under Chapter V: no
			// transfer rule applies (see transfer.no_safeguard).
			continue
		}
		f.edges = append(f.edges,
			edge{from: f.id("r_", string(r)), to: "g_eea"},
			edge{from: f.id("r_", string(r)), to: "g_adequacy"},
			edge{from: f.id("r_", string(r)), to: "g_safeguard", dashed: true})
	}
	if len(recipients) > 0 {
		f.columns[4] = []node{
			{id: "g_eea", label: regionEEA},
			{id: "g_adequacy", label: regionAdequacy},
			{id: "g_safeguard", label: regionSafeguard},
		}
	}
	for _, bc := range basisColours {
		if used[bc.basis] {
			f.bases = append(f.bases, bc.basis)
		}
	}
	return f
}

// firstBasis returns the preferred basis, "" for none (a catalog that was
// not validated), which draws uncoloured.
func firstBasis(list []lawfulbasis.Basis) lawfulbasis.Basis {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// usesAll reports whether the purpose may use every category of the
// subject kind.
func usesAll(c *privacy.Catalog, p *privacy.Purpose, kind privacy.SubjectKind) bool {
	for _, cat := range c.Categories {
		if cat.Subject == kind && !slices.Contains(leavesFor(c, p, []privacy.SubjectKind{kind}), cat.Key) {
			return false
		}
	}
	return true
}

// usesGroup reports whether the purpose may use any leaf of the group.
func usesGroup(c *privacy.Catalog, p *privacy.Purpose, group string) bool {
	for _, key := range p.Categories {
		for _, leaf := range c.Leaves(key) {
			if parent(leaf) == group {
				return true
			}
		}
	}
	return false
}

func parent(key string) string {
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		return key[:i]
	}
	return key
}

// ident turns a key into a diagram identifier.
func ident(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// WriteMermaid writes the catalog's data flow as a Mermaid flowchart, left
// to right: subject kinds, categories grouped by parent key, purposes,
// recipient kinds and destination regions. A purpose that may use all the
// data of a subject kind gets one edge labelled "all data" from the subject
// kind. Purposes and the edges into and
// out of them are coloured by lawful basis (the edge from a category group
// by the basis for that group's subject kind, the purpose and its outgoing
// edges by its first basis); a legend names the colours. Regions are the
// same for every recipient: the engine decides per disclosure, from the
// recipient's country and safeguard.
func WriteMermaid(w io.Writer, c *privacy.Catalog) error {
	f := buildFlow(c)
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, col := range f.columns {
		if len(col) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  subgraph col%d [%s]\n", i, mermaidText(f.titles[i]))
		for _, n := range col {
			fmt.Fprintf(&b, "    %s[%s]\n", n.id, mermaidText(n.label))
		}
		b.WriteString("  end\n")
	}
	b.WriteString("  subgraph legend [\"Lawful basis\"]\n")
	for _, bs := range f.bases {
		fmt.Fprintf(&b, "    l_%s[%s]\n", bs, mermaidText(string(bs)))
	}
	b.WriteString("  end\n")
	for _, e := range f.edges {
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		if e.label != "" {
			fmt.Fprintf(&b, "  %s %s|%s| %s\n", e.from, arrow, mermaidText(e.label), e.to)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", e.from, arrow, e.to)
		}
	}
	for _, bs := range f.bases {
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:%s,color:#ffffff\n", bs, colourOf(bs), colourOf(bs))
	}
	for _, n := range f.columns[2] {
		if n.basis != "" {
			fmt.Fprintf(&b, "  class %s %s\n", n.id, n.basis)
		}
	}
	for _, bs := range f.bases {
		fmt.Fprintf(&b, "  class l_%s %s\n", bs, bs)
	}
	for i, e := range f.edges {
		if e.basis != "" {
			fmt.Fprintf(&b, "  linkStyle %d stroke:%s,stroke-width:2px\n", i, colourOf(e.basis))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write mermaid: %w", err)
	}
	return nil
}

// mermaidText quotes a Mermaid label; Mermaid has no backslash escapes, so
// a double quote becomes the entity #quot;.
func mermaidText(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}

// WriteDOT writes the same data flow as WriteMermaid as a Graphviz DOT
// digraph, one cluster per column and a legend cluster.
func WriteDOT(w io.Writer, c *privacy.Catalog) error {
	f := buildFlow(c)
	var b strings.Builder
	b.WriteString("digraph dataflow {\n")
	b.WriteString("  rankdir=LR;\n  newrank=true;\n  concentrate=true;\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [color=\"#555555\"];\n")
	for i, col := range f.columns {
		if len(col) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  subgraph cluster_col%d {\n    label=%s;\n", i, dotQuote(f.titles[i]))
		for _, n := range col {
			attrs := "label=" + dotQuote(n.label)
			if n.basis != "" {
				attrs += fmt.Sprintf(", fillcolor=%q, fontcolor=\"#ffffff\"", colourOf(n.basis))
			}
			fmt.Fprintf(&b, "    %s [%s];\n", n.id, attrs)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("  subgraph cluster_legend {\n    label=\"Lawful basis\";\n")
	for _, bs := range f.bases {
		fmt.Fprintf(&b, "    l_%s [label=%q, fillcolor=%q, fontcolor=\"#ffffff\"];\n", bs, string(bs), colourOf(bs))
	}
	b.WriteString("  }\n")
	for _, e := range f.edges {
		var attrs []string
		if e.basis != "" {
			attrs = append(attrs, fmt.Sprintf("color=%q", colourOf(e.basis)), "penwidth=2")
		}
		if e.dashed {
			attrs = append(attrs, "style=dashed")
		}
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label), "fontsize=9")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.from, e.to)
		}
	}
	b.WriteString("}\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write dot: %w", err)
	}
	return nil
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// RenderGraphviz renders a DOT graph with Graphviz dot to format "svg" or
// "png". When dot is not on PATH it returns an error wrapping
// exec.ErrNotFound, which callers test with errors.Is to fall back to the
// DOT or Mermaid text. dot's standard error is part of any other error.
func RenderGraphviz(ctx context.Context, dot []byte, format string) ([]byte, error) {
	if format != "svg" && format != "png" {
		return nil, fmt.Errorf("render graphviz: format must be svg or png, got %q", format)
	}
	path, err := exec.LookPath("dot")
	if err != nil {
		return nil, fmt.Errorf("render graphviz: %w", err)
	}
	cmd := exec.CommandContext(ctx, path, "-T"+format)
	cmd.Stdin = bytes.NewReader(dot)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("render graphviz: dot -T%s: %w: %s", format, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
