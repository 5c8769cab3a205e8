package sqlsource

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/privacykit/privacy"
)

// Dialect is the SQL engine a Source runs on: how to read its schema, and
// the one operator that differs. Everything else is shared: identifiers
// are quoted with double quotes and values passed as $n parameters.
type Dialect struct {
	name string
	// columns lists a table's columns ($1: the table).
	columns string
	// indexed lists the columns that lead an index of a table ($1), so
	// that a lookup by them needs no scan.
	indexed string
	// rowid lists a table's INTEGER PRIMARY KEY column, which SQLite
	// indexes as the rowid without an index of its own; empty for engines
	// without one.
	rowid string
	// integers lists a table's integer columns ($1), which refuse a
	// parameter that is not an integer instead of matching nothing; empty
	// for engines that compare loosely.
	integers string
	// distinct is the null-safe "is different from" operator.
	distinct string
}

// SQLite returns the dialect of SQLite (modernc.org/sqlite), whose schema
// is read with pragma table_info, index_list and index_info.
func SQLite() Dialect {
	return Dialect{
		name:    "sqlite",
		columns: `SELECT name FROM pragma_table_info($1)`,
		indexed: `SELECT ii.name FROM pragma_index_list($1) AS il, pragma_index_info(il.name) AS ii WHERE ii.seqno = 0`,
		rowid: `SELECT name FROM pragma_table_info($1)
			WHERE pk = 1 AND upper(type) = 'INTEGER' AND (SELECT count(*) FROM pragma_table_info($1) WHERE pk > 0) = 1`,
		distinct: "IS NOT",
	}
}

// PostgreSQL returns the dialect of PostgreSQL (pgx's database/sql driver).
// Tables are looked up in the connection's current schema (the first of
// its search_path), where unqualified names in queries resolve.
func PostgreSQL() Dialect {
	return Dialect{
		name: "postgres",
		columns: `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`,
		indexed: `SELECT a.attname FROM pg_index i
			JOIN pg_class c ON c.oid = i.indrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
			WHERE n.nspname = current_schema() AND c.relname = $1`,
		integers: `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND data_type IN ('smallint', 'integer', 'bigint')`,
		distinct: "IS DISTINCT FROM",
	}
}

// String returns the dialect's name.
func (d Dialect) String() string { return d.name }

// names runs a query that returns one column of names for a table.
func names(ctx context.Context, db *sql.DB, query, tableName string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, query, tableName)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// schema is what the database says about the tables a dataset names.
type schema struct {
	columns map[string]map[string]bool // table -> column -> exists
	indexed map[string]map[string]bool // table -> column -> leads an index
	integer map[string]map[string]bool // table -> column -> an integer type the engine enforces
}

func readSchema(ctx context.Context, db *sql.DB, dl Dialect, tables []string) (*schema, error) {
	s := &schema{columns: map[string]map[string]bool{}, indexed: map[string]map[string]bool{}, integer: map[string]map[string]bool{}}
	for _, t := range tables {
		if s.columns[t] != nil {
			continue
		}
		cols, err := names(ctx, db, dl.columns, t)
		if err != nil {
			return nil, fmt.Errorf("read the columns of table %s: %w", t, err)
		}
		idx, err := names(ctx, db, dl.indexed, t)
		if err != nil {
			return nil, fmt.Errorf("read the indexes of table %s: %w", t, err)
		}
		if dl.rowid != "" {
			rowid, err := names(ctx, db, dl.rowid, t)
			if err != nil {
				return nil, fmt.Errorf("read the primary key of table %s: %w", t, err)
			}
			for c := range rowid {
				idx[c] = true
			}
		}
		ints := map[string]bool{}
		if dl.integers != "" {
			if ints, err = names(ctx, db, dl.integers, t); err != nil {
				return nil, fmt.Errorf("read the column types of table %s: %w", t, err)
			}
		}
		s.columns[t], s.indexed[t], s.integer[t] = cols, idx, ints
	}
	return s, nil
}

// checkSchema reports the tables and columns the dataset names that the
// database does not have, and the columns a lookup by subject searches by
// that no index leads.
func (d *Dataset) checkSchema(ctx context.Context, db *sql.DB, dl Dialect) (*schema, error) {
	var tables []string
	for _, t := range d.tables {
		tables = append(tables, t.name)
		for _, j := range t.joins {
			tables = append(tables, j.table)
		}
	}
	s, err := readSchema(ctx, db, dl, tables)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", d.file, err)
	}
	p := &problems{file: d.file}
	has := func(line int, what, tbl, col string) bool {
		switch cols := s.columns[tbl]; {
		case len(cols) == 0:
			p.add(line, "%s: no table %s in the %s database", what, tbl, dl.name)
		case !cols[col]:
			p.add(line, "%s: table %s has no column %s%s", what, tbl, col, privacy.DidYouMean(col, slices.Sorted(maps.Keys(cols))))
		default:
			return true
		}
		return false
	}
	indexed := func(line int, what, tbl, col string) {
		if has(line, what, tbl, col) && !s.indexed[tbl][col] {
			p.add(line, "%s: no index leads with %s.%s, so every request would scan table %s (CREATE INDEX ON %s (%s))", what, tbl, col, tbl, tbl, col)
		}
	}
	for _, t := range d.tables {
		what := "table " + t.name
		if len(s.columns[t.name]) == 0 {
			p.add(t.line, "%s: no table %s in the %s database", what, t.name, dl.name)
			continue
		}
		for _, c := range t.columns {
			if has(c.line, what+": column "+c.name, t.name, c.name) && c.erase == Mask && s.integer[t.name][c.name] {
				if _, ok := c.mask.(int64); !ok {
					p.add(c.line, "%s: column %s: the mask %v is not an integer, and the column is", what, c.name, c.mask)
				}
			}
		}
		if t.id != "" {
			has(t.line, what+": id", t.name, t.id)
		}
		if t.controller != nil {
			has(t.controller.line, what+": controller", t.controller.table, t.controller.column)
		}
		indexed(t.key.line, what+": key", t.key.table, t.key.column)
		// A lookup starts at the key's table and walks the joins to the
		// entry's table (searching each earlier table by its from column)
		// and out to the controller's (searching by the joined column).
		parent := map[string]string{}
		for _, j := range t.joins {
			parent[j.table] = j.from.table
		}
		onPath := map[string]bool{}
		for tbl := t.key.table; tbl != ""; tbl = parent[tbl] {
			onPath[tbl] = true
		}
		for _, j := range t.joins {
			if onPath[j.table] {
				has(j.line, what+": join", j.table, j.column)
				indexed(j.from.line, what+": join from", j.from.table, j.from.column)
			} else {
				has(j.from.line, what+": join from", j.from.table, j.from.column)
				indexed(j.line, what+": join", j.table, j.column)
			}
		}
	}
	return s, p.err()
}

// quote quotes an identifier the loader validated as a plain SQL name.
func quote(name string) string {
	if !identPattern.MatchString(name) {
		// Unreachable: Parse refuses such names. A query is never built
		// from anything else.
		panic("sqlsource: unvalidated identifier " + strings.ToValidUTF8(name, "?"))
	}
	return `"` + name + `"`
}
