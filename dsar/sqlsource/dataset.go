package sqlsource

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

// Strategy is what an erasure does to a column.
type Strategy string

// The erasure strategies.
const (
	// DeleteRow deletes the subject's rows of the table. When something in
	// a row must stay (a column of another category the request does not
	// erase, or one a hold keeps), the row is kept and the column is set to
	// NULL instead.
	DeleteRow Strategy = "delete"
	// SetNull sets the column to NULL in the subject's rows.
	SetNull Strategy = "null"
	// Mask replaces the column's value by the fixed value given with it
	// (for a NOT NULL column): the data is gone, the row stays valid.
	Mask Strategy = "mask"
	// Keep never erases the column: it stays under the named hold, which
	// the Desk reports as the exemption (see Dataset.Holds).
	Keep Strategy = "keep"
)

var strategies = []string{string(DeleteRow), string(SetNull), string(Mask), string(Keep)}

// Dataset describes where a service keeps personal data in a SQL database:
// for each table, which subjects its rows are about and how to reach their
// id, which catalog category each column holds, and what an erasure does to
// it. Parse and Load check it against a catalog; New checks it against a
// live database and returns the Source that answers requests over it.
type Dataset struct {
	name        string
	description string
	file        string
	holds       map[string]*hold
	tables      []*table
	catalog     *privacy.Catalog
}

// hold is a named reason, declared in the file, to keep columns from
// erasure.
type hold struct {
	name   string
	ground dsar.Ground
	reason string
	line   int
}

// grounds names the Art. 17(3) exemptions as a dataset file writes them.
var grounds = map[string]dsar.Ground{
	"expression":       dsar.GroundExpression,
	"legal_obligation": dsar.GroundLegalObligation,
	"public_health":    dsar.GroundPublicHealth,
	"archiving":        dsar.GroundArchiving,
	"legal_claims":     dsar.GroundLegalClaims,
}

// table is one entry of the file: a table's columns about one kind of
// dsar. A table whose rows are about two kinds (a host's meeting data
// and a guest's contact data) has an entry for each.
type table struct {
	name       string
	subject    privacy.SubjectKind
	processor  bool // the operator is a processor for the subject kind
	key        ref
	controller *ref // for a processor's subjects: the controller's id
	id         string
	joins      []join
	columns    []*column
	line       int
}

// ref names a column of the entry's table or of one of its joins.
type ref struct {
	table, column string
	line          int
}

func (r ref) String() string { return r.table + "." + r.column }

// join reaches table from an earlier one: table.column = from.
type join struct {
	table, column string
	from          ref
	line          int
}

type column struct {
	name     string
	category string
	erase    Strategy
	mask     any
	hold     string
	line     int
}

// Name returns the dataset's name: the name its Source is registered
// under with the Desk.
func (d *Dataset) Name() string { return d.name }

// Error is a dataset file that fails to load or does not match its
// database. It names the file and the line. It wraps privacy.ErrInvalid.
type Error struct {
	File    string
	Line    int
	Message string
}

// Error returns "dataset FILE:LINE: MESSAGE".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("dataset %s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("dataset %s: %s", e.File, e.Message)
}

// Unwrap returns privacy.ErrInvalid.
func (e *Error) Unwrap() error { return privacy.ErrInvalid }

// problems collects a file's errors, so that one load reports them all.
type problems struct {
	file string
	errs []*Error
}

func (p *problems) add(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// Load reads and checks a dataset file against the catalog (nil: the
// reference catalog). Files larger than privacy.MaxDatasetBytes (1 MiB)
// are refused after reading at most that much.
func Load(path string, c *privacy.Catalog) (*Dataset, error) {
	data, err := privacy.ReadFile(path, "dataset", privacy.MaxDatasetBytes, "MaxDatasetBytes")
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Base(path), data, c)
}

var (
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	namePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
)

