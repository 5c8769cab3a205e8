package postgres_test

import (
	"strings"
	"testing"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/storetest"
)

// TestOpenReadOnly: a read-only open reads what Open wrote, refuses to
// write, and refuses a schema it would have to migrate.
func TestOpenReadOnly(t *testing.T) {
	dsn := pgtest.DSN(t)
	if _, err := postgres.OpenReadOnly(t.Context(), dsn); err == nil || !strings.Contains(err.Error(), "lacks migrations") {
		t.Errorf("OpenReadOnly of an empty schema: %v, want an error naming the missing migrations", err)
	}
	err := storetest.RunReadOnly(t, func(t *testing.T) (consent.Store, func() error) {
		db, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return db.ConsentStore(), db.Close
	}, func(t *testing.T) (consent.Store, func() error) {
		db, err := postgres.OpenReadOnly(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return db.ConsentStore(), db.Close
	})
	if err != nil && !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Append through a read-only open: %v, want a read-only transaction error", err)
	}
}
