package dsar_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
)

// controllerSource is a Source that can also act on a whole controller's
// data; it records the categories each EraseController was asked to erase
// and runs onErase first (to place a hold "while it erases").
type controllerSource struct {
	*source
	mu      sync.Mutex
	erased  [][]string
	onErase func()
}

func (c *controllerSource) ExportController(context.Context, privacy.SubjectKind, string) ([]dsar.Record, error) {
	return nil, nil
}

func (c *controllerSource) EraseController(_ context.Context, _ privacy.SubjectKind, _ string, categories []string) ([]dsar.Erased, error) {
	if c.onErase != nil {
		c.onErase()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.erased = append(c.erased, slices.Clone(categories))
	return nil, nil
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
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(),
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