// Parse checks a dataset file (YAML) against the catalog (nil: the
// reference catalog); name is the file's name in errors. Every error names
// the line; all of a file's errors are returned at once, joined, each an
// *Error. Unknown fields, unknown categories, subject kinds and holds (with
// the nearest known name), identifiers that are not plain SQL names, and
// columns that contradict each other are errors.
func Parse(name string, data []byte, c *privacy.Catalog) (*Dataset, error) {
	if c == nil {
		c = privacy.DefaultCatalog()
	}
	p := &problems{file: name}
	if len(data) > privacy.MaxDatasetBytes {
		return nil, privacy.TooLarge("dataset "+name, privacy.MaxDatasetBytes, "bytes", "MaxDatasetBytes")
	}
	var doc, more yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil || len(doc.Content) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			p.add(0, "the file is empty")
		} else {
			p.add(0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, p.err()
	}
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		p.add(more.Line, "a dataset file holds one YAML document; this is a second one (or the rest does not parse)")
		return nil, p.err()
	}
	d := &Dataset{file: name, holds: map[string]*hold{}, catalog: c}
	d.decode(p, doc.Content[0])
	if len(p.errs) == 0 {
		d.check(p)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return d, nil
}

// fields returns a mapping's values by key, reporting anything that is not
// a mapping, keys it does not know (with the nearest known one), duplicate
// keys, aliases, and the required keys that are missing.
func fields(p *problems, n *yaml.Node, what string, required []string, optional ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s must be a mapping", what)
		return nil
	}
	known := append(slices.Clone(required), optional...)
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.add(k.Line, "%s: keys must be plain names", what)
		case v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode:
			p.add(v.Line, "%s: %s: aliases are not supported", what, k.Value)
		case !slices.Contains(known, k.Value):
			p.add(k.Line, "%s: unknown field %q%s", what, k.Value, privacy.DidYouMean(k.Value, known))
		case out[k.Value] != nil:
			p.add(k.Line, "%s: field %q given twice", what, k.Value)
		default:
			out[k.Value] = v
		}
	}
	for _, f := range required {
		if out[f] == nil {
			p.add(n.Line, "%s: %s is required", what, f)
		}
	}
	return out
}

// scalar returns a scalar's text, reporting anything else.
func scalar(p *problems, n *yaml.Node, what string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.add(n.Line, "%s must be a single value", what)
		return "", false
	}
	return n.Value, true
}

// ident returns a scalar that must be a plain SQL identifier: only those
// are ever written into a query.
func ident(p *problems, n *yaml.Node, what string) (string, bool) {
	s, ok := scalar(p, n, what)
	if ok && !identPattern.MatchString(s) {
		p.add(n.Line, "%s %q is not a plain SQL name (letters, digits and _, not starting with a digit)", what, s)
		return "", false
	}
	return s, ok
}

// list returns a sequence's items, reporting anything else.
func list(p *problems, n *yaml.Node, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "%s must be a list", what)
		return nil
	}
	return n.Content
}

func (d *Dataset) decode(p *problems, root *yaml.Node) {
	top := fields(p, root, "dataset", []string{"dataset", "tables"}, "description", "holds")
	if top == nil {
		return
	}
	if s, ok := scalar(p, top["dataset"], "dataset"); ok {
		if !namePattern.MatchString(s) {
			p.add(top["dataset"].Line, "dataset name %q must be lower case letters, digits, '.', '-' and '_'", s)
		}
		d.name = s
	}
	if n := top["description"]; n != nil {
		d.description, _ = scalar(p, n, "description")
	}
	if n := top["holds"]; n != nil {
		d.decodeHolds(p, n)
	}
	if n := top["tables"]; n != nil {
		items := list(p, n, "tables")
		if n.Kind == yaml.SequenceNode && len(items) == 0 {
			p.add(n.Line, "tables: at least one table is required")
		}
		for _, item := range items {
			if t := d.decodeTable(p, item); t != nil {
				d.tables = append(d.tables, t)
			}
		}
	}
}

