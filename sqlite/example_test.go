package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/subject"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "privacy")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "privacy.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ledger := db.ConsentStore()
	rec, err := ledger.Append(ctx, consent.Record{
		SubjectID:     "u-1",
		Purpose:       "research.surveys",
		Event:         consent.Given,
		PolicyVersion: "1.2",
		Method:        consent.MethodCheckbox,
		CollectedAt:   at,
	})
	if err != nil {
		log.Fatal(err)
	}
	st, err := ledger.State(ctx, "u-1", "research.surveys", at.Add(time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Seq, st.Event, st.PolicyVersion)

	if err := subject.Object(ctx, db.StateStore(), "u-1", "service.personalisation"); err != nil {
		log.Fatal(err)
	}
	s, err := db.StateStore().State(ctx, "u-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.ObjectsTo("service.personalisation", false))
	// Output:
	// 1 given 1.2
	// true
}
