package sqlsource_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
)

var (
	ann = privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}
	bob = privacy.Subject{ID: "u-2", Kind: privacy.SubjectUser}
	// Gus joined a meeting of Acme's and one of Globex's.
	gusForAcme = privacy.Subject{ID: "gus@guest.example", Kind: privacy.SubjectGuest, Controller: "acme"}
)

func TestExportReturnsTheSubjectsRowsByCategory(t *testing.T) {
	t.Parallel()
	want := []dsar.Record{
		{Category: "instance.account.company_name", ID: "users/u-1", Value: "Acme BV"},
		{Category: "instance.account.username", ID: "users/u-1", Value: "ann"},
		{Category: "instance.contact.email", ID: "users/u-1", Value: "ann@acme.example"},
		{Category: "instance.contact.email", ID: "marketing_preferences", Value: "ann@acme.example"},
		{Category: "instance.feedback.wrapup", ID: "meetings/1", Value: "Agreed the plan"},
		{Category: "instance.financial.account", ID: "invoices/2026-0001", Value: map[string]any{"billing_name": "Ann Example", "billing_address": "Keizersgracht 1, Amsterdam"}},
		{Category: "instance.financial.bank", ID: "invoices/2026-0001", Value: "NL91ABNA0417164300"},
		{Category: "instance.financial.card", ID: "invoices/2026-0001", Value: "4242"},
		{Category: "instance.financial.payment", ID: "invoices/2026-0001", Value: map[string]any{"amount_cents": int64(4900), "issued_at": "2026-01-31"}},
		{Category: "instance.meeting.data", ID: "meetings/1", Value: map[string]any{"title": "Kick-off", "started_at": "2026-01-05T10:00:00Z", "ended_at": "2026-01-05T11:00:00Z"}},
		{Category: "instance.meeting.recording", ID: "recordings/1", Value: "https://rec.example/1.mp4"},
		{Category: "instance.network.ip_address", ID: "users/u-1", Value: "192.0.2.1"},
		{Category: "instance.profile.photo", ID: "users/u-1", Value: "https://cdn.example/ann.png"},
	}
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		got, err := src.Export(t.Context(), ann)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Export(ann) (-want +got):\n%s", diff)
		}
		// Nothing of Bob's, nor of the guests in Ann's meetings.
		for _, r := range got {
			for _, other := range []string{"bob", "Globex", "u-2", "gus@", "Gus", "2026-0002"} {
				if strings.Contains(strings.ToLower(fmt.Sprint(r.Value)), strings.ToLower(other)) || strings.Contains(r.ID, other) {
					t.Errorf("Ann's export holds %q: %+v", other, r)
				}
			}
		}
		none, err := src.Export(t.Context(), privacy.Subject{ID: "u-404", Kind: privacy.SubjectUser})
		if err != nil || len(none) != 0 {
			t.Errorf("Export(unknown subject) = %v, %v; want nothing", none, err)
		}
	})
}

func TestGuestDataIsAnsweredPerController(t *testing.T) {
	t.Parallel()
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		ctx := t.Context()
		got, err := src.Export(ctx, gusForAcme)
		if err != nil {
			t.Fatal(err)
		}
		want := []dsar.Record{
			{Category: "guest.contact.email", ID: "meeting_guests/1", Value: "gus@guest.example"},
			{Category: "guest.contact.name", ID: "meeting_guests/1", Value: "Gus"},
			{Category: "guest.contact.phone", ID: "meeting_guests/1", Value: "+31 6 1234 5678"},
			{Category: "guest.it.browser", ID: "meeting_guests/1", Value: "Firefox 140"},
			{Category: "guest.it.ip_address", ID: "meeting_guests/1", Value: "198.51.100.7"},
			{Category: "guest.it.usage", ID: "meeting_guests/1", Value: "2026-01-05T10:01:00Z"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Export(Gus for Acme) (-want +got):\n%s", diff)
		}
		if _, err := src.Export(ctx, privacy.Subject{ID: gusForAcme.ID, Kind: privacy.SubjectGuest}); err == nil {
			t.Error("Export of a guest without a controller: no error, want one (the operator is a processor)")
		}

		var guestCats []string
		for _, c := range privacy.DefaultCatalog().Categories {
			if c.Subject == privacy.SubjectGuest {
				guestCats = append(guestCats, c.Key)
			}
		}
		erased, err := src.Erase(ctx, gusForAcme, guestCats)
		if err != nil {
			t.Fatal(err)
		}
		if len(erased) != 6 || erased[0] != (dsar.Erased{Category: "guest.contact.email", Method: dsar.Deleted, Count: 1}) {
			t.Errorf("Erase(Gus for Acme) = %+v, want 6 categories of one record each", erased)
		}
		rows := query(t, db, `SELECT id, name FROM meeting_guests ORDER BY id`)
		if diff := cmp.Diff([][]string{{"2", "Gus G."}, {"3", "Gail"}}, rows); diff != "" {
			t.Errorf("guest rows after erasing Gus for Acme: Globex's row and Gail must stay (-want +got):\n%s", diff)
		}
	})
}

