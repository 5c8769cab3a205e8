package retention_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
)

func TestErasureHolds(t *testing.T) {
	t.Parallel()
	store := memory.NewRetentionStore()
	hold, err := store.PlaceHold(t.Context(), retention.Hold{ID: "case-1", SubjectID: "u-1", Category: "instance.meeting",
		PlacedBy: "legal", Reason: "claim 7", PlacedAt: t0.Add(-time.Hour), Until: t0.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatalf("PlaceHold: %v", err)
	}
	statutory := "statutory retention: P7Y after the end of the book year (ending 12-31) of collected (AWR art. 52(4); BW 2:10(3))"
	contract := "statutory retention: P7Y after the end of the book year (ending 12-31) of account_closed (AWR art. 52(4); BW 2:10(3))"
	tests := []struct {
		name    string
		subject string
		holds   retention.HoldStore
		cats    []string
		want    []dsar.Exemption
	}{
		{"statutory hold keeps financial records, not card numbers", "u-2", store,
			[]string{"instance.financial.payment", "instance.financial.card", "instance.contact.email"},
			[]dsar.Exemption{{Category: "instance.financial.payment", Ground: dsar.GroundLegalObligation, Reason: statutory}}},
		{"legal hold keeps the held subject's categories", "u-1", store,
			[]string{"instance.meeting.recording", "instance.contact.email", "instance.financial.bank"},
			[]dsar.Exemption{
				{Category: "instance.meeting.recording", Ground: dsar.GroundLegalClaims, Reason: hold.String(), Until: hold.Until},
				{Category: "instance.financial.bank", Ground: dsar.GroundLegalObligation, Reason: contract},
			}},
		{"no hold store", "u-1", nil, []string{"instance.meeting.recording"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &retention.ErasureHolds{Catalog: privacy.DefaultCatalog(), Holds: tc.holds}
			got, err := h.Held(t.Context(), privacy.Subject{ID: tc.subject, Kind: privacy.SubjectUser}, tc.cats, t0)
			if err != nil {
				t.Fatalf("Held: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Held (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErasureHoldsAgreeWithCatalogHolds: the desk's default holds and the
// retention rules keep the same categories of the reference catalog from
// erasure (card numbers, financial but under no statutory duty, are not
// kept by either).
func TestErasureHoldsAgreeWithCatalogHolds(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	var leaves []string
	for _, cat := range c.Categories {
		if len(c.Leaves(cat.Key)) == 1 && c.Leaves(cat.Key)[0] == cat.Key {
			leaves = append(leaves, cat.Key)
		}
	}
	s := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	kept := func(h dsar.Holds) []string {
		t.Helper()
		ex, err := h.Held(t.Context(), s, leaves, at)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range ex {
			out = append(out, e.Category)
		}
		return out
	}
	want := kept(&retention.ErasureHolds{Catalog: c})
	if diff := cmp.Diff(want, kept(&dsar.CatalogHolds{Catalog: c})); diff != "" {
		t.Errorf("CatalogHolds keeps other categories than the retention rules (-rules +catalog holds):\n%s", diff)
	}
	if slices.Contains(want, "instance.financial.card") || !slices.Contains(want, "instance.financial.payment") {
		t.Errorf("kept %v: want the payment records, not the card numbers", want)
	}
}

// ErasureHolds without a catalog is an error, not a panic in the Desk's
// fan-out (where it took the process down).
func TestErasureHoldsWithoutCatalog(t *testing.T) {
	t.Parallel()
	e := &retention.ErasureHolds{}
	if _, err := e.Held(t.Context(), privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}, []string{"instance.contact.email"}, time.Now()); err == nil {
		t.Errorf("Held without a catalog: no error")
	}
}
