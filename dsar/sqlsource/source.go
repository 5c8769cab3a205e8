package sqlsource

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

// Source answers data-subject requests over the tables a Dataset
// describes, in one database. It implements dsar.Source; register it
// with the Desk under the dataset's name, with the dataset's holds:
//
//	desk := dsar.NewDesk(requests, states,
//		dsar.WithSource(ds.Name(), src),
//		dsar.WithHolds(ds.Holds(&dsar.CatalogHolds{Catalog: c})))
//
// Every query is built once from the dataset's validated identifiers; the
// subject's id and controller and every value written are parameters.
type Source struct {
	ds    *Dataset
	db    *sql.DB
	dl    Dialect
	order []*table // erasure order
	// integer marks the entries whose key or controller column is of an
	// integer type the engine enforces: a subject whose id is not an
	// integer has no rows there.
	integer map[*table]integerParams
}

type integerParams struct{ key, controller bool }

var _ dsar.Source = (*Source)(nil)

// New checks the dataset against the database's live schema and returns a
// Source over it. Tables and columns the database does not have, and
// columns a lookup by subject searches by that no index leads (the key
// column, and the join columns on the way to it), are errors naming the
// dataset's line, each an *Error.
func New(ctx context.Context, db *sql.DB, dl Dialect, ds *Dataset) (*Source, error) {
	if db == nil || ds == nil || dl.name == "" {
		return nil, errors.New("sqlsource: New needs a database, a dialect (SQLite or PostgreSQL) and a dataset")
	}
	sch, err := ds.checkSchema(ctx, db, dl)
	if err != nil {
		return nil, err
	}
	order, err := ds.erasureOrder()
	if err != nil {
		return nil, err
	}
	src := &Source{ds: ds, db: db, dl: dl, order: order, integer: map[*table]integerParams{}}
	for _, t := range ds.tables {
		var ip integerParams
		ip.key = sch.integer[t.key.table][t.key.column]
		if t.controller != nil {
			ip.controller = sch.integer[t.controller.table][t.controller.column]
		}
		src.integer[t] = ip
	}
	return src, nil
}

// querier is a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// entries returns the entries about the subject's kind, in erasure order.
func (s *Source) entries(sub privacy.Subject) ([]*table, error) {
	var out []*table
	for _, t := range s.order {
		if t.subject != sub.Kind {
			continue
		}
		if t.processor && sub.Controller == "" {
			return nil, fmt.Errorf("dataset %s: table %s holds the data of a %s for a controller: the request must name the controller", s.ds.name, t.name, sub.Kind)
		}
		if sub.ID == "" && !t.processor {
			continue // offboarding reaches a controller's rows only
		}
		if ip := s.integer[t]; (ip.key && sub.ID != "" && !isInteger(sub.ID)) || (ip.controller && !isInteger(sub.Controller)) {
			continue // no row can match
		}
		out = append(out, t)
	}
	return out, nil
}

func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// where returns the condition that selects the subject's rows of the
// entry's table (aliased t0) and its arguments, numbered from $1. A
// subject without an id selects every row of its controller (offboarding:
// a processor's entries only, whose controller column is set), less the
// rows that lead to any of the subjects in except (see exceptWhere).
func (t *table) where(sub privacy.Subject, except ...any) (string, []any) {
	cond, args := t.subjectWhere(sub)
	if len(except) == 0 {
		return cond, args
	}
	ex, args := t.exceptWhere(args, except)
	return cond + " AND " + ex, args
}

// exceptWhere returns the condition that leaves out every row of the
// entry's table from which a path leads to one of the subjects in except
// (their keys), with args extended by them. A row that leads to a subject
// kept and to one erased is kept: an offboarding never erases what a
// subject's hold keeps.
func (t *table) exceptWhere(args, except []any) (string, []any) {
	ph := make([]string, len(except))
	for i, id := range except {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	in := " IN (" + strings.Join(ph, ", ") + ")"
	if t.key.table == t.name {
		key := "t0." + quote(t.key.column)
		return "(" + key + " IS NULL OR NOT " + key + in + ")", args
	}
	alias := map[string]string{t.name: "t0"}
	var from, conds []string
	for i, j := range t.joins {
		a := fmt.Sprintf("t%d", i+1)
		alias[j.table] = a
		from = append(from, quote(j.table)+" AS "+a)
	}
	for _, j := range t.joins {
		conds = append(conds, alias[j.table]+"."+quote(j.column)+" = "+alias[j.from.table]+"."+quote(j.from.column))
	}
	conds = append(conds, alias[t.key.table]+"."+quote(t.key.column)+in)
	return "NOT EXISTS (SELECT 1 FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(conds, " AND ") + ")", args
}

