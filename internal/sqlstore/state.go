package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/subject"
)

// StateStore keeps subjects' state in SQL tables. It is safe for
// concurrent use, and by several processes sharing one database.
type StateStore struct {
	db      *sql.DB
	d       Dialect
	now     func() time.Time
	changed func(subjectID string)
}

// StateOptions configures a StateStore.
type StateOptions struct {
	// Now stamps UpdatedAt.
	Now func() time.Time
	// Changed, if set, is called with the subject of each committed
	// Update, before Update returns, for the caches of this process.
	Changed func(subjectID string)
}

// NewStateStore returns the subject-state store in db, whose schema Migrate
// has brought up to date.
func NewStateStore(db *sql.DB, d Dialect, o StateOptions) *StateStore {
	return &StateStore{db: db, d: d, now: o.Now, changed: o.Changed}
}

// State returns the subject's state, the zero State with SubjectID set and
// no objections for a subject never seen.
func (s *StateStore) State(ctx context.Context, subjectID string) (subject.State, error) {
	if !s.d.storable(subjectID) {
		return subject.State{SubjectID: subjectID, Objections: []subject.Objection{}}, nil
	}
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return subject.State{}, fmt.Errorf("read subject state: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	st, err := s.state(ctx, tx, subjectID, "")
	if err != nil {
		return subject.State{}, fmt.Errorf("read subject state: %w", s.d.translate(err))
	}
	return st, nil
}

// Update reads the subject's state, calls fn on it and stores the result,
// in one transaction that holds the subject's row locked, so that
// concurrent Updates of one subject run one after the other and each sees
// the one before. An error from fn is returned as it is and changes
// nothing.
func (s *StateStore) Update(ctx context.Context, subjectID string, fn func(*subject.State) error) error {
	if err := privacy.CheckID("subject_id", subjectID); err != nil {
		return fmt.Errorf("update subject state: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update subject state: %w", s.d.translate(err))
	}
	defer tx.Rollback()

	// Make sure the row exists, so that there is something to lock even
	// for a subject never seen; rolled back with the rest if fn fails.
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_subject_states (subject_id, restricted, deactivated)
VALUES ($1, FALSE, FALSE) ON CONFLICT (subject_id) DO NOTHING`, subjectID); err != nil {
		return fmt.Errorf("update subject state: %w", s.d.translate(err))
	}
	st, err := s.state(ctx, tx, subjectID, s.d.forUpdate)
	if err != nil {
		return fmt.Errorf("update subject state: %w", s.d.translate(err))
	}
	if err := fn(&st); err != nil {
		return err
	}
	st.SubjectID = subjectID
	st.UpdatedAt = s.now().UTC()
	if err := s.write(ctx, tx, st); err != nil {
		return fmt.Errorf("update subject state: %w", s.d.translate(err))
	}
	if s.d.notifyState != "" {
		if _, err := tx.ExecContext(ctx, s.d.notifyState, subjectID); err != nil {
			return fmt.Errorf("update subject state: notify: %w", s.d.translate(err))
		}
	}
	err = tx.Commit()
	if s.changed != nil {
		// Also when the commit failed, whose outcome may be unknown.
		s.changed(subjectID)
	}
	if err != nil {
		return fmt.Errorf("update subject state: %w", s.d.translate(err))
	}
	return nil
}

// state reads the subject's state; lock is appended to the query of the
// subject's row.
func (s *StateStore) state(ctx context.Context, tx *sql.Tx, subjectID, lock string) (subject.State, error) {
	st := subject.State{SubjectID: subjectID, Objections: []subject.Objection{}}
	var updated sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT restricted, deactivated, updated_at FROM privacy_subject_states WHERE subject_id = $1`+lock,
		subjectID,
	).Scan(&st.Restricted, &st.Deactivated, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return subject.State{}, err
	}
	st.UpdatedAt = fromNullNanos(updated)

	rows, err := tx.QueryContext(ctx, `SELECT purpose, direct_marketing, objected_at
FROM privacy_subject_objections WHERE subject_id = $1 ORDER BY position`, subjectID)
	if err != nil {
		return subject.State{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			o  subject.Objection
			at sql.NullInt64
		)
		if err := rows.Scan(&o.Purpose, &o.DirectMarketing, &at); err != nil {
			return subject.State{}, err
		}
		o.At = fromNullNanos(at)
		st.Objections = append(st.Objections, o)
	}
	if err := rows.Err(); err != nil {
		return subject.State{}, err
	}
	rows.Close()
	if err := s.assessments(ctx, tx, &st); err != nil {
		return subject.State{}, err
	}
	return st, s.lifecycle(ctx, tx, &st)
}

// assessments reads the subject's assessments of compelling grounds, in
// the order they were recorded.
func (s *StateStore) assessments(ctx context.Context, tx *sql.Tx, st *subject.State) error {
	rows, err := tx.QueryContext(ctx, `SELECT purpose, assessed_by, reason, assessed_at
FROM privacy_subject_assessments WHERE subject_id = $1 ORDER BY position`, st.SubjectID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a  subject.Assessment
			at int64
		)
		if err := rows.Scan(&a.Purpose, &a.By, &a.Reason, &at); err != nil {
			return err
		}
		a.At = fromNanos(at)
		st.Assessments = append(st.Assessments, a)
	}
	return rows.Err()
}

// lifecycle reads the subject's retention trigger times (branch
// retention).
func (s *StateStore) lifecycle(ctx context.Context, tx *sql.Tx, st *subject.State) error {
	rows, err := tx.QueryContext(ctx, `SELECT event, at FROM privacy_subject_lifecycle WHERE subject_id = $1`, st.SubjectID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			tr string
			at int64
		)
		if err := rows.Scan(&tr, &at); err != nil {
			return err
		}
		if st.Lifecycle == nil {
			st.Lifecycle = map[privacy.Trigger]time.Time{}
		}
		st.Lifecycle[privacy.Trigger(tr)] = fromNanos(at)
	}
	return rows.Err()
}

// write stores st over the subject's row and objections.
func (s *StateStore) write(ctx context.Context, tx *sql.Tx, st subject.State) error {
	if err := st.Check(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE privacy_subject_states SET restricted = $1, deactivated = $2, updated_at = $3 WHERE subject_id = $4`,
		st.Restricted, st.Deactivated, nullNanos(st.UpdatedAt), st.SubjectID,
	); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM privacy_subject_objections WHERE subject_id = $1`, st.SubjectID); err != nil {
		return err
	}
	for i, o := range st.Objections {
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_subject_objections
	(subject_id, position, purpose, direct_marketing, objected_at) VALUES ($1, $2, $3, $4, $5)`,
			st.SubjectID, i, o.Purpose, o.DirectMarketing, nullNanos(o.At.UTC()),
		); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM privacy_subject_assessments WHERE subject_id = $1`, st.SubjectID); err != nil {
		return err
	}
	for i, a := range st.Assessments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_subject_assessments
	(subject_id, position, purpose, assessed_by, reason, assessed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			st.SubjectID, i, a.Purpose, a.By, a.Reason, a.At.UnixNano(),
		); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM privacy_subject_lifecycle WHERE subject_id = $1`, st.SubjectID); err != nil {
		return err
	}
	for tr, at := range st.Lifecycle {
		if at.IsZero() {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_subject_lifecycle (subject_id, event, at) VALUES ($1, $2, $3)`,
			st.SubjectID, string(tr), at.UnixNano()); err != nil {
			return err
		}
	}
	return nil
}
