package sqlstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
)

// ConsentStore is the consent ledger in SQL tables. It is safe for
// concurrent use, and by several processes sharing one database.
type ConsentStore struct {
	db *sql.DB
	d  Dialect
}

// NewConsentStore returns the ledger stored in db, whose schema Migrate has
// brought up to date.
func NewConsentStore(db *sql.DB, d Dialect) *ConsentStore {
	return &ConsentStore{db: db, d: d}
}

// Append validates r, assigns RecordID and Seq, seals it to the last record
// of the ledger and stores it, all in one transaction that holds the ledger
// head locked, so that concurrent appends get consecutive Seqs and a
// chained PrevHash. Times are returned in UTC.
func (s *ConsentStore) Append(ctx context.Context, r consent.Record) (consent.Record, error) {
	if err := cmp.Or(r.Validate(), checkNanos("collected_at", r.CollectedAt), checkNanos("expires_at", r.ExpiresAt)); err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	r, err = s.append(ctx, tx, r)
	if err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", s.d.translate(err))
	}
	if err := tx.Commit(); err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", s.d.translate(err))
	}
	return r, nil
}

func (s *ConsentStore) append(ctx context.Context, tx *sql.Tx, r consent.Record) (consent.Record, error) {
	var (
		seq  int64
		prev string
	)
	if err := tx.QueryRowContext(ctx,
		`SELECT seq, hash FROM privacy_consent_head WHERE id = 1`+s.d.forUpdate,
	).Scan(&seq, &prev); err != nil {
		return consent.Record{}, fmt.Errorf("read ledger head: %w", err)
	}
	r.Seq = seq + 1
	r.RecordID = newRecordID()
	// An empty list reads back as nil; the digest cannot tell them apart.
	r.Categories = slices.Clone(r.Categories)
	if len(r.Categories) == 0 {
		r.Categories = nil
	}
	r.CollectedAt = r.CollectedAt.UTC()
	if !r.ExpiresAt.IsZero() {
		r.ExpiresAt = r.ExpiresAt.UTC()
	}
	r.Seal(prev)

	categories := []byte("[]")
	if r.Categories != nil {
		var err error
		if categories, err = json.Marshal(r.Categories); err != nil {
			return consent.Record{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_consent_records (
	seq, record_id, subject_id, controller, purpose, categories, event,
	policy_version, notice_hash, method, collected_by, language, jurisdiction,
	collected_at, expires_at, guardian, prev_hash, hash
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		r.Seq, r.RecordID, r.SubjectID, r.Controller, r.Purpose, string(categories), string(r.Event),
		r.PolicyVersion, r.NoticeHash, r.Method, r.CollectedBy, r.Language, r.Jurisdiction,
		r.CollectedAt.UnixNano(), nullNanos(r.ExpiresAt), r.Guardian, r.PrevHash, r.Hash,
	); err != nil {
		return consent.Record{}, fmt.Errorf("insert record: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE privacy_consent_head SET seq = $1, hash = $2 WHERE id = 1`, r.Seq, r.Hash,
	); err != nil {
		return consent.Record{}, fmt.Errorf("move ledger head: %w", err)
	}
	return r, nil
}

// State returns the latest record of the subject and purpose collected at
// or before at, ties broken by ledger order; a State with a zero Event when
// there is none.
func (s *ConsentStore) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return consent.State{}, fmt.Errorf("read consent state: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	st, err := s.state(ctx, tx, subjectID, purpose, at)
	if err != nil {
		return consent.State{}, fmt.Errorf("read consent state of %s for %s: %w", subjectID, purpose, s.d.translate(err))
	}
	return st, nil
}

func (s *ConsentStore) state(ctx context.Context, tx *sql.Tx, subjectID, purpose string, at time.Time) (consent.State, error) {
	st := consent.State{SubjectID: subjectID, Purpose: purpose}
	var (
		event     string
		collected int64
		expires   sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT record_id, event, policy_version, guardian, collected_at, expires_at
FROM privacy_consent_records
WHERE subject_id = $1 AND purpose = $2 AND collected_at <= $3
ORDER BY collected_at DESC, seq DESC
LIMIT 1`, subjectID, purpose, clampNanos(at),
	).Scan(&st.RecordID, &event, &st.PolicyVersion, &st.Guardian, &collected, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return consent.State{}, err
	}
	st.Event = consent.Event(event)
	st.CollectedAt = fromNanos(collected)
	st.ExpiresAt = fromNullNanos(expires)
	return st, nil
}

// History returns every record of the subject in ledger order, or an empty
// slice.
func (s *ConsentStore) History(ctx context.Context, subjectID string) ([]consent.Record, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, fmt.Errorf("read consent history: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rs, err := s.records(ctx, tx, `WHERE subject_id = $1 ORDER BY seq`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("read consent history of %s: %w", subjectID, s.d.translate(err))
	}
	return rs, nil
}

// Record returns the record with the id, or an error wrapping
// consent.ErrNotFound.
func (s *ConsentStore) Record(ctx context.Context, recordID string) (consent.Record, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return consent.Record{}, fmt.Errorf("read consent record: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rs, err := s.records(ctx, tx, `WHERE record_id = $1`, recordID)
	if err != nil {
		return consent.Record{}, fmt.Errorf("read consent record %s: %w", recordID, s.d.translate(err))
	}
	if len(rs) == 0 {
		return consent.Record{}, fmt.Errorf("%w: %s", consent.ErrNotFound, recordID)
	}
	return rs[0], nil
}

// records returns the records the clause selects.
func (s *ConsentStore) records(ctx context.Context, tx *sql.Tx, clause string, args ...any) ([]consent.Record, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, record_id, subject_id, controller, purpose, categories,
	event, policy_version, notice_hash, method, collected_by, language, jurisdiction,
	collected_at, expires_at, guardian, prev_hash, hash
FROM privacy_consent_records `+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []consent.Record{}
	for rows.Next() {
		var (
			r          consent.Record
			categories string
			event      string
			collected  int64
			expires    sql.NullInt64
		)
		if err := rows.Scan(&r.Seq, &r.RecordID, &r.SubjectID, &r.Controller, &r.Purpose, &categories,
			&event, &r.PolicyVersion, &r.NoticeHash, &r.Method, &r.CollectedBy, &r.Language, &r.Jurisdiction,
			&collected, &expires, &r.Guardian, &r.PrevHash, &r.Hash); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(categories), &r.Categories); err != nil {
			return nil, fmt.Errorf("record %s: categories: %w", r.RecordID, err)
		}
		if len(r.Categories) == 0 {
			r.Categories = nil
		}
		r.Event = consent.Event(event)
		r.CollectedAt = fromNanos(collected)
		r.ExpiresAt = fromNullNanos(expires)
		out = append(out, r)
	}
	return out, rows.Err()
}

// newRecordID returns a random version-4 UUID.
func newRecordID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// nanosRange returns the first and last time int64 unix nanoseconds, the
// stored form of times, can hold: in 1677 and 2262.
func nanosRange() (first, last time.Time) {
	return time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)
}

// checkNanos rejects a non-zero time that int64 nanoseconds cannot hold.
func checkNanos(field string, t time.Time) error {
	minNanos, maxNanos := nanosRange()
	if t.IsZero() || (!t.Before(minNanos) && !t.After(maxNanos)) {
		return nil
	}
	return &privacy.ValidationError{Field: field, Message: fmt.Sprintf("must be between %d and %d, got %s",
		minNanos.Year(), maxNanos.Year(), t.Format(time.RFC3339Nano))}
}

// clampNanos returns t in unix nanoseconds, clamped to what int64 holds, so
// that a query bound such as the zero time or year 9999 still compares
// correctly with stored times.
func clampNanos(t time.Time) int64 {
	minNanos, maxNanos := nanosRange()
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func nullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}
