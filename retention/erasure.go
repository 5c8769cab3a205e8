package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

var _ dsar.Holds = (*ErasureHolds)(nil)

// ErasureHolds tells an erasure request which of a subject's categories
// must be kept: those whose rule carries a statutory hold (Art. 17(3)(b)),
// and those under a legal hold active at the time (Art. 17(3)(e)). It
// implements dsar.Holds for dsar.Desk, in place of the catalog-only
// dsar.CatalogHolds. The kept records are erased by the sweeper when
// their hold ends.
type ErasureHolds struct {
	Catalog *privacy.Catalog
	// Holds keeps the legal holds; nil means none.
	Holds HoldStore
}

// Held returns one exemption per held category, in the order given: the
// statutory hold first, else the first legal hold that covers it.
func (e *ErasureHolds) Held(ctx context.Context, s privacy.Subject, categories []string, at time.Time) ([]dsar.Exemption, error) {
	if e.Catalog == nil {
		// Without the rules nothing would be kept: the Desk would erase
		// what the law keeps.
		return nil, errors.New("erasure holds: no catalog (ErasureHolds.Catalog)")
	}
	var holds []Hold
	if e.Holds != nil {
		var err error
		if holds, err = e.Holds.ActiveHolds(ctx, at); err != nil {
			return nil, fmt.Errorf("erasure holds: %w", err)
		}
	}
	var out []dsar.Exemption
	for _, key := range categories {
		if r := e.Catalog.RetentionRule(key); r != nil && r.StatutoryHold != nil {
			h := r.StatutoryHold
			out = append(out, dsar.Exemption{Category: key, Ground: dsar.GroundLegalObligation,
				Reason: fmt.Sprintf("statutory retention: %s after %s%s (%s)", h.Period, bookYear(h), h.Trigger, h.Law)})
			continue
		}
		for i := range holds {
			if holds[i].ActiveAt(at) && holds[i].Covers(s.ID, key) {
				out = append(out, dsar.Exemption{Category: key, Ground: dsar.GroundLegalClaims,
					Reason: holds[i].String(), Until: holds[i].Until})
				break
			}
		}
	}
	return out, nil
}

// bookYear words a hold that counts from the end of the book year.
func bookYear(h *privacy.StatutoryHold) string {
	if h.BookYearEnd == "" {
		return ""
	}
	return "the end of the book year (ending " + h.BookYearEnd + ") of "
}