func (d *Dataset) decodeHolds(p *problems, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "holds must be a mapping from a hold's name to its ground and reason")
		return
	}
	names := slices.Sorted(maps.Keys(grounds))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := ident(p, k, "hold name")
		if !ok {
			continue
		}
		if d.holds[name] != nil {
			p.add(k.Line, "hold %s declared twice (first at line %d)", name, d.holds[name].line)
			continue
		}
		what := "hold " + name
		f := fields(p, v, what, []string{"ground", "reason"})
		h := &hold{name: name, line: k.Line}
		if g, ok := scalar(p, f["ground"], what+": ground"); ok {
			if h.ground = grounds[g]; h.ground == "" {
				p.add(f["ground"].Line, "%s: unknown ground %q (one of %s)%s", what, g, strings.Join(names, ", "), privacy.DidYouMean(g, names))
			}
		}
		if r, ok := scalar(p, f["reason"], what+": reason"); ok {
			if strings.TrimSpace(r) == "" {
				p.add(f["reason"].Line, "%s: reason must say which duty or dispute keeps the data", what)
			}
			h.reason = r
		}
		d.holds[name] = h
	}
}

func (d *Dataset) decodeTable(p *problems, n *yaml.Node) *table {
	f := fields(p, n, "table", []string{"table", "subject", "key", "columns"}, "controller", "id", "joins")
	if f == nil {
		return nil
	}
	t := &table{line: n.Line}
	var ok bool
	if t.name, ok = ident(p, f["table"], "table"); !ok {
		return nil
	}
	what := "table " + t.name
	if s, ok := scalar(p, f["subject"], what+": subject"); ok {
		t.subject = privacy.SubjectKind(s)
		spec := d.catalog.SubjectKind(t.subject)
		if spec == nil {
			var kinds []string
			for _, k := range d.catalog.SubjectKinds {
				kinds = append(kinds, string(k.Kind))
			}
			p.add(f["subject"].Line, "%s: unknown subject kind %q%s", what, s, privacy.DidYouMean(s, kinds))
		} else {
			t.processor = spec.Role == privacy.RoleProcessor
		}
	}
	if n := f["joins"]; n != nil {
		for _, item := range list(p, n, what+": joins") {
			jf := fields(p, item, what+": join", []string{"table", "column", "from"})
			if jf == nil {
				continue
			}
			j := join{line: item.Line}
			j.table, _ = ident(p, jf["table"], what+": join table")
			j.column, _ = ident(p, jf["column"], what+": join column")
			if r, ok := d.ref(p, jf["from"], what+": join from", t.name); ok {
				j.from = r
			}
			t.joins = append(t.joins, j)
		}
	}
	if r, ok := d.ref(p, f["key"], what+": key", t.name); ok {
		t.key = r
	}
	if n := f["controller"]; n != nil {
		if r, ok := d.ref(p, n, what+": controller", t.name); ok {
			t.controller = &r
		}
	}
	if n := f["id"]; n != nil {
		t.id, _ = ident(p, n, what+": id")
	}
	var cols []*yaml.Node
	if n := f["columns"]; n != nil {
		if cols = list(p, n, what+": columns"); n.Kind == yaml.SequenceNode && len(cols) == 0 {
			p.add(n.Line, "%s: columns: at least one column is required", what)
		}
	}
	for _, item := range cols {
		if c := d.decodeColumn(p, item, t); c != nil {
			t.columns = append(t.columns, c)
		}
	}
	return t
}

// ref reads "column" (of the entry's own table) or "table.column".
func (d *Dataset) ref(p *problems, n *yaml.Node, what, self string) (ref, bool) {
	s, ok := scalar(p, n, what)
	if !ok {
		return ref{}, false
	}
	tbl, col, qualified := strings.Cut(s, ".")
	if !qualified {
		tbl, col = self, s
	}
	if !identPattern.MatchString(tbl) || !identPattern.MatchString(col) {
		p.add(n.Line, "%s %q must be column or table.column, each a plain SQL name", what, s)
		return ref{}, false
	}
	return ref{table: tbl, column: col, line: n.Line}, true
}

