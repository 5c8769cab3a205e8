package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"testing"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/subject"
)

// exampleDSN is where ExampleOpen connects; TestExampleOpen points it at a
// schema of its own.
var exampleDSN = "postgres://postgres@127.0.0.1:5432/privacy?sslmode=disable"

// A fleet of services shares one PostgreSQL database: every replica opens
// it (the schema is migrated on the first open), records consents and
// objections through its stores and decides through a view that every
// replica's writes keep current.
func ExampleOpen() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, exampleDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	view, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	eng, err := policies.New(ctx,
		policies.WithConsents(view.Consents()),
		policies.WithSubjects(view.Subjects()))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := consent.Grant(ctx, db.ConsentStore(), eng.Catalog(), consent.Record{
		SubjectID: "u-1", Purpose: "research.surveys", PolicyVersion: eng.PolicyVersion(),
		Method: consent.MethodCheckbox, Act: consent.ActUntickedBox, CollectedBy: "signup-form",
	}); err != nil {
		log.Fatal(err)
	}
	if err := subject.Object(ctx, db.StateStore(), "u-1", "service.personalisation"); err != nil {
		log.Fatal(err)
	}
	st, err := view.Subjects().State(ctx, "u-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("objects to service.personalisation:", st.ObjectsTo("service.personalisation", false))
}

// TestExampleOpen runs ExampleOpen against the test database (a schema of
// its own), since an example that needs a server cannot run by itself.
func TestExampleOpen(t *testing.T) {
	exampleDSN = pgtest.DSN(t)
	out := captureStdout(t, ExampleOpen)
	if want := "objects to service.personalisation: true\n"; out != want {
		t.Fatalf("ExampleOpen printed %q, want %q", out, want)
	}
}

func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var buf [4096]byte
		n, _ := r.Read(buf[:])
		done <- string(buf[:n])
	}()
	fn()
	w.Close()
	os.Stdout = old
	return <-done
}
