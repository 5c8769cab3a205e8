package dsar_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/lawfulbasis"
)

func TestExportStatesArticle15Information(t *testing.T) {
	t.Parallel()
	billing := newSource(user.ID, dsar.Record{Category: "instance.financial.payment", ID: "inv-1", Value: "EUR 49.00"})
	f := newFixture(t, dsar.WithSource("billing", billing))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user, Categories: []string{"instance.financial"}})
	f.run(t, r.ID)
	e, err := f.desk.Export(t.Context(), r.ID)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	c := privacy.DefaultCatalog()
	want := []dsar.CategoryInfo{{
		Category:    "instance.financial.payment",
		Description: "payment information",
		Purposes: []dsar.PurposeInfo{
			{Purpose: "billing", Description: c.Purpose("billing").Reason,
				Bases:      []lawfulbasis.Basis{lawfulbasis.Contract, lawfulbasis.LegalObligation},
				Recipients: []privacy.RecipientKind{privacy.RecipientProcessor, privacy.RecipientPublicAuthority}},
			{Purpose: "legal.compliance", Description: c.Purpose("legal.compliance").Reason,
				Bases:      []lawfulbasis.Basis{lawfulbasis.LegalObligation},
				Recipients: []privacy.RecipientKind{privacy.RecipientPublicAuthority}},
			{Purpose: "legal.claims", Description: c.Purpose("legal.claims").Reason,
				Bases:      []lawfulbasis.Basis{lawfulbasis.LegitimateInterests},
				Recipients: []privacy.RecipientKind{privacy.RecipientPublicAuthority, privacy.RecipientThirdParty}},
		},
		Retention: "P90D after account_closed, then delete; kept at least P7Y after the end of the book year (ending 12-31) of collected (AWR art. 52(4); BW 2:10(3))",
	}}
	if diff := cmp.Diff(want, e.Categories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}

	b, err := e.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	for _, key := range []string{"request_id", "subject", "controller", "records", "categories", "transfers", "rights", "policy_version"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("export JSON lacks %q", key)
		}
	}
	rec := doc["records"].([]any)[0].(map[string]any)
	if diff := cmp.Diff(map[string]any{"source": "billing", "category": "instance.financial.payment", "id": "inv-1", "value": "EUR 49.00"}, rec); diff != "" {
		t.Errorf("record JSON (-want +got):\n%s", diff)
	}
}