func (d *Dataset) decodeColumn(p *problems, n *yaml.Node, t *table) *column {
	what := "table " + t.name + ": column"
	f := fields(p, n, what, []string{"column", "category", "erase"}, "mask", "hold")
	if f == nil {
		return nil
	}
	c := &column{line: n.Line}
	var ok bool
	if c.name, ok = ident(p, f["column"], what); !ok {
		return nil
	}
	what = "table " + t.name + ": column " + c.name
	if s, ok := scalar(p, f["category"], what+": category"); ok {
		c.category = s
		d.checkCategory(p, f["category"].Line, what, s, t.subject)
	}
	if e := f["erase"]; e != nil && e.Kind == yaml.ScalarNode && e.Tag == "!!null" && e.Value == "null" {
		// `erase: null` written plainly: YAML reads the word as no value.
		c.erase = SetNull
	} else if s, ok := scalar(p, e, what+": erase"); ok {
		c.erase = Strategy(s)
		if !slices.Contains(strategies, s) {
			p.add(f["erase"].Line, "%s: unknown erase strategy %q (one of %s)%s", what, s, strings.Join(strategies, ", "), privacy.DidYouMean(s, strategies))
		}
	}
	switch m := f["mask"]; {
	case c.erase == Mask && m == nil:
		p.add(n.Line, "%s: erase: mask needs a mask value (the fixed value that replaces the data)", what)
	case c.erase != Mask && m != nil:
		p.add(m.Line, "%s: a mask value is only for erase: mask", what)
	case m != nil:
		c.mask = maskValue(p, m, what)
	}
	switch h := f["hold"]; {
	case c.erase == Keep && h == nil:
		p.add(n.Line, "%s: erase: keep needs the hold that keeps it (declared under holds)", what)
	case c.erase != Keep && h != nil:
		p.add(h.Line, "%s: a hold is only for erase: keep", what)
	case h != nil:
		if name, ok := scalar(p, h, what+": hold"); ok {
			c.hold = name
			if d.holds[name] == nil {
				p.add(h.Line, "%s: unknown hold %q (declare it under holds)%s", what, name, privacy.DidYouMean(name, slices.Sorted(maps.Keys(d.holds))))
			}
		}
	}
	return c
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// maskValue reads a mask: a string, a number or a boolean, handed to the
// database as a query parameter.
func maskValue(p *problems, n *yaml.Node, what string) any {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.add(n.Line, "%s: mask must be a string, a number or a boolean", what)
		return nil
	}
	switch n.Tag {
	case "!!int":
		if v, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return v
		}
	case "!!float":
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return v
		}
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err == nil {
			return v
		}
	}
	return n.Value
}

// checkCategory reports a category that is not a leaf of the catalog for
// the subject kind.
func (d *Dataset) checkCategory(p *problems, line int, what, key string, kind privacy.SubjectKind) {
	c := d.catalog.Category(key)
	if c == nil {
		if leaves := d.catalog.Leaves(key); len(leaves) > 0 {
			p.add(line, "%s: %q is a parent category; name one of its leaves: %s", what, key, strings.Join(leaves, ", "))
			return
		}
		var keys []string
		for _, c := range d.catalog.Categories {
			keys = append(keys, c.Key)
		}
		p.add(line, "%s: unknown category %q%s", what, key, privacy.DidYouMean(key, keys))
		return
	}
	if kind != "" && d.catalog.SubjectKind(kind) != nil && c.Subject != kind {
		p.add(line, "%s: category %q is data of a %s, and the table's subject is a %s", what, key, c.Subject, kind)
	}
}

