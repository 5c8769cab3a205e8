package sqlsource_test

import (
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
	"github.com/privacykit/privacy/memory"
)

// TestOffboardCustomer: when acme's contract ends and it chooses to have
// its guest data returned (Art. 28(3)(g)), the Desk exports every guest
// row of acme's meetings into the offboarding record, erases them, leaves
// globex's guests and every user's own data alone, and once the data is
// handed over deletes the copy it held; the audit trail keeps each step.
func TestOffboardCustomer(t *testing.T) {
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		ctx := t.Context()
		guests := func() [][]string { return query(t, db, "SELECT id, email FROM meeting_guests ORDER BY id") }
		// The export is the controller's rows only.
		recs, err := src.ExportController(ctx, privacy.SubjectGuest, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range recs {
			if r.Category == "guest.contact.email" {
				ids = append(ids, r.ID+" "+r.Value.(string))
			}
		}
		if diff := cmp.Diff([]string{"meeting_guests/1 gus@guest.example", "meeting_guests/3 gail@guest.example"}, ids); diff != "" {
			t.Errorf("acme's guest emails (-want +got):\n%s", diff)
		}
		// A subject without an id is never "every row".
		for name, err := range map[string]error{
			"Export": func() error {
				_, err := src.Export(ctx, privacy.Subject{Kind: privacy.SubjectGuest, Controller: "acme"})
				return err
			}(),
			"Erase": func() error {
				_, err := src.Erase(ctx, privacy.Subject{Kind: privacy.SubjectGuest, Controller: "acme"}, []string{"guest.contact.email"})
				return err
			}(),
			"Rectify": func() error {
				_, err := src.Rectify(ctx, privacy.Subject{Kind: privacy.SubjectGuest, Controller: "acme"}, []dsar.Correction{{Category: "guest.contact.name", Value: "x"}})
				return err
			}(),
		} {
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != "subject.id" {
				t.Errorf("%s without a subject id: error %v, want a ValidationError naming subject.id", name, err)
			}
		}
		if got := len(guests()); got != 3 {
			t.Fatalf("guest rows before offboarding = %d, want 3", got)
		}

		desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithSource(ds.Name(), src),
			dsar.WithHolds(ds.Holds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()})))
		r, err := desk.Offboard(ctx, dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, Return: true, By: "ops@operator.example", Reference: "termination 2026-88"})
		if err != nil {
			t.Fatalf("Offboard: %v", err)
		}
		if r.Kind != dsar.KindOffboarding || r.Status != dsar.StatusCompleted || len(r.Sources) != 1 || len(r.Sources[0].Records) != len(recs) {
			t.Fatalf("offboarding record: kind %s status %s sources %+v; want completed with %d records to return", r.Kind, r.Status, r.Sources, len(recs))
		}
		if diff := cmp.Diff([][]string{{"2", "gus@guest.example"}}, guests()); diff != "" {
			t.Errorf("guest rows after offboarding acme (-want +got):\n%s", diff)
		}
		if got := query(t, db, "SELECT count(*) FROM users"); got[0][0] != "2" {
			t.Errorf("users after offboarding: %v, want both kept", got)
		}
		stored, err := desk.Request(ctx, r.ID)
		if err != nil || len(stored.Sources[0].Records) == 0 {
			t.Fatalf("the stored record holds no data to return: %v", err)
		}
		if _, err := desk.Run(ctx, r.ID); err != nil {
			t.Errorf("Run on a completed offboarding: %v", err)
		}
		back, err := desk.Returned(ctx, r.ID, "ops@operator.example")
		if err != nil {
			t.Fatalf("Returned: %v", err)
		}
		if len(back.Sources[0].Records) != 0 {
			t.Error("the copy held for the return is still there")
		}
		var acts []string
		for _, e := range back.Trail {
			acts = append(acts, e.Action)
		}
		if diff := cmp.Diff([]string{"opened", "started", "source_done", "completed", "returned"}, acts); diff != "" {
			t.Errorf("trail (-want +got):\n%s", diff)
		}
		if _, err := desk.Returned(ctx, r.ID, "ops"); !errors.Is(err, dsar.ErrTransition) {
			t.Errorf("Returned twice: %v, want ErrTransition", err)
		}

		// Delete only: globex's guest goes, nothing is kept for return.
		r, err = desk.Offboard(ctx, dsar.Offboarding{Controller: "globex", Kind: privacy.SubjectGuest, By: "ops"})
		if err != nil || r.Status != dsar.StatusCompleted || len(r.Sources[0].Records) != 0 {
			t.Fatalf("Offboard globex (delete): %v, %+v", err, r)
		}
		if got := guests(); len(got) != 0 {
			t.Errorf("guest rows after offboarding globex: %v", got)
		}

		// Users are the operator's own data: not a kind to offboard.
		var ve *privacy.ValidationError
		if _, err := desk.Offboard(ctx, dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectUser, By: "ops"}); !errors.As(err, &ve) || ve.Field != "kind" {
			t.Errorf("Offboard users: %v, want a ValidationError naming kind", err)
		}
		if _, err := desk.Open(ctx, dsar.Request{Kind: dsar.KindOffboarding, Subject: privacy.Subject{ID: "acme", Kind: privacy.SubjectGuest, Controller: "acme"}}); !errors.As(err, &ve) || ve.Field != "kind" {
			t.Errorf("Open an offboarding: %v, want a ValidationError naming kind", err)
		}
		list, _ := desk.List(ctx, dsar.Filter{})
		if !slices.ContainsFunc(list, func(r dsar.Request) bool { return r.Subject.Controller == "globex" && r.Kind == dsar.KindOffboarding }) {
			t.Error("the offboarding records are not listed")
		}
	})
}