// subjectWhere is where without exceptions.
func (t *table) subjectWhere(sub privacy.Subject) (string, []any) {
	alias := map[string]string{t.name: "t0"}
	var from []string
	for i, j := range t.joins {
		a := fmt.Sprintf("t%d", i+1)
		alias[j.table] = a
		from = append(from, quote(j.table)+" AS "+a)
	}
	col := func(r ref) string { return alias[r.table] + "." + quote(r.column) }
	var conds []string
	for _, j := range t.joins {
		conds = append(conds, alias[j.table]+"."+quote(j.column)+" = "+col(j.from))
	}
	var args []any
	if sub.ID != "" {
		args = append(args, sub.ID)
		conds = append(conds, fmt.Sprintf("%s = $%d", col(t.key), len(args)))
	}
	if t.controller != nil {
		args = append(args, sub.Controller)
		conds = append(conds, fmt.Sprintf("%s = $%d", col(*t.controller), len(args)))
	}
	if len(t.joins) == 0 {
		return strings.Join(conds, " AND "), args
	}
	return "EXISTS (SELECT 1 FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(conds, " AND ") + ")", args
}

// export reads the subject's rows of one entry: one record per row and
// category, its value the column's value, or a map from column to value
// when the row holds the category in several columns. NULLs and masked
// values are no data.
func (s *Source) export(ctx context.Context, q querier, t *table, sub privacy.Subject, except ...any) ([]dsar.Record, error) {
	var cols []string
	if t.id != "" {
		cols = append(cols, "t0."+quote(t.id))
	}
	for _, c := range t.columns {
		cols = append(cols, "t0."+quote(c.name))
	}
	where, args := t.where(sub, except...)
	query := "SELECT " + strings.Join(cols, ", ") + " FROM " + quote(t.name) + " AS t0 WHERE " + where
	if t.id != "" {
		query += " ORDER BY t0." + quote(t.id)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", t.name, err)
	}
	defer rows.Close()
	var out []dsar.Record
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read table %s: %w", t.name, err)
		}
		id := t.name
		if t.id != "" {
			id += "/" + fmt.Sprint(plain(vals[0]))
			vals = vals[1:]
		}
		byCategory := map[string]map[string]any{}
		var order []string
		for i, c := range t.columns {
			v := plain(vals[i])
			if v == nil || (c.erase == Mask && sameValue(v, c.mask)) {
				continue
			}
			if byCategory[c.category] == nil {
				byCategory[c.category] = map[string]any{}
				order = append(order, c.category)
			}
			byCategory[c.category][c.name] = v
		}
		for _, cat := range order {
			var v any = byCategory[cat]
			if len(byCategory[cat]) == 1 {
				for _, one := range byCategory[cat] {
					v = one
				}
			}
			out = append(out, dsar.Record{Category: cat, ID: id, Value: v})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read table %s: %w", t.name, err)
	}
	return out, nil
}

// plain turns a driver's value into one encoding/json writes as the data
// it is: text as a string rather than base64.
func plain(v any) any {
	if b, ok := v.([]byte); ok {
		if utf8.Valid(b) {
			return string(b)
		}
		return slices.Clone(b)
	}
	if t, ok := v.(time.Time); ok {
		return t.UTC()
	}
	return v
}

// sameValue reports whether a value read back equals a mask, whatever type
// the driver returned it as.
func sameValue(v, mask any) bool {
	return fmt.Sprint(v) == fmt.Sprint(mask)
}

// Export returns the subject's data in every table the dataset describes
// for their kind, one record per row and category, sorted by category. For
// a subject whose data the operator processes for a controller, only the
// rows of that controller.
func (s *Source) Export(ctx context.Context, sub privacy.Subject) (_ []dsar.Record, err error) {
	if err := privacy.CheckID("subject.id", sub.ID); err != nil {
		return nil, err
	}
	return s.exportAll(ctx, sub)
}