// desk returns a Desk over the source with the dataset's holds on top of
// next.
func desk(src dsar.Source, holds dsar.Holds) *dsar.Desk {
	return dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("meetings", src),
		dsar.WithHolds(holds),
		dsar.WithClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }))
}

func run(t *testing.T, d *dsar.Desk, kind dsar.Kind, s privacy.Subject) dsar.Request {
	t.Helper()
	ctx := t.Context()
	r, err := d.Open(ctx, dsar.Request{Kind: kind, Subject: s})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Verify(ctx, r.ID, dsar.Evidence{Method: "login_session", By: "support"}); err != nil {
		t.Fatal(err)
	}
	r, err = d.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != dsar.StatusCompleted {
		t.Fatalf("%s request: status %s, want completed", kind, r.Status)
	}
	return r
}

func TestErasureFollowsStrategiesAndKeepsHeldColumns(t *testing.T) {
	t.Parallel()
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		c := privacy.DefaultCatalog()
		d := desk(src, ds.Holds(&dsar.CatalogHolds{Catalog: c}))
		r := run(t, d, dsar.KindErasure, ann)

		// Users: masked and nulled, the row kept for the invoices.
		if diff := cmp.Diff([][]string{
			{"u-1", "acme", "erased user", "<null>", "<null>", "<null>", "<null>"},
			{"u-2", "globex", "bob", "Globex GmbH", "bob@globex.example", "192.0.2.2", "<null>"},
		}, query(t, db, `SELECT id, account_id, username, company_name, email, last_ip, photo_url FROM users ORDER BY id`)); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		// Meetings deleted with their recordings (and, by the schema's
		// cascade, their guest lists); Bob's stay.
		if diff := cmp.Diff([][]string{{"2", "u-2"}}, query(t, db, `SELECT id, host_id FROM meetings`)); diff != "" {
			t.Errorf("meetings (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([][]string{{"2"}}, query(t, db, `SELECT id FROM recordings`)); diff != "" {
			t.Errorf("recordings (-want +got):\n%s", diff)
		}
		// Invoices kept whole under the fiscal duty, but the card digits.
		if diff := cmp.Diff([][]string{
			{"2026-0001", "4900", "Ann Example", "Keizersgracht 1, Amsterdam", "NL91ABNA0417164300", "<null>"},
			{"2026-0002", "9900", "Bob Example", "Hauptstrasse 2, Berlin", "DE89370400440532013000", "<null>"},
		}, query(t, db, `SELECT number, amount_cents, billing_name, billing_address, iban, card_last4 FROM invoices ORDER BY number`)); diff != "" {
			t.Errorf("invoices (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([][]string{{"u-2"}}, query(t, db, `SELECT user_id FROM marketing_preferences`)); diff != "" {
			t.Errorf("marketing_preferences (-want +got):\n%s", diff)
		}

		out := r.Outcome("meetings")
		wantErased := []dsar.Erased{
			{Category: "instance.account.company_name", Method: dsar.Deleted, Count: 1},
			{Category: "instance.account.username", Method: dsar.Deleted, Count: 1},
			{Category: "instance.contact.email", Method: dsar.Deleted, Count: 2},
			{Category: "instance.feedback.wrapup", Method: dsar.Deleted, Count: 1},
			{Category: "instance.financial.card", Method: dsar.Deleted, Count: 1},
			{Category: "instance.meeting.data", Method: dsar.Deleted, Count: 1},
			{Category: "instance.meeting.recording", Method: dsar.Deleted, Count: 1},
			{Category: "instance.network.ip_address", Method: dsar.Deleted, Count: 1},
			{Category: "instance.profile.photo", Method: dsar.Deleted, Count: 1},
		}
		if diff := cmp.Diff(wantErased, out.Erased); diff != "" {
			t.Errorf("erased (-want +got):\n%s", diff)
		}
		var kept []string
		for _, e := range r.Exemptions {
			if e.Ground != dsar.GroundLegalObligation {
				t.Errorf("exemption %+v: ground %s, want %s", e, e.Ground, dsar.GroundLegalObligation)
			}
			kept = append(kept, e.Category)
		}
		if diff := cmp.Diff([]string{"instance.financial.account", "instance.financial.bank", "instance.financial.payment"}, kept); diff != "" {
			t.Errorf("exemptions (-want +got):\n%s", diff)
		}

		// What is left of Ann is what the fiscal duty keeps.
		after, err := src.Export(t.Context(), ann)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, r := range after {
			left = append(left, r.Category)
		}
		if diff := cmp.Diff([]string{"instance.financial.account", "instance.financial.bank", "instance.financial.payment"}, left); diff != "" {
			t.Errorf("export after erasure (-want +got):\n%s", diff)
		}
		// Erasing again finds nothing more.
		again, err := src.Erase(t.Context(), ann, []string{"instance.contact.email", "instance.account.username", "instance.meeting.data"})
		if err != nil || len(again) != 0 {
			t.Errorf("second Erase = %+v, %v; want nothing erased", again, err)
		}
	})
}

