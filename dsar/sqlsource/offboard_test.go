package sqlsource_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
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

		desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithSource(ds.Name(), src),
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

// TestOffboardKeepsAGuestUnderAHold: a legal hold on one of acme's
// guests (Gus, his contact data) keeps that data of his in acme's meeting
// through acme's offboarding, while the rest of his data there and every
// other acme guest's row is erased; his row in globex's meeting is not
// acme's and stays whole. The record names the hold and counts one
// subject, and names no guest. Before, the Desk asked the holds about
// acme only, and Gus's row went with the rest.
func TestOffboardKeepsAGuestUnderAHold(t *testing.T) {
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		ctx := t.Context()
		for controller, want := range map[string][]string{
			"acme":   {"gail@guest.example", "gus@guest.example"},
			"globex": {"gus@guest.example"},
			"none":   nil,
		} {
			got, err := src.ControllerSubjects(ctx, privacy.SubjectGuest, controller)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("ControllerSubjects(%s) = %v, %v; want %v", controller, got, err, want)
			}
		}
		const gus = "gus@guest.example"
		holds := &dsar.CatalogHolds{Catalog: privacy.DefaultCatalog(), LegalHolds: []dsar.LegalHold{
			{ID: "lh-17", SubjectID: gus, Categories: []string{"guest.contact"}, Reason: "dispute 2026-17"}}}
		desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithSource(ds.Name(), src), dsar.WithHolds(ds.Holds(holds)))
		r, err := desk.Offboard(ctx, dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"})
		if err != nil || r.Status != dsar.StatusCompleted {
			t.Fatalf("Offboard: %v, %+v", err, r)
		}
		want := [][]string{
			{"1", gus, "Gus", "+31 6 1234 5678", "<null>", "<null>", "<null>"},
			{"2", gus, "Gus G.", "<null>", "198.51.100.8", "Safari 19", "2026-01-06T10:02:00Z"},
		}
		if diff := cmp.Diff(want, query(t, db, "SELECT id, email, name, phone, ip_address, browser, joined_at FROM meeting_guests ORDER BY id")); diff != "" {
			t.Errorf("guest rows after offboarding acme (-want +got):\n%s", diff)
		}
		var kept []dsar.Exemption
		for _, e := range r.Exemptions {
			if e.Subjects > 0 {
				kept = append(kept, e)
			}
		}
		if len(kept) != 3 || kept[0] != (dsar.Exemption{Category: "guest.contact.email", Ground: dsar.GroundLegalClaims, Reason: "legal hold lh-17: dispute 2026-17", Subjects: 1}) {
			t.Errorf("exemptions for one subject: %+v; want guest.contact.* under lh-17, 1 subject", kept)
		}
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), gus) || strings.Contains(string(b), "gail@") {
			t.Errorf("the offboarding record names a guest: %s", b)
		}
	})
}

// TestEraseControllerExceptThroughAJoin: EraseController leaves out the
// rows of the subjects in except, also where the subject's key is in a
// joined table (a guest's visits reach the guest through guests), and
// erases every other row of the controller only.
func TestEraseControllerExceptThroughAJoin(t *testing.T) {
	const schema = `
CREATE TABLE guests (id INTEGER PRIMARY KEY, email TEXT NOT NULL, account_id TEXT NOT NULL);
CREATE INDEX guests_email ON guests (email);
CREATE TABLE guest_visits (id INTEGER PRIMARY KEY, guest_id INTEGER NOT NULL REFERENCES guests (id), ip TEXT, browser TEXT);
CREATE INDEX guest_visits_guest ON guest_visits (guest_id);
INSERT INTO guests VALUES (1, 'gus@guest.example', 'acme'), (2, 'gail@guest.example', 'acme'), (3, 'gus@guest.example', 'globex');
INSERT INTO guest_visits VALUES (1, 1, '198.51.100.1', 'Firefox'), (2, 1, '198.51.100.2', 'Firefox'), (3, 2, '198.51.100.3', 'Safari'), (4, 3, '198.51.100.4', 'Edge');
`
	const dataset = `
dataset: visits
tables:
  - table: guests
    subject: guest
    key: email
    controller: account_id
    id: id
    columns:
      - {column: email, category: guest.contact.email, erase: delete}
  - table: guest_visits
    subject: guest
    joins:
      - {table: guests, column: id, from: guest_visits.guest_id}
    key: guests.email
    controller: guests.account_id
    id: id
    columns:
      - {column: ip, category: guest.it.ip_address, erase: delete}
      - {column: browser, category: guest.it.browser, erase: delete}
`
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			exec(t, db, schema)
			ds, err := sqlsource.Parse("visits.yaml", []byte(dataset), nil)
			if err != nil {
				t.Fatal(err)
			}
			src, err := sqlsource.New(t.Context(), db, b.dialect, ds)
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.EraseController(t.Context(), privacy.SubjectGuest, "acme", []string{"guest.it.ip_address", "guest.it.browser"}, []string{"gus@guest.example"})
			if err != nil {
				t.Fatalf("EraseController: %v", err)
			}
			if diff := cmp.Diff([]dsar.Erased{{Category: "guest.it.browser", Method: dsar.Deleted, Count: 1}, {Category: "guest.it.ip_address", Method: dsar.Deleted, Count: 1}}, got); diff != "" {
				t.Errorf("erased (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][]string{{"1"}, {"2"}, {"4"}}, query(t, db, "SELECT id FROM guest_visits ORDER BY id")); diff != "" {
				t.Errorf("visits left (-want +got): Gus's at acme (kept) and at globex (not acme's):\n%s", diff)
			}
			var ve *privacy.ValidationError
			if _, err := src.EraseController(t.Context(), privacy.SubjectGuest, "acme", []string{"guest.it.browser"}, []string{" "}); !errors.As(err, &ve) || ve.Field != "except[0]" {
				t.Errorf("a blank exception: %v, want a ValidationError naming except[0]", err)
			}
		})
	}
}
