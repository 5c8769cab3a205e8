package retention_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

func TestErasureHolds(t *testing.T) {
	t.Parallel()
	store := memory.NewRetentionStore()
	hold, err := store.PlaceHold(t.Context(), retention.Hold{ID: "case-1", SubjectID: "u-1", Category: "instance.meeting",
		PlacedBy: "legal", Reason: "claim 7", PlacedAt: t0.Add(-time.Hour), Until: t0.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatalf("PlaceHold: %v", err)
	}
	statutory := "statutory retention: P7Y after collected (AWR art. 52(4); BW 2:10(3))"
	tests := []struct {
		name    string
		subject string
		holds   retention.HoldStore
		cats    []string
		want    []subject.Exemption
	}{
		{"statutory hold keeps financial records, not card numbers", "u-2", store,
			[]string{"instance.financial.payment", "instance.financial.card", "instance.contact.email"},
			[]subject.Exemption{{Category: "instance.financial.payment", Ground: subject.GroundLegalObligation, Reason: statutory}}},
		{"legal hold keeps the held subject's categories", "u-1", store,
			[]string{"instance.meeting.recording", "instance.contact.email", "instance.financial.bank"},
			[]subject.Exemption{
				{Category: "instance.meeting.recording", Ground: subject.GroundLegalClaims, Reason: hold.String(), Until: hold.Until},
				{Category: "instance.financial.bank", Ground: subject.GroundLegalObligation, Reason: statutory},
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
