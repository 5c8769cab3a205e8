package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

// RequestStore keeps data-subject requests in SQL. Each request is one row:
// its JSON encoding, and copies of the fields List filters and sorts on. It
// is safe for concurrent use, and by several processes sharing one
// database: Update holds the request's row locked (SELECT … FOR UPDATE on
// PostgreSQL, the write lock on SQLite) from its read to its write.
type RequestStore struct {
	db *sql.DB
	d  Dialect
}

// NewRequestStore returns the request store in db, whose schema Migrate has
// brought up to date.
func NewRequestStore(db *sql.DB, d Dialect) *RequestStore {
	return &RequestStore{db: db, d: d}
}

// checkRequest validates r and the times the row stores as nanoseconds.
func checkRequest(r *dsar.Request) error {
	return cmp.Or(r.Validate(), privacy.CheckTime("received_at", r.ReceivedAt), privacy.CheckTime("due", r.Due))
}

// Create validates and stores a new request; a taken id is an error
// wrapping privacy.ErrConflict.
func (s *RequestStore) Create(ctx context.Context, r dsar.Request) error {
	if err := checkRequest(&r); err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("create request %s: encode: %w", r.ID, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO privacy_dsar_requests
	(id, subject_id, kind, status, received_at, due, body) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, r.Subject.ID, string(r.Kind), string(r.Status), r.ReceivedAt.UnixNano(), r.Due.UnixNano(), string(body),
	); err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, s.d.translate(err))
	}
	return nil
}

// Request returns the request with the id, or an error wrapping
// dsar.ErrNotFound.
func (s *RequestStore) Request(ctx context.Context, id string) (dsar.Request, error) {
	if !s.d.storable(id) {
		return dsar.Request{}, fmt.Errorf("read request %q: %w", id, dsar.ErrNotFound)
	}
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return dsar.Request{}, fmt.Errorf("read request %s: %w", id, s.d.translate(err))
	}
	defer tx.Rollback()
	r, err := s.request(ctx, tx, id, "")
	if err != nil {
		return dsar.Request{}, fmt.Errorf("read request %s: %w", id, err)
	}
	return r, nil
}

func (s *RequestStore) request(ctx context.Context, tx *sql.Tx, id, lock string) (dsar.Request, error) {
	var body string
	err := tx.QueryRowContext(ctx, `SELECT body FROM privacy_dsar_requests WHERE id = $1`+lock, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return dsar.Request{}, dsar.ErrNotFound
	}
	if err != nil {
		return dsar.Request{}, s.d.translate(err)
	}
	return decodeRequest(body)
}

func decodeRequest(body string) (dsar.Request, error) {
	var r dsar.Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return dsar.Request{}, fmt.Errorf("decode stored request: %w", err)
	}
	return r, nil
}

// Update reads the request, calls fn on it and stores the result in one
// transaction that holds the request's row locked, so that concurrent
// Updates of one request run one after the other and each sees the one
// before. An error from fn is returned as it is and changes nothing.
func (s *RequestStore) Update(ctx context.Context, id string, fn func(*dsar.Request) error) (dsar.Request, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: %w", id, s.d.translate(err))
	}
	defer tx.Rollback()
	r, err := s.request(ctx, tx, id, s.d.forUpdate)
	if err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: %w", id, err)
	}
	if err := fn(&r); err != nil {
		return dsar.Request{}, err
	}
	if r.ID != id {
		return dsar.Request{}, &privacy.ValidationError{Field: "id", Message: "may not change"}
	}
	if err := checkRequest(&r); err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: %w", id, err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: encode: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE privacy_dsar_requests
	SET subject_id = $1, kind = $2, status = $3, received_at = $4, due = $5, body = $6 WHERE id = $7`,
		r.Subject.ID, string(r.Kind), string(r.Status), r.ReceivedAt.UnixNano(), r.Due.UnixNano(), string(body), id,
	); err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: %w", id, s.d.translate(err))
	}
	if err := tx.Commit(); err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: %w", id, s.d.translate(err))
	}
	// Return what a later read returns: the decoded JSON.
	stored, err := decodeRequest(string(body))
	if err != nil {
		return dsar.Request{}, fmt.Errorf("update request %s: %w", id, err)
	}
	return stored, nil
}

// List returns the requests the filter selects, oldest receipt first, ties
// by id.
func (s *RequestStore) List(ctx context.Context, f dsar.Filter) ([]dsar.Request, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.SubjectID != "" {
		if !s.d.storable(f.SubjectID) {
			return []dsar.Request{}, nil
		}
		where = append(where, "subject_id = "+arg(f.SubjectID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if !f.OverdueOn.IsZero() {
		var open []string
		for _, st := range dsar.OpenStatuses() {
			open = append(open, arg(string(st)))
		}
		where = append(where, fmt.Sprintf("status IN (%s) AND due < %s", strings.Join(open, ", "), arg(clampNanos(f.OverdueOn))))
	}
	q := `SELECT body FROM privacy_dsar_requests`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY received_at, id"

	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", s.d.translate(err))
	}
	defer rows.Close()
	out := []dsar.Request{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("list requests: %w", s.d.translate(err))
		}
		r, err := decodeRequest(body)
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list requests: %w", s.d.translate(err))
	}
	return out, nil
}