func TestErasureKeepsWhatALegalHoldKeeps(t *testing.T) {
	t.Parallel()
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		c := privacy.DefaultCatalog()
		store := memory.NewRetentionStore()
		if _, err := store.PlaceHold(t.Context(), retention.Hold{SubjectID: "u-1", Category: "instance.meeting",
			PlacedBy: "legal", Reason: "dispute 2026-17 about the kick-off", PlacedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		d := desk(src, ds.Holds(&retention.ErasureHolds{Catalog: c, Holds: store}))
		r := run(t, d, dsar.KindErasure, ann)

		// The meeting rows stay, and so does the recording; the wrap-up,
		// not held, is nulled as the row cannot go.
		if diff := cmp.Diff([][]string{{"1", "Kick-off", "<null>"}, {"2", "Globex sync", "<null>"}},
			query(t, db, `SELECT id, title, wrapup FROM meetings ORDER BY id`)); diff != "" {
			t.Errorf("meetings under a legal hold (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([][]string{{"1"}, {"2"}}, query(t, db, `SELECT id FROM recordings ORDER BY id`)); diff != "" {
			t.Errorf("recordings under a legal hold (-want +got):\n%s", diff)
		}
		if !slices.ContainsFunc(r.Exemptions, func(e dsar.Exemption) bool {
			return e.Category == "instance.meeting.recording" && e.Ground == dsar.GroundLegalClaims
		}) {
			t.Errorf("exemptions %+v: want instance.meeting.recording under %s", r.Exemptions, dsar.GroundLegalClaims)
		}
	})
}

func TestEraseRefusesACategoryTheDatasetKeeps(t *testing.T) {
	t.Parallel()
	b := backends()[0]
	db := sample(t, b)
	_, src := sampleSource(t, db, b)
	_, err := src.Erase(t.Context(), ann, []string{"instance.contact.email", "instance.financial.payment"})
	if err == nil || !strings.Contains(err.Error(), "hold fiscal") {
		t.Fatalf("Erase of a kept category: error %v, want one naming the hold", err)
	}
	if got := query(t, db, `SELECT email FROM users WHERE id = 'u-1'`); got[0][0] != "ann@acme.example" {
		t.Errorf("email after a refused erasure = %q, want it untouched", got[0][0])
	}
}

func TestRectificationWritesEveryColumnOfTheCategory(t *testing.T) {
	t.Parallel()
	onSample(t, func(t *testing.T, db *sql.DB, ds *sqlsource.Dataset, src *sqlsource.Source) {
		fix := []dsar.Correction{
			{Category: "instance.contact.email", Value: "ann@new.example"},
			{Category: "instance.financial.account", Value: "Ann Changed"}, // invoices are kept as made
			{Category: "guest.contact.name", Value: "not Ann's"},
		}
		n, err := src.Rectify(t.Context(), ann, fix)
		if err != nil || n != 2 {
			t.Fatalf("Rectify = %d, %v; want 2 rows (users and marketing_preferences)", n, err)
		}
		if diff := cmp.Diff([][]string{{"ann@new.example", "ann@new.example", "Ann Example"}}, query(t, db,
			`SELECT u.email, m.email, i.billing_name FROM users u, marketing_preferences m, invoices i WHERE u.id = 'u-1' AND m.user_id = u.id AND i.user_id = u.id`)); diff != "" {
			t.Errorf("after rectification (-want +got):\n%s", diff)
		}
		if got := query(t, db, `SELECT email FROM users WHERE id = 'u-2'`); got[0][0] != "bob@globex.example" {
			t.Errorf("Bob's email = %q, want it untouched", got[0][0])
		}
		if n, err := src.Rectify(t.Context(), ann, fix); err != nil || n != 0 {
			t.Errorf("second Rectify = %d, %v; want 0 rows changed", n, err)
		}
		if _, err := src.Rectify(t.Context(), ann, []dsar.Correction{{Category: "instance.contact.email", Value: map[string]any{"x": 1}}}); err == nil {
			t.Error("Rectify with an object value: no error, want one")
		}
	})
}

func TestAccessThroughTheDesk(t *testing.T) {
	t.Parallel()
	b := backends()[0]
	db := sample(t, b)
	ds, src := sampleSource(t, db, b)
	d := desk(src, ds.Holds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}))
	r := run(t, d, dsar.KindAccess, bob)
	e, err := d.Export(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Records) != 10 || e.Sources[0] != "meetings" {
		t.Errorf("Bob's export: %d records from %v, want 10 from [meetings]", len(e.Records), e.Sources)
	}
	for _, rec := range e.Records {
		if strings.Contains(rec.ID, "u-1") || rec.ID == "meetings/1" || rec.ID == "invoices/2026-0001" {
			t.Errorf("Bob's export holds Ann's record %+v", rec)
		}
	}
}

