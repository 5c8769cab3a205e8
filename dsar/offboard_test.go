package dsar_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
)

// controllerSource is a Source that can also act on a whole controller's
// data (every subject of its source is the controller's); it records the
// categories and the exceptions each EraseController was asked for and
// runs onErase first (to place a hold "while it erases").
type controllerSource struct {
	*source
	mu      sync.Mutex
	erased  [][]string
	except  [][]string
	onErase func()
}

func (c *controllerSource) ExportController(context.Context, privacy.SubjectKind, string) ([]dsar.Record, error) {
	return nil, nil
}

func (c *controllerSource) ControllerSubjects(context.Context, privacy.SubjectKind, string) ([]string, error) {
	if err := c.enter("subjects"); err != nil {
		return nil, err
	}
	c.source.mu.Lock()
	defer c.source.mu.Unlock()
	return slices.Sorted(maps.Keys(c.data)), nil
}

func (c *controllerSource) EraseController(ctx context.Context, kind privacy.SubjectKind, controller string, categories, except []string) ([]dsar.Erased, error) {
	if c.onErase != nil {
		c.onErase()
	}
	c.mu.Lock()
	c.erased = append(c.erased, slices.Clone(categories))
	c.except = append(c.except, slices.Clone(except))
	c.mu.Unlock()
	c.source.mu.Lock()
	ids := slices.Sorted(maps.Keys(c.data))
	c.source.mu.Unlock()
	var out []dsar.Erased
	for _, id := range ids {
		if slices.Contains(except, id) {
			continue
		}
		e, err := c.Erase(ctx, privacy.Subject{ID: id, Kind: kind, Controller: controller}, categories)
		if err != nil {
			return nil, err
		}
		out = append(out, e...)
	}
	return out, nil
}

// categories returns the categories the source still holds of the subject.
func (c *controllerSource) categories(id string) []string {
	c.source.mu.Lock()
	defer c.source.mu.Unlock()
	var out []string
	for _, r := range c.data[id] {
		out = append(out, r.Category)
	}
	return out
}

// lateHolds keeps nothing until placed is set, then keeps guest emails
// under a legal hold.
type lateHolds struct {
	mu     sync.Mutex
	placed bool
}

func (h *lateHolds) place() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.placed = true
}

func (h *lateHolds) Held(_ context.Context, _ privacy.Subject, categories []string, _ time.Time) ([]dsar.Exemption, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.placed || !slices.Contains(categories, "guest.contact.email") {
		return nil, nil
	}
	return []dsar.Exemption{{Category: "guest.contact.email", Ground: dsar.GroundLegalClaims, Reason: "dispute with the customer"}}, nil
}

// TestOffboardKeepsWhatAHoldPlacedSinceItStartedKeeps: a legal hold placed
// while an offboarding runs (here: while its first source erases) keeps its
// categories from every source that has not erased yet, and is recorded as
// an exemption. Before, Offboard asked the holds once, at its start, and the
// second source erased the held guest emails (the gap fixed for erasures in
// TestErasureKeepsWhatAHoldPlacedSinceItStartedKeeps).
func TestOffboardKeepsWhatAHoldPlacedSinceItStartedKeeps(t *testing.T) {
	t.Parallel()
	holds := &lateHolds{}
	a := &controllerSource{source: newSource("x"), onErase: holds.place}
	b := &controllerSource{source: newSource("x")}
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("a", a), dsar.WithSource("b", b), dsar.WithConcurrency(1), dsar.WithHolds(holds))
	r, err := desk.Offboard(t.Context(), dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"})
	if err != nil || r.Status != dsar.StatusCompleted {
		t.Fatalf("Offboard: %v, %s", err, r.Status)
	}
	if len(a.erased) != 1 || !slices.Contains(a.erased[0], "guest.contact.email") {
		t.Fatalf("source a (erasing before the hold) was asked to erase %v, want guest.contact.email among them", a.erased)
	}
	if len(b.erased) != 1 || slices.Contains(b.erased[0], "guest.contact.email") {
		t.Errorf("source b (erasing after the hold) was asked to erase %v, want guest.contact.email kept", b.erased)
	}
	if !slices.ContainsFunc(r.Exemptions, func(e dsar.Exemption) bool { return e.Category == "guest.contact.email" }) {
		t.Errorf("exemptions %+v: want the hold placed during the offboarding recorded", r.Exemptions)
	}
}

