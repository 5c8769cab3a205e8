package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/privacykit/privacy"
)

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	// Each branch numbers its migrations in a block of its own (the
	// data-subject requests from 0200), so versions may leave gaps; they
	// must still be positive and strictly increasing.
	for i, m := range ms {
		if m.version <= 0 || (i > 0 && m.version <= ms[i-1].version) {
			t.Errorf("migration %s: version %d, want a positive version after %d", m.name, m.version, ms[max(i-1, 0)].version)
		}
		if m.sql == "" {
			t.Errorf("migration %s is empty", m.name)
		}
	}
}

func TestNewRecordID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	last := ""
	for range 1000 {
		id := newRecordID()
		if !uuid.MatchString(id) {
			t.Fatalf("newRecordID() = %q, want a version-7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("newRecordID() returned %q twice", id)
		}
		// Ordered, so that the record_id index grows at its end.
		if id <= last {
			t.Fatalf("newRecordID() = %q after %q: not increasing", id, last)
		}
		seen[id], last = true, id
	}
}

// pgError and sqliteError stand in for the drivers' error types, which
// this package does not import.
type pgError struct{ code string }

func (e *pgError) Error() string    { return "ERROR: boom (SQLSTATE " + e.code + ")" }
func (e *pgError) SQLState() string { return e.code }

type sqliteError struct{ code int }

func (e *sqliteError) Error() string { return fmt.Sprintf("constraint failed (%d)", e.code) }
func (e *sqliteError) Code() int     { return e.code }

func TestTranslate(t *testing.T) {
	tests := []struct {
		name   string
		d      Dialect
		err    error
		wantIs error
	}{
		{"postgres unique violation", Postgres(), &pgError{"23505"}, privacy.ErrConflict},
		{"postgres other", Postgres(), &pgError{"42P01"}, nil},
		{"sqlite unique", SQLite(), &sqliteError{2067}, privacy.ErrConflict},
		{"sqlite primary key", SQLite(), &sqliteError{1555}, privacy.ErrConflict},
		{"sqlite busy", SQLite(), &sqliteError{5}, nil},
		{"canceled", Postgres(), fmt.Errorf("timeout: %w", context.Canceled), context.Canceled},
		{"deadline", SQLite(), fmt.Errorf("interrupted: %w", context.DeadlineExceeded), context.DeadlineExceeded},
		{"validation", SQLite(), &privacy.ValidationError{Field: "f", Message: "bad"}, privacy.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.d.translate(tc.err)
			if got == nil {
				t.Fatal("translate returned nil")
			}
			if tc.wantIs != nil && !errors.Is(got, tc.wantIs) {
				t.Errorf("translate(%v) = %v, want it to wrap %v", tc.err, got, tc.wantIs)
			}
			if tc.wantIs == nil && (errors.Is(got, privacy.ErrConflict) || errors.Is(got, context.Canceled)) {
				t.Errorf("translate(%v) = %v, classified an unrelated error", tc.err, got)
			}
			var pe *pgError
			var se *sqliteError
			if errors.As(got, &pe) || errors.As(got, &se) {
				t.Errorf("translate(%v) = %v, still holds the driver's error type", tc.err, got)
			}
		})
	}
	if err := Postgres().translate(nil); err != nil {
		t.Errorf("translate(nil) = %v, want nil", err)
	}
}
