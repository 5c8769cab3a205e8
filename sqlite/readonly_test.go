package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/storetest"
)

// TestOpenReadOnly: a read-only open reads what Open wrote, refuses to
// write, and refuses a database whose schema it would have to migrate.
func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "privacy.db")
	storetest.RunReadOnly(t, func(t *testing.T) (consent.Store, func() error) {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		return db.ConsentStore(), db.Close
	}, func(t *testing.T) (consent.Store, func() error) {
		db, err := sqlite.OpenReadOnly(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		return db.ConsentStore(), db.Close
	})

	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.OpenReadOnly(t.Context(), empty); err == nil || !strings.Contains(err.Error(), "lacks migrations") {
		t.Errorf("OpenReadOnly of an empty file: %v, want an error naming the missing migrations", err)
	}
}
