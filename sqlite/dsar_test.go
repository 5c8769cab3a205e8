package sqlite_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/sqlite"
)

// countingSource is a Source that counts its exports and fails the first
// fail of them.
type countingSource struct {
	mu      sync.Mutex
	exports int
	fail    int
}

func (s *countingSource) Export(context.Context, privacy.Subject) ([]dsar.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports++
	if s.exports <= s.fail {
		return nil, errors.New("service unavailable")
	}
	return []dsar.Record{{Category: "instance.contact.email", Value: "ann@example.com"}}, nil
}

func (s *countingSource) Erase(context.Context, privacy.Subject, []string) ([]dsar.Erased, error) {
	return nil, nil
}

func (s *countingSource) Rectify(context.Context, privacy.Subject, []dsar.Correction) (int, error) {
	return 0, nil
}

// TestDeskResumesAfterRestart runs a request whose source fails, closes the
// database as a process that stops would, and finishes the request from a
// new Desk over the reopened file: only the failed source is called again.
func TestDeskResumesAfterRestart(t *testing.T) {
	path := tempFile(t)
	ann := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}
	crm, billing := &countingSource{}, &countingSource{fail: 1}

	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	desk := dsar.NewDesk(db.RequestStore(), db.StateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("crm", crm), dsar.WithSource("billing", billing))
	r, err := desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: ann})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Verify(t.Context(), r.ID, dsar.Evidence{Method: "login_session", By: "app"}); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrIncomplete) {
		t.Fatalf("first Run: got %v, want ErrIncomplete", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = open(t, path)
	desk = dsar.NewDesk(db.RequestStore(), db.StateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("crm", crm), dsar.WithSource("billing", billing))
	r, err = desk.Run(t.Context(), r.ID)
	if err != nil || r.Status != dsar.StatusCompleted {
		t.Fatalf("Run after restart: status %s, error %v; want completed", r.Status, err)
	}
	if crm.exports != 1 || billing.exports != 2 {
		t.Errorf("exports: crm %d, billing %d; want 1 and 2", crm.exports, billing.exports)
	}
	e, err := desk.Export(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Records) != 2 {
		t.Errorf("export has %d records, want one from each source", len(e.Records))
	}
}