// Regression: PostgreSQL refused a subject id that is not an integer for an
// integer key column, and its error quoted the id into the request's trail.
func TestIntegerKeysAndErrorsWithoutPersonalData(t *testing.T) {
	t.Parallel()
	file := `dataset: svc
tables:
  - table: users
    subject: user
    key: id
    columns:
      - {column: email, category: instance.contact.email, erase: null}
      - {column: logins, category: instance.meeting.data, erase: null}
`
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			exec(t, db, `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, logins INTEGER);
				INSERT INTO users VALUES (42, 'ann@example.com', 3)`)
			src, err := sqlsource.New(t.Context(), db, b.dialect, mustParse(t, file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Export(t.Context(), privacy.Subject{ID: "42", Kind: privacy.SubjectUser})
			if err != nil || len(got) != 2 {
				t.Errorf("Export(42) = %v, %v; want 2 records", got, err)
			}
			got, err = src.Export(t.Context(), privacy.Subject{ID: "ann-secret-id", Kind: privacy.SubjectUser})
			if err != nil || len(got) != 0 {
				t.Errorf("Export(a non-integer id) = %v, %v; want nothing", got, err)
			}
			_, err = src.Rectify(t.Context(), privacy.Subject{ID: "42", Kind: privacy.SubjectUser},
				[]dsar.Correction{{Category: "instance.meeting.data", Value: "ann-secret-value"}})
			if b.name == "postgres" && err == nil {
				t.Fatal("Rectify of an integer column with text: no error on PostgreSQL")
			}
			if err != nil && (strings.Contains(err.Error(), "ann-secret-value") || strings.Contains(err.Error(), "42")) {
				t.Errorf("error %q holds the subject's id or data", err)
			}
		})
	}
}

// holdPlacer is a Source that places a legal hold before it erases, as
// legal may while an erasure runs, and fails its first erasure when
// failFirst is set, as a source that is down or a process that crashes.
type holdPlacer struct {
	dsar.Source
	place     func()
	failFirst bool
	calls     int
}