// check reports what is wrong between the entries: references to tables
// outside an entry's joins, duplicate columns, contradictory strategies,
// and orders of erasure that cannot be met.
func (d *Dataset) check(p *problems) {
	type seen struct {
		line int
		kind privacy.SubjectKind
	}
	columns := map[string]seen{} // table.column -> first entry listing it
	kept := map[string]*column{} // category -> a column kept under a hold
	erased := map[string]*column{}
	for _, t := range d.tables {
		what := "table " + t.name
		tables := []string{t.name}
		for _, j := range t.joins {
			if slices.Contains(tables, j.table) {
				p.add(j.line, "%s: join: table %s is already in the entry", what, j.table)
				continue
			}
			if !slices.Contains(tables, j.from.table) {
				p.add(j.from.line, "%s: join from %s: table %s is not the entry's table or an earlier join", what, j.from, j.from.table)
			}
			tables = append(tables, j.table)
		}
		for _, r := range []*ref{&t.key, t.controller} {
			if r != nil && !slices.Contains(tables, r.table) {
				p.add(r.line, "%s: %s: table %s is not the entry's table or one of its joins", what, r, r.table)
			}
		}
		switch {
		case t.processor && t.controller == nil:
			p.add(t.line, "%s: the operator is a processor for a %s: controller must name the column that holds the controller's id, so that a request touches only that controller's data", what, t.subject)
		case !t.processor && t.controller != nil:
			p.add(t.controller.line, "%s: controller is only for subject kinds whose data the operator processes for a controller; the operator controls a %s's data", what, t.subject)
		}
		for _, c := range t.columns {
			key := t.name + "." + c.name
			if s, dup := columns[key]; dup {
				p.add(c.line, "%s: column %s is already described at line %d", what, c.name, s.line)
				continue
			}
			columns[key] = seen{c.line, t.subject}
			if c.erase == Keep {
				if o := erased[c.category]; o != nil {
					p.add(c.line, "%s: column %s keeps %s under hold %s, and line %d erases it: the Desk keeps or erases a category as a whole, so give the kept copy its own category", what, c.name, c.category, c.hold, o.line)
				} else if o := kept[c.category]; o != nil && o.hold != c.hold {
					p.add(c.line, "%s: column %s keeps %s under hold %s, and line %d under hold %s: one hold per category", what, c.name, c.category, c.hold, o.line, o.hold)
				}
				kept[c.category] = c
			} else {
				if o := kept[c.category]; o != nil {
					p.add(c.line, "%s: column %s erases %s, and line %d keeps it under hold %s: the Desk keeps or erases a category as a whole, so give the kept copy its own category", what, c.name, c.category, o.line, o.hold)
				}
				erased[c.category] = c
			}
		}
	}
	// A row deleted with its table's delete column would take the kept
	// columns with it.
	for _, t := range d.tables {
		for _, c := range t.columns {
			if c.erase != DeleteRow {
				continue
			}
			for _, o := range d.tables {
				if o.name != t.name {
					continue
				}
				for _, k := range o.columns {
					if k.erase == Keep {
						p.add(c.line, "table %s: column %s deletes the row, and column %s (line %d) is kept under hold %s: set the column to null or mask it instead", t.name, c.name, k.name, k.line, k.hold)
					}
				}
			}
		}
	}
	if _, err := d.erasureOrder(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			p.errs = append(p.errs, e)
		}
	}
}

// erasureOrder returns the entries in the order an erasure visits them: an
// entry that reaches its subject through a join on table T comes before the
// entries of T, whose erasure could cut the join.
func (d *Dataset) erasureOrder() ([]*table, error) {
	var out []*table
	state := map[*table]int{} // 1 visiting, 2 done
	var visit func(t *table) error
	visit = func(t *table) error {
		switch state[t] {
		case 1:
			return &Error{File: d.file, Line: t.line, Message: fmt.Sprintf("table %s: the joins between entries form a cycle, so no order of erasure keeps every entry reachable", t.name)}
		case 2:
			return nil
		}
		state[t] = 1
		// Entries that join through t's table go first.
		for _, o := range d.tables {
			if o != t && slices.ContainsFunc(o.joins, func(j join) bool { return j.table == t.name }) {
				if err := visit(o); err != nil {
					return err
				}
			}
		}
		state[t] = 2
		out = append(out, t)
		return nil
	}
	for _, t := range d.tables {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return out, nil
}