// ExportController returns every record the dataset's entries for subjects
// of the kind hold on behalf of the controller, as Export does for one
// subject: the customer's data to return when its contract ends (Art.
// 28(3)(g), dsar.Desk.Offboard). Only entries of a kind the operator
// processes for controllers are read.
func (s *Source) ExportController(ctx context.Context, kind privacy.SubjectKind, controller string) ([]dsar.Record, error) {
	if err := privacy.CheckID("controller", controller); err != nil {
		return nil, err
	}
	return s.exportAll(ctx, privacy.Subject{Kind: kind, Controller: controller})
}

// ControllerSubjects returns the ids of the subjects of the kind that the
// dataset's entries hold data about on behalf of the controller: the
// distinct non-NULL values of each entry's key among the controller's
// rows, sorted (dsar.Desk.Offboard asks the holds about each).
func (s *Source) ControllerSubjects(ctx context.Context, kind privacy.SubjectKind, controller string) (_ []string, err error) {
	if err := privacy.CheckID("controller", controller); err != nil {
		return nil, err
	}
	sub := privacy.Subject{Kind: kind, Controller: controller}
	entries, err := s.entries(sub)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, t := range entries {
		if err := s.subjects(ctx, t, sub, seen); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", s.ds.name, err)
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// subjects adds the keys of the entry's rows of sub's controller to seen.
func (s *Source) subjects(ctx context.Context, t *table, sub privacy.Subject, seen map[string]bool) error {
	alias := map[string]string{t.name: "t0"}
	from := []string{quote(t.name) + " AS t0"}
	for i, j := range t.joins {
		a := fmt.Sprintf("t%d", i+1)
		alias[j.table] = a
		from = append(from, quote(j.table)+" AS "+a)
	}
	key := alias[t.key.table] + "." + quote(t.key.column)
	var conds []string
	for _, j := range t.joins {
		conds = append(conds, alias[j.table]+"."+quote(j.column)+" = "+alias[j.from.table]+"."+quote(j.from.column))
	}
	conds = append(conds, key+" IS NOT NULL", alias[t.controller.table]+"."+quote(t.controller.column)+" = $1")
	query := "SELECT DISTINCT " + key + " FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(conds, " AND ")
	rows, err := s.db.QueryContext(ctx, query, sub.Controller)
	if err != nil {
		return fmt.Errorf("list the subjects of table %s: %w", t.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("list the subjects of table %s: %w", t.name, err)
		}
		if id := fmt.Sprint(plain(v)); id != "" {
			seen[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list the subjects of table %s: %w", t.name, err)
	}
	return nil
}

// EraseController erases, as Erase does for one subject, the given
// categories in every row the dataset's entries for subjects of the kind
// hold on behalf of the controller (Art. 28(3)(g), dsar.Desk.Offboard),
// except the rows that lead to a subject in except: those a hold keeps
// for that subject, which the Desk erases subject by subject (Erase).
// The exceptions go to the database as parameters of one statement per
// table, so their number is bounded by the database's limit on
// parameters (SQLite's 32,766, PostgreSQL's 65,535).
func (s *Source) EraseController(ctx context.Context, kind privacy.SubjectKind, controller string, categories, except []string) (_ []dsar.Erased, err error) {
	if err := privacy.CheckID("controller", controller); err != nil {
		return nil, err
	}
	for i, id := range except {
		if err := privacy.CheckID(fmt.Sprintf("except[%d]", i), id); err != nil {
			return nil, err
		}
	}
	// Drivers quote the values they refuse: the exceptions are subject ids.
	defer func() {
		for _, id := range except {
			redact(&err, privacy.Subject{ID: id})
		}
	}()
	return s.erase(ctx, privacy.Subject{Kind: kind, Controller: controller}, categories, except...)
}

var _ dsar.ControllerSource = (*Source)(nil)

func (s *Source) exportAll(ctx context.Context, sub privacy.Subject) (_ []dsar.Record, err error) {
	defer redact(&err, sub)
	entries, err := s.entries(sub)
	if err != nil {
		return nil, err
	}
	var out []dsar.Record
	for _, t := range entries {
		recs, err := s.export(ctx, s.db, t, sub)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", s.ds.name, err)
		}
		out = append(out, recs...)
	}
	slices.SortStableFunc(out, func(a, b dsar.Record) int { return strings.Compare(a.Category, b.Category) })
	return out, nil
}

// Erase erases the subject's data in the given categories, in one
// transaction, column by column as the dataset says: delete deletes the
// rows (unless something else in them must stay: then the column is set
// to NULL), null sets NULL, mask writes the mask. Columns of other
// categories are left alone: the Desk leaves out the categories a hold
// keeps. A category the dataset keeps under a hold of its own is an error
// (the Desk was not given Dataset.Holds), and nothing is erased. It
// reports each category in which it erased something, with the number of
// records (rows) erased; erasing again finds nothing.
func (s *Source) Erase(ctx context.Context, sub privacy.Subject, categories []string) (_ []dsar.Erased, err error) {
	if err := privacy.CheckID("subject.id", sub.ID); err != nil {
		return nil, err
	}
	return s.erase(ctx, sub, categories)
}

// exceptFor returns the subject ids of except that can match the entry's
// key: all of them, or the integers where the key column is an integer.
func (s *Source) exceptFor(t *table, except []string) []any {
	var out []any
	for _, id := range except {
		if !s.integer[t].key || isInteger(id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Source) erase(ctx context.Context, sub privacy.Subject, categories []string, except ...string) (_ []dsar.Erased, err error) {
	defer redact(&err, sub)
	entries, err := s.entries(sub)
	if err != nil {
		return nil, err
	}
	for _, t := range entries {
		for _, c := range t.columns {
			if c.erase == Keep && slices.Contains(categories, c.category) {
				return nil, fmt.Errorf("dataset %s: table %s: column %s is kept under hold %s, and the erasure asks to erase %s: give the Desk the dataset's holds (dsar.WithHolds(dataset.Holds(...)))",
					s.ds.name, t.name, c.name, c.hold, c.category)
			}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: erase: %w", s.ds.name, err)
	}
	defer tx.Rollback()
	counts := map[string]int{}
	for _, t := range entries {
		var erase []*column
		for _, c := range t.columns {
			if slices.Contains(categories, c.category) {
				erase = append(erase, c)
			}
		}
		if len(erase) == 0 {
			continue
		}
		ex := s.exceptFor(t, except)
		recs, err := s.export(ctx, tx, t, sub, ex...)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: erase: %w", s.ds.name, err)
		}
		for _, r := range recs {
			if slices.ContainsFunc(erase, func(c *column) bool { return c.category == r.Category }) {
				counts[r.Category]++
			}
		}
		if len(recs) == 0 {
			continue
		}
		where, args := t.where(sub, ex...)
		var query string
		if slices.ContainsFunc(erase, func(c *column) bool { return c.erase == DeleteRow }) && s.rowErasable(t.name, categories) {
			query = "DELETE FROM " + quote(t.name) + " AS t0 WHERE " + where
		} else {
			var sets []string
			for _, c := range erase {
				if c.erase == Mask {
					args = append(args, c.mask)
					sets = append(sets, fmt.Sprintf("%s = $%d", quote(c.name), len(args)))
				} else {
					sets = append(sets, quote(c.name)+" = NULL")
				}
			}
			query = "UPDATE " + quote(t.name) + " AS t0 SET " + strings.Join(sets, ", ") + " WHERE " + where
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return nil, fmt.Errorf("dataset %s: erase table %s: %w", s.ds.name, t.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("dataset %s: erase: %w", s.ds.name, err)
	}
	var out []dsar.Erased
	for _, cat := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, dsar.Erased{Category: cat, Method: dsar.Deleted, Count: counts[cat]})
	}
	return out, nil
}

// rowErasable reports whether every column the dataset describes in the
// table, for any kind of subject, may go in an erasure of the categories:
// only then may a row be deleted.
func (s *Source) rowErasable(tableName string, categories []string) bool {
	for _, t := range s.ds.tables {
		if t.name != tableName {
			continue
		}
		for _, c := range t.columns {
			if c.erase == Keep || !slices.Contains(categories, c.category) {
				return false
			}
		}
	}
	return true
}

// Rectify writes each correction's value into every column of its
// category in the subject's rows, in one transaction, and returns how many
// rows changed. Columns kept under a hold are records kept as they were
// made (an invoice is corrected by a new one) and are not rewritten.
// Values must be strings, numbers or booleans.
func (s *Source) Rectify(ctx context.Context, sub privacy.Subject, corrections []dsar.Correction) (_ int, err error) {
	if err := privacy.CheckID("subject.id", sub.ID); err != nil {
		return 0, err
	}
	defer redact(&err, sub, corrections...)
	entries, err := s.entries(sub)
	if err != nil {
		return 0, err
	}
	values := make([]any, len(corrections))
	for i, c := range corrections {
		if values[i], err = scalarValue(c.Value); err != nil {
			return 0, &privacy.ValidationError{Field: fmt.Sprintf("corrections[%d].value", i), Message: err.Error()}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("dataset %s: rectify: %w", s.ds.name, err)
	}
	defer tx.Rollback()
	n := 0
	for i, corr := range corrections {
		for _, t := range entries {
			for _, c := range t.columns {
				if c.category != corr.Category || c.erase == Keep {
					continue
				}
				where, args := t.where(sub)
				args = append(args, values[i])
				v := fmt.Sprintf("$%d", len(args))
				query := "UPDATE " + quote(t.name) + " AS t0 SET " + quote(c.name) + " = " + v +
					" WHERE " + where + " AND t0." + quote(c.name) + " " + s.dl.distinct + " " + v
				res, err := tx.ExecContext(ctx, query, args...)
				if err != nil {
					return 0, fmt.Errorf("dataset %s: rectify table %s column %s: %w", s.ds.name, t.name, c.name, err)
				}
				k, err := res.RowsAffected()
				if err != nil {
					return 0, fmt.Errorf("dataset %s: rectify table %s: %w", s.ds.name, t.name, err)
				}
				n += int(k)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("dataset %s: rectify: %w", s.ds.name, err)
	}
	return n, nil
}

// redact takes the subject's id, and the corrected values, out of the text
// of an error: drivers quote the values they refuse, and a source's error
// ends up in the request's audit trail and logs. The error still matches
// what it wrapped with errors.Is (a cancelled context, a driver sentinel).
func redact(err *error, sub privacy.Subject, corrections ...dsar.Correction) {
	if *err == nil {
		return
	}
	msg := (*err).Error()
	for _, c := range corrections {
		if v := fmt.Sprint(c.Value); v != "" {
			msg = strings.ReplaceAll(msg, v, "<corrected value>")
		}
	}
	if sub.ID != "" {
		msg = strings.ReplaceAll(msg, sub.ID, "<subject id>")
	}
	if msg != (*err).Error() {
		*err = &redactedError{msg: msg, err: *err}
	}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is matches what the original error matches, without handing out its
// text through Unwrap.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// scalarValue turns a correction's value, as encoding/json decodes it,
// into a query parameter: a string, an integer where the number is whole,
// a float or a boolean.
func scalarValue(v any) (any, error) {
	switch x := v.(type) {
	case string, bool, int, int32, int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	}
	return nil, fmt.Errorf("must be a string, a number or a boolean, got %T", v)
}

// Holds returns the Holds an erasure should consult with this dataset: the
// exemptions of next (the catalog's statutory holds and legal holds, such
// as retention.ErasureHolds or dsar.CatalogHolds) and, for a category
// next does not hold, the dataset's own hold of the columns it keeps. The
// Desk then reports each kept category with its ground and reason and
// leaves it out of the erasure. next may be nil.
func (d *Dataset) Holds(next dsar.Holds) dsar.Holds { return &holds{d: d, next: next} }

type holds struct {
	d    *Dataset
	next dsar.Holds
}

func (h *holds) Held(ctx context.Context, sub privacy.Subject, categories []string, at time.Time) ([]dsar.Exemption, error) {
	var base []dsar.Exemption
	if h.next != nil {
		var err error
		if base, err = h.next.Held(ctx, sub, categories, at); err != nil {
			return nil, err
		}
	}
	var out []dsar.Exemption
	for _, cat := range categories {
		if i := slices.IndexFunc(base, func(e dsar.Exemption) bool { return e.Category == cat }); i >= 0 {
			out = append(out, base[i])
			continue
		}
		if hd := h.d.keptBy(cat); hd != nil {
			out = append(out, dsar.Exemption{Category: cat, Ground: hd.ground,
				Reason: fmt.Sprintf("%s (dataset %s, hold %s)", hd.reason, h.d.name, hd.name)})
		}
	}
	return out, nil
}

// keptBy returns the hold that keeps the category's columns, if any.
func (d *Dataset) keptBy(category string) *hold {
	for _, t := range d.tables {
		for _, c := range t.columns {
			if c.erase == Keep && c.category == category {
				return d.holds[c.hold]
			}
		}
	}
	return nil
}