func (h *holdPlacer) Erase(ctx context.Context, s privacy.Subject, categories []string) ([]dsar.Erased, error) {
	h.calls++
	if h.place != nil {
		h.place()
	}
	if h.failFirst && h.calls == 1 {
		return nil, errors.New("service unavailable")
	}
	return h.Source.Erase(ctx, s, categories)
}

// TestErasureKeepsWhatAHoldPlacedSinceItStartedKeeps: a legal hold placed
// after an erasure request started, while a source was down (or the
// process crashed) or while another source erased, keeps its categories
// from every source that had not erased yet. Before, the holds were asked
// once when the request started, and a resumed erasure erased what a
// hold placed since kept (issue 13, as item 2 for the sweep).
func TestErasureKeepsWhatAHoldPlacedSinceItStartedKeeps(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	b := backends()[0]
	ctx := t.Context()
	contactHold := retention.Hold{SubjectID: ann.ID, Category: "instance.contact", PlacedBy: "legal",
		Reason: "dispute 2026-31 about an invoice", PlacedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	email := func(db *sql.DB) string {
		t.Helper()
		return query(t, db, `SELECT email FROM users WHERE id = 'u-1'`)[0][0]
	}
	exempted := func(r dsar.Request) bool {
		return slices.ContainsFunc(r.Exemptions, func(e dsar.Exemption) bool {
			return e.Category == "instance.contact.email" && e.Ground == dsar.GroundLegalClaims
		})
	}

	t.Run("resumed after a failure", func(t *testing.T) {
		db := sample(t, b)
		ds, src := sampleSource(t, db, b)
		holds := memory.NewRetentionStore()
		down := &holdPlacer{Source: src, failFirst: true}
		d := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithSource("meetings", down),
			dsar.WithHolds(ds.Holds(&retention.ErasureHolds{Catalog: c, Holds: holds})))
		r, err := d.Open(ctx, dsar.Request{Kind: dsar.KindErasure, Subject: ann})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Verify(ctx, r.ID, dsar.Evidence{Method: "login_session", By: "support"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Run(ctx, r.ID); !errors.Is(err, dsar.ErrIncomplete) {
			t.Fatalf("first Run: %v, want ErrIncomplete", err)
		}
		if _, err := holds.PlaceHold(ctx, contactHold); err != nil {
			t.Fatal(err)
		}
		r, err = d.Run(ctx, r.ID)
		if err != nil || r.Status != dsar.StatusCompleted {
			t.Fatalf("resumed Run: %s, %v", r.Status, err)
		}
		if got := email(db); got != "ann@acme.example" {
			t.Errorf("the email under a hold placed before the resumed run is %q, want it kept", got)
		}
		if !exempted(r) {
			t.Errorf("exemptions %+v: want instance.contact.email under %s", r.Exemptions, dsar.GroundLegalClaims)
		}
	})

	t.Run("placed while another source erased", func(t *testing.T) {
		first, second := sample(t, b), sample(t, b)
		ds, src1 := sampleSource(t, first, b)
		_, src2 := sampleSource(t, second, b)
		holds := memory.NewRetentionStore()
		// Whichever source erases first places the hold as it erases;
		// one source at a time.
		var once sync.Once
		place := func() {
			once.Do(func() {
				if _, err := holds.PlaceHold(ctx, contactHold); err != nil {
					t.Error(err)
				}
			})
		}
		d := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithConcurrency(1),
			dsar.WithSource("a", &holdPlacer{Source: src1, place: place}), dsar.WithSource("b", &holdPlacer{Source: src2, place: place}),
			dsar.WithHolds(ds.Holds(&retention.ErasureHolds{Catalog: c, Holds: holds})))
		r := run(t, d, dsar.KindErasure, ann)
		got := []string{email(first), email(second)}
		slices.Sort(got)
		if want := []string{"<null>", "ann@acme.example"}; !slices.Equal(got, want) {
			t.Errorf("the sources' emails are %q, want one erased as the hold was placed and one kept under it", got)
		}
		if !exempted(r) {
			t.Errorf("exemptions %+v: want instance.contact.email under %s", r.Exemptions, dsar.GroundLegalClaims)
		}
	})
}
