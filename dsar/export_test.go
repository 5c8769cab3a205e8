package dsar_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

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

// Art. 15(1)(c): the answer to an access request names the recipients the
// subject's data in its scope were disclosed to, as the disclosure log
// showed them when it completed: each with the purpose, the data, how
// many times and when; and the categories of recipient the catalog's
// purposes may disclose the exported data to. Before, the export named
// only the catalog's kinds of recipient per purpose.
func TestAccessExportListsTheRecipients(t *testing.T) {
	t.Parallel()
	first := time.Date(2025, time.March, 1, 9, 0, 0, 0, time.UTC)
	last := time.Date(2026, time.January, 12, 16, 30, 0, 0, time.UTC)
	mailer := dsar.Disclosure{Recipient: "mailer", Kind: privacy.RecipientProcessor, Country: "US", Purpose: "marketing.announcements",
		Data: []string{"instance.contact.email"}, Count: 3, First: first, Last: last}
	log := disclosures{user.ID: {
		{Recipient: "tax-office", Kind: privacy.RecipientPublicAuthority, Country: "NL", Purpose: "billing", Data: []string{"instance.financial.payment"}, Count: 1, First: last, Last: last},
		mailer,
	}, "u-2": {{Recipient: "someone-else", Kind: privacy.RecipientProcessor, Purpose: "support", Data: []string{"instance.contact.email"}, Count: 1}}}
	f := newFixture(t, dsar.WithDisclosures(log))
	r := f.run(t, f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user, Categories: []string{"instance.contact"}}).ID)
	if r.Disclosed == nil || !cmp.Equal([]dsar.Disclosure{mailer}, r.Disclosed.Disclosures) {
		t.Fatalf("the completed request's disclosures: %+v; want the mailer only (the tax office got data outside the scope)", r.Disclosed)
	}
	if !slices.Contains(actions(r), "recipients_listed") {
		t.Errorf("trail %v lacks recipients_listed", actions(r))
	}
	e, err := f.desk.Export(t.Context(), r.ID)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if e.Recipients.Origin != dsar.NoticeFromLog || !cmp.Equal([]dsar.Disclosure{mailer}, e.Recipients.Disclosed) {
		t.Errorf("export recipients: %+v; want the mailer, from the log", e.Recipients)
	}
	if !slices.Contains(e.Recipients.Kinds, privacy.RecipientProcessor) {
		t.Errorf("export recipient kinds %v: want the catalog's categories of recipient (processor among them)", e.Recipients.Kinds)
	}
	b, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"recipients": {`, `"origin": "disclosure_log"`, `"recipient": "mailer"`, `"purpose": "marketing.announcements"`,
		`"first": "2025-03-01T09:00:00Z"`, `"last": "2026-01-12T16:30:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("export JSON lacks %s:\n%s", want, b)
		}
	}
	if s := e.Summary(); !strings.Contains(s, "- mailer (processor, US) for marketing.announcements: instance.contact.email; 3 times, from 2025-03-01 to 2026-01-12") {
		t.Errorf("summary does not name the recipient with purpose and time:\n%s", s)
	}

	// Without a log: the categories of recipient, and no claim of none.
	f = newFixture(t)
	r = f.run(t, f.openVerified(t, dsar.Request{Kind: dsar.KindPortability, Subject: user}).ID)
	if r.Disclosed != nil {
		t.Errorf("no log, yet disclosures recorded: %+v", r.Disclosed)
	}
	e, err = f.desk.Export(t.Context(), r.ID)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if e.Recipients.Origin != dsar.NoticeFromCatalog || len(e.Recipients.Disclosed) != 0 || len(e.Recipients.Kinds) == 0 {
		t.Errorf("export recipients without a log: %+v; want the catalog's kinds only", e.Recipients)
	}
	if s := e.Summary(); strings.Contains(s, "no disclosure") || !strings.Contains(s, "Categories of recipient") {
		t.Errorf("summary without a log:\n%s", s)
	}

	// A log that fails leaves the access request uncompleted, for the next Run.
	f = newFixture(t, dsar.WithDisclosures(disclosures{}))
	broken := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: privacy.Subject{ID: "broken", Kind: privacy.SubjectUser}})
	if got, err := f.desk.Run(t.Context(), broken.ID); err == nil || got.Status == dsar.StatusCompleted {
		t.Errorf("Run with a failing log: %v, status %s; want an error and not completed", err, got.Status)
	}
}

// Art. 15(1)(g): where data was not collected from the subject, the answer
// says where it comes from: a derived category carries the catalog's
// source; data the subject gave carries none.
func TestExportStatesTheSourceOfDerivedData(t *testing.T) {
	t.Parallel()
	marketing := newSource(user.ID,
		dsar.Record{Category: "instance.marketing.profile", ID: "p-1", Value: "interests: webinars"},
		dsar.Record{Category: "instance.contact.email", ID: "e-1", Value: "a@example.com"})
	f := newFixture(t, dsar.WithSource("marketing", marketing))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
	f.run(t, r.ID)
	e, err := f.desk.Export(t.Context(), r.ID)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	want := map[string]string{
		"instance.marketing.profile": privacy.DefaultCatalog().Category("instance.marketing.profile").Source,
		"instance.contact.email":     "",
	}
	if want["instance.marketing.profile"] == "" {
		t.Fatal("the reference catalog gives instance.marketing.profile no source")
	}
	seen := 0
	for _, c := range e.Categories {
		if w, ok := want[c.Category]; ok {
			seen++
			if c.Source != w {
				t.Errorf("%s: source %q, want %q", c.Category, c.Source, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("export categories %v, want both of %v", e.Categories, want)
	}
}
