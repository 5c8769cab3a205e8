package accountability_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
)

// TestDisclosuresFromTheDecisionLog: the disclosures of one subject are
// found in the log the engine writes, by the keyed pseudonym: the allowed
// decisions with a recipient, grouped by recipient and purpose; another
// subject's, denied ones and internal uses are not among them. A Desk
// reading the log lists those recipients when a restriction completes
// (Art. 19).
func TestDisclosuresFromTheDecisionLog(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	var buf bytes.Buffer
	states := memory.NewStateStore()
	eng, err := policies.New(t.Context(), policies.WithConsents(memory.NewConsentStore()), policies.WithSubjects(states),
		policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)), key))
	if err != nil {
		t.Fatal(err)
	}
	hosting := &privacy.Recipient{ID: "hosting", Kind: privacy.RecipientProcessor, Country: "DE", DPA: true}
	tax := &privacy.Recipient{ID: "tax-office", Kind: privacy.RecipientPublicAuthority, Country: "NL"}
	ann := privacy.Subject{ID: "ann", Kind: privacy.SubjectUser, Age: 30, Country: "NL"}
	bob := privacy.Subject{ID: "bob", Kind: privacy.SubjectUser, Age: 30, Country: "NL"}
	for _, r := range []privacy.Request{
		{Subject: ann, Purpose: "support", Data: []string{"instance.contact.email"}, Recipient: hosting},
		{Subject: ann, Purpose: "support", Data: []string{"instance.account.username"}, Recipient: hosting},
		{Subject: ann, Purpose: "billing", Data: []string{"instance.financial.payment"}, Basis: "legal_obligation", Recipient: tax, EncryptedInTransit: true},
		{Subject: ann, Purpose: "support", Data: []string{"instance.contact.email"}},                              // internal
		{Subject: ann, Purpose: "research.surveys", Data: []string{"instance.contact.email"}, Recipient: hosting}, // denied: no consent
		{Subject: bob, Purpose: "support", Data: []string{"instance.contact.email"}, Recipient: &privacy.Recipient{ID: "other", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true}},
	} {
		if _, err := eng.Decide(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := accountability.ReadDisclosures(bytes.NewReader(buf.Bytes()), privacy.Pseudonym(key, "ann"))
	if err != nil {
		t.Fatal(err)
	}
	want := []dsar.Disclosure{
		{Recipient: "hosting", Kind: privacy.RecipientProcessor, Country: "DE", Purpose: "support", Data: []string{"instance.account.username", "instance.contact.email"}, Count: 2},
		{Recipient: "tax-office", Kind: privacy.RecipientPublicAuthority, Country: "NL", Purpose: "billing", Data: []string{"instance.financial.payment"}, Count: 1},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(dsar.Disclosure{}, "First", "Last")); diff != "" {
		t.Errorf("ann's disclosures (-want +got):\n%s", diff)
	}
	if got[0].First.IsZero() || got[0].Last.IsZero() || got[0].Last.Before(got[0].First) {
		t.Errorf("First %v, Last %v: want the moments of the earliest and the latest decision", got[0].First, got[0].Last)
	}

	path := filepath.Join(t.TempDir(), "decisions.log")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	desk := dsar.NewDesk(memory.NewRequestStore(), states, dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithDisclosures(accountability.DisclosureLog{Path: path, Key: key}))
	r, err := desk.Open(t.Context(), dsar.Request{Kind: dsar.KindRestriction, Subject: ann})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Verify(t.Context(), r.ID, dsar.Evidence{Method: "login_session", By: "support"}); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Run(t.Context(), r.ID); err != nil {
		t.Fatal(err)
	}
	notices, err := desk.Recipients(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range notices {
		names = append(names, n.Name()+" "+strings.Join(n.Categories, ","))
	}
	if diff := cmp.Diff([]string{"hosting instance.account.username,instance.contact.email", "tax-office instance.financial.payment"}, names); diff != "" {
		t.Errorf("restriction: recipients to tell (-want +got):\n%s", diff)
	}
	st, _ := states.State(t.Context(), "ann")
	if !st.Restricted {
		t.Error("the restriction was not written")
	}

	// The wrong key finds nothing of ann's; a missing file is an error
	// naming it, not the subject.
	other, err := accountability.DisclosureLog{Path: path, Key: []byte("another key of 16+ bytes")}.Disclosures(t.Context(), "ann")
	if err != nil || len(other) != 0 {
		t.Errorf("with another key: %v, %v; want none", other, err)
	}
	_, err = accountability.DisclosureLog{Path: path + ".gone", Key: key}.Disclosures(t.Context(), "ann")
	if err == nil || !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "ann") {
		t.Errorf("missing log: error %v, want not-exist naming no subject", err)
	}
}
