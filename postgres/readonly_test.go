package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/postgres"
)

// TestOpenReadOnly: a read-only open reads what Open wrote, refuses to
// write, and refuses a schema it would have to migrate.
func TestOpenReadOnly(t *testing.T) {
	dsn := pgtest.DSN(t)
	if _, err := postgres.OpenReadOnly(t.Context(), dsn); err == nil || !strings.Contains(err.Error(), "lacks migrations") {
		t.Errorf("OpenReadOnly of an empty schema: %v, want an error naming the missing migrations", err)
	}
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	rec := consent.Record{SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given,
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedBy: "test", CollectedAt: time.Now()}
	if _, err := db.ConsentStore().Append(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := postgres.OpenReadOnly(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	h, err := ro.ConsentStore().History(t.Context(), "u-1")
	if err != nil || len(h) != 1 {
		t.Fatalf("History through the read-only open = %d records, %v; want 1", len(h), err)
	}
	if _, err := ro.ConsentStore().Append(t.Context(), rec); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Append through a read-only open: %v, want a read-only transaction error", err)
	}
}
