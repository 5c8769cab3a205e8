package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/sqlite"
)

// TestOpenReadOnly: a read-only open reads what Open wrote, refuses to
// write, and refuses a database whose schema it would have to migrate.
func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "privacy.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	rec := consent.Record{SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given,
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedBy: "test", CollectedAt: time.Now()}
	if _, err := db.ConsentStore().Append(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := sqlite.OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	h, err := ro.ConsentStore().History(t.Context(), "u-1")
	if err != nil || len(h) != 1 {
		t.Fatalf("History through the read-only open = %d records, %v; want 1", len(h), err)
	}
	if _, err := ro.ConsentStore().Append(t.Context(), rec); err == nil {
		t.Error("Append through a read-only open succeeded")
	}

	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.OpenReadOnly(t.Context(), empty); err == nil || !strings.Contains(err.Error(), "lacks migrations") {
		t.Errorf("OpenReadOnly of an empty file: %v, want an error naming the missing migrations", err)
	}
}