// guestData returns a controllerSource holding the contact and IT data of
// the guests with the ids.
func guestData(ids ...string) *controllerSource {
	src := &controllerSource{source: &source{data: map[string][]dsar.Record{}, calls: map[string]int{}}}
	for _, id := range ids {
		src.data[id] = []dsar.Record{
			{Category: "guest.contact.email", Value: id + "@guest.example"},
			{Category: "guest.contact.name", Value: "name of " + id},
			{Category: "guest.it.ip_address", Value: "198.51.100.7"},
		}
	}
	return src
}

// TestOffboardKeepsWhatAHoldOnOneSubjectKeeps: a legal hold placed on one
// guest of the customer keeps that guest's held categories through the
// offboarding, while the rest of theirs and every other guest's data is
// erased; the record counts the subjects the hold keeps data of, names
// the hold, and names no guest. Before, Offboard asked the holds about the
// controller only: a hold on one guest did not match, and the guest's
// data was erased with the rest.
func TestOffboardKeepsWhatAHoldOnOneSubjectKeeps(t *testing.T) {
	t.Parallel()
	const held, other = "g-held-17", "g-other-23"
	src := guestData(held, other)
	holds := &dsar.CatalogHolds{Catalog: privacy.DefaultCatalog(), LegalHolds: []dsar.LegalHold{
		{ID: "lh-7", SubjectID: held, Categories: []string{"guest.contact"}, Reason: "dispute 2026-17"}}}
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithSource("meetings", src), dsar.WithHolds(holds))
	r, err := desk.Offboard(t.Context(), dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"})
	if err != nil || r.Status != dsar.StatusCompleted {
		t.Fatalf("Offboard: %v, %s", err, r.Status)
	}
	if got := src.categories(held); !slices.Equal(got, []string{"guest.contact.email", "guest.contact.name"}) {
		t.Errorf("the held guest keeps %v, want their contact data (held) and nothing else", got)
	}
	if got := src.categories(other); len(got) != 0 {
		t.Errorf("the other guest keeps %v, want nothing", got)
	}
	if len(src.except) != 1 || !slices.Equal(src.except[0], []string{held}) {
		t.Errorf("EraseController was asked to leave out %v, want the held guest", src.except)
	}
	var kept []dsar.Exemption
	for _, e := range r.Exemptions {
		if e.Subjects > 0 {
			kept = append(kept, e)
		}
	}
	want := []dsar.Exemption{
		{Category: "guest.contact.email", Ground: dsar.GroundLegalClaims, Reason: "legal hold lh-7: dispute 2026-17", Subjects: 1},
		{Category: "guest.contact.name", Ground: dsar.GroundLegalClaims, Reason: "legal hold lh-7: dispute 2026-17", Subjects: 1},
		{Category: "guest.contact.phone", Ground: dsar.GroundLegalClaims, Reason: "legal hold lh-7: dispute 2026-17", Subjects: 1},
	}
	if !slices.Equal(kept, want) {
		t.Errorf("exemptions for single subjects:\n got %+v\nwant %+v", kept, want)
	}
	var erased int
	for _, e := range r.Sources[0].Erased {
		erased += e.Count
	}
	if erased != 4 {
		t.Errorf("erased %+v, want 4 records (the other guest's 3, the held guest's IP address)", r.Sources[0].Erased)
	}
	var exempted []string
	for _, e := range r.Trail {
		if strings.Contains(e.Detail, held) || strings.Contains(e.Detail, other) {
			t.Errorf("trail entry %s names a subject: %s", e.Action, e.Detail)
		}
		if e.Action == "exempted" {
			exempted = append(exempted, e.Detail)
		}
	}
	if !slices.Contains(exempted, "guest.contact.email of 1 subject kept under GDPR Art. 17(3)(e): legal hold lh-7: dispute 2026-17") {
		t.Errorf("the trail's exemptions %q do not say the hold keeps one subject's email", exempted)
	}
}

