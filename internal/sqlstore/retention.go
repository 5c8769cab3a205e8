package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
)

// RetentionStore keeps legal holds, controllers' retention periods and
// sweep checkpoints, leases and audit records in SQL tables. It is safe
// for concurrent use, and by several processes sharing one database: the
// lease is a conditional upsert of the sweep's row, which PostgreSQL
// serialises on the row and SQLite on its write lock.
type RetentionStore struct {
	db *sql.DB
	d  Dialect
}

// NewRetentionStore returns the retention store in db, whose schema
// Migrate has brought up to date.
func NewRetentionStore(db *sql.DB, d Dialect) *RetentionStore { return &RetentionStore{db: db, d: d} }

// PlaceHold validates and stores a hold, assigning a random ID when it
// has none.
func (s *RetentionStore) PlaceHold(ctx context.Context, h retention.Hold) (retention.Hold, error) {
	if err := h.Validate(); err != nil {
		return retention.Hold{}, err
	}
	for field, t := range map[string]time.Time{"placed_at": h.PlacedAt, "until": h.Until} {
		if err := privacy.CheckTime(field, t); err != nil {
			return retention.Hold{}, err
		}
	}
	if h.ID == "" {
		var b [8]byte
		rand.Read(b[:])
		h.ID = "hold-" + hex.EncodeToString(b[:])
	}
	h.ReleasedAt, h.ReleasedBy = time.Time{}, ""
	h.PlacedAt, h.Until = h.PlacedAt.UTC(), utcOrZero(h.Until)
	_, err := s.db.ExecContext(ctx, `INSERT INTO privacy_retention_holds
	(id, subject_id, category, placed_by, reason, placed_at, until_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		h.ID, h.SubjectID, h.Category, h.PlacedBy, h.Reason, h.PlacedAt.UnixNano(), nullNanos(h.Until))
	if err != nil {
		return retention.Hold{}, fmt.Errorf("place hold %s: %w", h.ID, s.d.translate(err))
	}
	return h, nil
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// ReleaseHold ends the hold with the id.
func (s *RetentionStore) ReleaseHold(ctx context.Context, id, by string, at time.Time) (retention.Hold, error) {
	if err := privacy.CheckTime("released_at", at); err != nil || at.IsZero() {
		if err == nil {
			err = &privacy.ValidationError{Field: "released_at", Message: "is required"}
		}
		return retention.Hold{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, s.d.translate(err))
	}
	defer tx.Rollback()
	hs, err := s.holds(ctx, tx, `WHERE id = $1`+s.d.forUpdate, id)
	if err != nil {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, s.d.translate(err))
	}
	if len(hs) == 0 {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, privacy.ErrNotFound)
	}
	h := hs[0]
	if !h.ReleasedAt.IsZero() {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w: already released", id, privacy.ErrConflict)
	}
	if err := retention.CheckRelease(h, by, at); err != nil {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, err)
	}
	h.ReleasedAt, h.ReleasedBy = at.UTC(), by
	if _, err := tx.ExecContext(ctx, `UPDATE privacy_retention_holds SET released_at = $1, released_by = $2 WHERE id = $3`,
		h.ReleasedAt.UnixNano(), by, id); err != nil {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, s.d.translate(err))
	}
	if err := tx.Commit(); err != nil {
		return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, s.d.translate(err))
	}
	return h, nil
}

// ActiveHolds returns the holds active at the time, ordered by PlacedAt
// and ID.
func (s *RetentionStore) ActiveHolds(ctx context.Context, at time.Time) ([]retention.Hold, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, fmt.Errorf("read holds: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	n := clampNanos(at)
	hs, err := s.holds(ctx, tx, activeHolds, n)
	if err != nil {
		return nil, fmt.Errorf("read holds: %w", s.d.translate(err))
	}
	return hs, nil
}

func (s *RetentionStore) holds(ctx context.Context, tx *sql.Tx, clause string, args ...any) ([]retention.Hold, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, subject_id, category, placed_by, reason, placed_at, until_at, released_at, released_by
FROM privacy_retention_holds `+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []retention.Hold{}
	for rows.Next() {
		var (
			h               retention.Hold
			placed          int64
			until, released sql.NullInt64
		)
		if err := rows.Scan(&h.ID, &h.SubjectID, &h.Category, &h.PlacedBy, &h.Reason, &placed, &until, &released, &h.ReleasedBy); err != nil {
			return nil, err
		}
		h.PlacedAt, h.Until, h.ReleasedAt = fromNanos(placed), fromNullNanos(until), fromNullNanos(released)
		out = append(out, h)
	}
	return out, rows.Err()
}

// SetOverride stores a controller's choice; a zero Period removes it.
func (s *RetentionStore) SetOverride(ctx context.Context, o retention.Override) error {
	if err := o.Validate(); err != nil {
		return err
	}
	var err error
	if o.Period.IsZero() {
		_, err = s.db.ExecContext(ctx, `DELETE FROM privacy_retention_overrides WHERE controller = $1 AND category = $2`,
			o.Controller, o.Category)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO privacy_retention_overrides (controller, category, period, set_by, set_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (controller, category) DO UPDATE SET period = excluded.period, set_by = excluded.set_by, set_at = excluded.set_at`,
			o.Controller, o.Category, o.Period.String(), o.SetBy, nullNanos(o.SetAt))
	}
	if err != nil {
		return fmt.Errorf("set retention override of %s for %s: %w", o.Controller, o.Category, s.d.translate(err))
	}
	return nil
}

// Overrides returns every choice, ordered by controller and category.
func (s *RetentionStore) Overrides(ctx context.Context) ([]retention.Override, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT controller, category, period, set_by, set_at
FROM privacy_retention_overrides ORDER BY controller, category`)
	if err != nil {
		return nil, fmt.Errorf("read retention overrides: %w", s.d.translate(err))
	}
	defer rows.Close()
	out := []retention.Override{}
	for rows.Next() {
		var (
			o      retention.Override
			period string
			at     sql.NullInt64
		)
		if err := rows.Scan(&o.Controller, &o.Category, &period, &o.SetBy, &at); err != nil {
			return nil, fmt.Errorf("read retention overrides: %w", s.d.translate(err))
		}
		if o.Period, err = privacy.ParsePeriod(period); err != nil {
			return nil, fmt.Errorf("read retention override of %s for %s: %w", o.Controller, o.Category, err)
		}
		o.SetAt = fromNullNanos(at)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read retention overrides: %w", s.d.translate(err))
	}
	return out, nil
}

// Acquire takes or renews the lease on the named sweep in one conditional
// upsert: the row changes hands only when it is free, already owner's, or
// its lease ended by now.
func (s *RetentionStore) Acquire(ctx context.Context, name, owner string, now, until time.Time) (retention.Checkpoint, error) {
	var body string
	err := s.db.QueryRowContext(ctx, `INSERT INTO privacy_retention_sweeps (name, owner, lease_until, checkpoint)
VALUES ($1, $2, $3, '{}')
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
WHERE privacy_retention_sweeps.owner = excluded.owner OR privacy_retention_sweeps.owner = ''
   OR privacy_retention_sweeps.lease_until <= $4
RETURNING checkpoint`, name, owner, clampNanos(until), clampNanos(now)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		var holder string
		_ = s.db.QueryRowContext(ctx, `SELECT owner FROM privacy_retention_sweeps WHERE name = $1`, name).Scan(&holder)
		return retention.Checkpoint{}, fmt.Errorf("acquire sweep %s: %w (owner %s)", name, retention.ErrLocked, holder)
	}
	if err != nil {
		return retention.Checkpoint{}, fmt.Errorf("acquire sweep %s: %w", name, s.d.translate(err))
	}
	var cp retention.Checkpoint
	if err := json.Unmarshal([]byte(body), &cp); err != nil {
		return retention.Checkpoint{}, fmt.Errorf("acquire sweep %s: decode checkpoint: %w", name, err)
	}
	return cp, nil
}

// Save stores the checkpoint and appends the audit record in one
// transaction, if owner holds the lease.
func (s *RetentionStore) Save(ctx context.Context, name, owner string, cp retention.Checkpoint, a *retention.Audit) error {
	body, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("save sweep %s: %w", name, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save sweep %s: %w", name, s.d.translate(err))
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE privacy_retention_sweeps SET checkpoint = $1 WHERE name = $2 AND owner = $3`,
		string(body), name, owner)
	if err != nil {
		return fmt.Errorf("save sweep %s: %w", name, s.d.translate(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return fmt.Errorf("save sweep %s: %w", name, s.d.translate(err))
		}
		return fmt.Errorf("save sweep %s: %w", name, retention.ErrLeaseLost)
	}
	if a != nil {
		rec, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("save sweep %s: %w", name, err)
		}
		// The sweep's row is locked by the UPDATE above, so positions
		// cannot race.
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_retention_audit (name, position, record)
SELECT $1, COALESCE(MAX(position), 0) + 1, $2 FROM privacy_retention_audit WHERE name = $1`, name, string(rec)); err != nil {
			return fmt.Errorf("save sweep %s: audit: %w", name, s.d.translate(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save sweep %s: %w", name, s.d.translate(err))
	}
	return nil
}

// Release gives up owner's lease, keeping the checkpoint.
func (s *RetentionStore) Release(ctx context.Context, name, owner string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE privacy_retention_sweeps SET owner = '', lease_until = 0
WHERE name = $1 AND owner = $2`, name, owner); err != nil {
		return fmt.Errorf("release sweep %s: %w", name, s.d.translate(err))
	}
	return nil
}

// Audits returns the named sweep's audit records in order.
func (s *RetentionStore) Audits(ctx context.Context, name string) ([]retention.Audit, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM privacy_retention_audit WHERE name = $1 ORDER BY position`, name)
	if err != nil {
		return nil, fmt.Errorf("read audit of sweep %s: %w", name, s.d.translate(err))
	}
	defer rows.Close()
	out := []retention.Audit{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("read audit of sweep %s: %w", name, s.d.translate(err))
		}
		var a retention.Audit
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, fmt.Errorf("read audit of sweep %s: %w", name, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit of sweep %s: %w", name, s.d.translate(err))
	}
	return out, nil
}

// inventoryTriggers are the triggers the inventory table has columns for,
// in column order.
var inventoryTriggers = []privacy.Trigger{
	privacy.TriggerCollected, privacy.TriggerAccountClosed, privacy.TriggerLastActivity,
	privacy.TriggerMeetingEnded, privacy.TriggerConsentWithdrawn,
}

const inventoryColumns = `key, subject_id, controller, category, collected_at, account_closed_at, last_activity_at, meeting_ended_at, consent_withdrawn_at`

// Inventory is a retention inventory kept in a table: services register
// the records they hold with Put, and the sweeper lists and erases them.
// It knows the built-in triggers only. It is safe for concurrent use.
type Inventory struct {
	db *sql.DB
	d  Dialect
}

// NewInventory returns the inventory table in db.
func NewInventory(db *sql.DB, d Dialect) *Inventory { return &Inventory{db: db, d: d} }

// Put registers records, replacing those with the same keys, in one
// transaction. A trigger the table has no column for is a
// *privacy.ValidationError.
func (inv *Inventory) Put(ctx context.Context, recs []retention.Record) error {
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return retention.RecordError(i, err)
		}
	}
	// Small statements: SQLite looks $n parameters up by name, which costs
	// quadratically in a statement with thousands of them.
	const chunk = 50
	tx, err := inv.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put inventory records: %w", inv.d.translate(err))
	}
	defer tx.Rollback()
	for start := 0; start < len(recs); start += chunk {
		part := recs[start:min(start+chunk, len(recs))]
		var (
			q    strings.Builder
			args = make([]any, 0, len(part)*9)
		)
		q.WriteString(`INSERT INTO privacy_retention_records (` + inventoryColumns + `) VALUES `)
		for i, r := range part {
			if r.Key == "" {
				return &privacy.ValidationError{Field: fmt.Sprintf("records[%d].key", start+i), Message: "is required"}
			}
			for tr, at := range r.Times {
				if !isInventoryTrigger(tr) {
					return &privacy.ValidationError{Field: fmt.Sprintf("records[%d].times", start+i), Message: fmt.Sprintf("trigger %q has no column", tr)}
				}
				if err := privacy.CheckTime(fmt.Sprintf("records[%d].times.%s", start+i, tr), at); err != nil {
					return err
				}
			}
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
			args = append(args, r.Key, r.SubjectID, r.Controller, r.Category)
			for _, tr := range inventoryTriggers {
				args = append(args, nullNanos(r.Times[tr]))
			}
		}
		q.WriteString(` ON CONFLICT (key) DO UPDATE SET subject_id = excluded.subject_id, controller = excluded.controller,
	category = excluded.category, collected_at = excluded.collected_at, account_closed_at = excluded.account_closed_at,
	last_activity_at = excluded.last_activity_at, meeting_ended_at = excluded.meeting_ended_at,
	consent_withdrawn_at = excluded.consent_withdrawn_at, anonymised = FALSE`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("put inventory records: %w", inv.d.translate(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put inventory records: %w", inv.d.translate(err))
	}
	return nil
}

func isInventoryTrigger(tr privacy.Trigger) bool {
	for _, x := range inventoryTriggers {
		if x == tr {
			return true
		}
	}
	return false
}

// Records returns up to limit records with keys after the key after, in
// key order, leaving out anonymised ones.
func (inv *Inventory) Records(ctx context.Context, after string, limit int) ([]retention.Record, error) {
	rows, err := inv.db.QueryContext(ctx, `SELECT `+inventoryColumns+` FROM privacy_retention_records
WHERE key > $1 AND NOT anonymised ORDER BY key LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list inventory: %w", inv.d.translate(err))
	}
	defer rows.Close()
	out, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("list inventory: %w", inv.d.translate(err))
	}
	return out, nil
}

// scanRecords reads inventory rows selected as inventoryColumns and
// closes them.
func scanRecords(rows *sql.Rows) ([]retention.Record, error) {
	defer rows.Close()
	out := []retention.Record{}
	var times [5]sql.NullInt64
	for rows.Next() {
		var r retention.Record
		if err := rows.Scan(&r.Key, &r.SubjectID, &r.Controller, &r.Category,
			&times[0], &times[1], &times[2], &times[3], &times[4]); err != nil {
			return nil, err
		}
		for i, tr := range inventoryTriggers {
			if times[i].Valid {
				if r.Times == nil {
					r.Times = make(map[privacy.Trigger]time.Time, 2)
				}
				r.Times[tr] = fromNanos(times[i].Int64)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Erase deletes the rows, or anonymises them (subject and controller
// cleared, trigger times dropped, no longer listed), that the guard allows,
// in one transaction that first reads the rows (locked on PostgreSQL; the
// write lock is held from the start on SQLite) and the holds active at the
// guard's time, so that what it judges is what it erases. Holds are read
// from the guard's store before the transaction and from this database's
// holds table inside it; on PostgreSQL the holds table is locked against
// writes until the commit, so that a hold placed while the batch is
// erased waits for it and one placed before is seen. Keys already erased
// or unknown are skipped. It returns the keys the guard refused.
func (inv *Inventory) Erase(ctx context.Context, keys []string, guard *retention.Guard) ([]string, error) {
	var stmt string
	switch guard.Action() {
	case privacy.ActionDelete:
		stmt = `DELETE FROM privacy_retention_records WHERE `
	case privacy.ActionAnonymise:
		stmt = `UPDATE privacy_retention_records SET subject_id = '', controller = '', collected_at = NULL,
	account_closed_at = NULL, last_activity_at = NULL, meeting_ended_at = NULL, consent_withdrawn_at = NULL, anonymised = TRUE
WHERE `
	default:
		return nil, &privacy.ValidationError{Field: "action", Message: fmt.Sprintf("unknown retention action %q", guard.Action())}
	}
	fail := func(err error) ([]string, error) {
		return nil, fmt.Errorf("erase inventory records: %w", inv.d.translate(err))
	}
	// Before the transaction: on SQLite it holds the only write lock, and
	// the guard's store may want a connection of this very pool.
	outside, err := guard.Holds(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := inv.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if inv.d.lockHolds != "" {
		if _, err := tx.ExecContext(ctx, inv.d.lockHolds); err != nil {
			return fail(err)
		}
	}
	rs := &RetentionStore{db: inv.db, d: inv.d}
	holds, err := rs.holds(ctx, tx, activeHolds, clampNanos(guard.Now()))
	if err != nil {
		return fail(err)
	}
	holds = append(holds, outside...)
	var allowed, spared []string
	if err := inv.forKeys(keys, func(where string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+inventoryColumns+` FROM privacy_retention_records
WHERE NOT anonymised AND `+where+` ORDER BY key`+inv.d.forUpdate, args...)
		if err != nil {
			return err
		}
		recs, err := scanRecords(rows)
		if err != nil {
			return err
		}
		for i := range recs {
			if guard.Allows(&recs[i], holds) {
				allowed = append(allowed, recs[i].Key)
			} else {
				spared = append(spared, recs[i].Key)
			}
		}
		return nil
	}); err != nil {
		return fail(err)
	}
	if err := inv.forKeys(allowed, func(where string, args []any) error {
		_, err := tx.ExecContext(ctx, stmt+where, args...)
		return err
	}); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return spared, nil
}

// activeHolds is the clause that selects the holds active at $1.
const activeHolds = `WHERE placed_at <= $1 AND (released_at IS NULL OR released_at > $1)
	AND (until_at IS NULL OR until_at > $1) ORDER BY placed_at, id`

// forKeys calls fn with a condition selecting keys and its arguments: on
// PostgreSQL once, with the keys as an array; on SQLite in chunks, since it
// looks $n parameters up by name, which costs quadratically in a statement
// with thousands of them.
func (inv *Inventory) forKeys(keys []string, fn func(where string, args []any) error) error {
	if len(keys) == 0 {
		return nil
	}
	if inv.d.name == "postgres" {
		return fn("key = ANY($1)", []any{keys})
	}
	const chunk = 100
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		var q strings.Builder
		q.WriteString("key IN (")
		args := make([]any, len(part))
		for i, k := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "$%d", i+1)
			args[i] = k
		}
		q.WriteString(")")
		if err := fn(q.String(), args); err != nil {
			return err
		}
	}
	return nil
}