// TestOffboardKeepsWhatAHoldOnOneSubjectPlacedSinceItStartedKeeps: a hold
// on one guest placed while the offboarding runs (while its first source
// erases) keeps that guest's data in every source that erases after it,
// as for an erasure (the holds are asked right before each source erases).
func TestOffboardKeepsWhatAHoldOnOneSubjectPlacedSinceItStartedKeeps(t *testing.T) {
	t.Parallel()
	const guest = "g-5"
	holds := &subjectHolds{}
	a, b := guestData(guest), guestData(guest)
	a.onErase = func() { holds.place(guest) }
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("a", a), dsar.WithSource("b", b), dsar.WithConcurrency(1), dsar.WithHolds(holds))
	r, err := desk.Offboard(t.Context(), dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"})
	if err != nil || r.Status != dsar.StatusCompleted {
		t.Fatalf("Offboard: %v, %s", err, r.Status)
	}
	if got := a.categories(guest); len(got) != 0 {
		t.Errorf("source a (erasing before the hold) keeps %v, want nothing", got)
	}
	if got := b.categories(guest); !slices.Equal(got, []string{"guest.contact.email", "guest.contact.name", "guest.it.ip_address"}) {
		t.Errorf("source b (erasing after the hold) keeps %v, want all of the guest's data", got)
	}
	if !slices.ContainsFunc(r.Exemptions, func(e dsar.Exemption) bool {
		return e.Subjects == 1 && e.Reason == "legal hold lh-9: placed during the offboarding"
	}) {
		t.Errorf("exemptions %+v: want the hold on one subject recorded", r.Exemptions)
	}
}

// subjectHolds keeps nothing until a subject is placed under a hold, then
// every category of that subject.
type subjectHolds struct {
	mu      sync.Mutex
	subject string
}

func (h *subjectHolds) place(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subject = id
}

func (h *subjectHolds) Held(_ context.Context, s privacy.Subject, categories []string, _ time.Time) ([]dsar.Exemption, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subject == "" || s.ID != h.subject {
		return nil, nil
	}
	var out []dsar.Exemption
	for _, c := range categories {
		out = append(out, dsar.Exemption{Category: c, Ground: dsar.GroundLegalClaims, Reason: "legal hold lh-9: placed during the offboarding"})
	}
	return out, nil
}

// TestOffboardUnknownController: an offboarding of a controller for which
// no source lists a subject, and that was never offboarded (a mistyped
// customer id), is ErrNoControllerData and records nothing. Before, it
// was recorded as completed having returned and deleted nothing, while
// the real customer's data stayed. Offboarding a controller again, once
// its data is gone, still records that nothing was left.
func TestOffboardUnknownController(t *testing.T) {
	t.Parallel()
	requests := memory.NewRequestStore()
	src := guestData("g-1")
	desk := dsar.NewDesk(requests, memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("meetings", src))
	empty := dsar.NewDesk(requests, memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithSource("meetings", guestData()))
	_, err := empty.Offboard(t.Context(), dsar.Offboarding{Controller: "acmee", Kind: privacy.SubjectGuest, By: "ops"})
	if !errors.Is(err, dsar.ErrNoControllerData) || !errors.Is(err, privacy.ErrNotFound) || !strings.Contains(err.Error(), "acmee") {
		t.Fatalf("Offboard of an unknown controller: %v, want ErrNoControllerData naming it", err)
	}
	if rs, err := requests.List(t.Context(), dsar.Filter{}); err != nil || len(rs) != 0 {
		t.Fatalf("requests after a refused offboarding: %d, %v; want none", len(rs), err)
	}
	if r, err := desk.Offboard(t.Context(), dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"}); err != nil || r.Status != dsar.StatusCompleted {
		t.Fatalf("Offboard: %v, %s", err, r.Status)
	}
	again, err := empty.Offboard(t.Context(), dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"})
	if err != nil || again.Status != dsar.StatusCompleted {
		t.Errorf("Offboard again once the data is gone: %v, %s; want completed", err, again.Status)
	}
}
