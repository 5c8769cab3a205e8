package dsar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

// disclosures is a disclosure log in memory, by subject id.
type disclosures map[string][]dsar.Disclosure

func (l disclosures) Disclosures(_ context.Context, subjectID string) ([]dsar.Disclosure, error) {
	if subjectID == "broken" {
		return nil, errors.New("log unreadable")
	}
	return l[subjectID], nil
}

func noticeNames(r dsar.Request) []string {
	var out []string
	for _, n := range r.Notices {
		out = append(out, n.Name())
	}
	return out
}

// Art. 19: a completed rectification, erasure or restriction lists the
// recipients to tell, from the disclosure log: only those that received
// data in the request's scope, with the categories and purposes; an
// access request lists none.
func TestNoticesFromTheDisclosureLog(t *testing.T) {
	t.Parallel()
	log := disclosures{user.ID: {
		{Recipient: "mailer", Kind: privacy.RecipientProcessor, Country: "US", Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}, Count: 3},
		{Recipient: "mailer", Kind: privacy.RecipientProcessor, Country: "US", Purpose: "support", Data: []string{"instance.contact"}, Count: 1},
		{Recipient: "tax-office", Kind: privacy.RecipientPublicAuthority, Country: "NL", Purpose: "billing", Data: []string{"instance.financial.payment"}, Count: 1},
	}}
	f := newFixture(t, dsar.WithDisclosures(log))
	rect := f.run(t, f.openVerified(t, dsar.Request{Kind: dsar.KindRectification, Subject: user,
		Corrections: []dsar.Correction{{Category: "instance.contact.email", Value: "ann@example.org"}}}).ID)
	want := []dsar.Notice{{Recipient: "mailer", Kind: privacy.RecipientProcessor, Country: "US",
		Purposes: []string{"marketing.announcements", "support"}, Categories: []string{"instance.contact.email"}, Origin: dsar.NoticeFromLog}}
	if diff := cmp.Diff(want, rect.Notices); diff != "" {
		t.Errorf("rectification of the email: notices (-want +got):\n%s", diff)
	}
	if !slices.Contains(actions(rect), "recipients_listed") {
		t.Errorf("trail %v lacks recipients_listed", actions(rect))
	}
	erase := f.run(t, f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user}).ID)
	if diff := cmp.Diff([]string{"mailer", "tax-office"}, noticeNames(erase)); diff != "" {
		t.Errorf("erasure of everything: recipients (-want +got):\n%s", diff)
	}
	access := f.run(t, f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user}).ID)
	if len(access.Notices) != 0 {
		t.Errorf("an access request lists recipients to notify: %v", access.Notices)
	}

	// Each recipient told, or exempt with the reason, in the trail.
	if _, err := f.desk.Notify(t.Context(), erase.ID, "mailer", "privacy-team", ""); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	got, err := f.desk.Notify(t.Context(), erase.ID, "tax-office", "privacy-team", "the authority keeps its own copy under the tax law; no channel for it")
	if err != nil {
		t.Fatalf("Notify exempt: %v", err)
	}
	var pending []string
	for _, n := range got.Notices {
		if n.Pending() {
			pending = append(pending, n.Name())
		}
	}
	if len(pending) != 0 || got.Notices[0].NotifiedAt.IsZero() || got.Notices[1].Exempt == "" {
		t.Errorf("after Notify: pending %v, notices %+v", pending, got.Notices)
	}
	if acts := actions(got); !slices.Contains(acts, "recipient_notified") || !slices.Contains(acts, "recipient_exempt") {
		t.Errorf("trail %v lacks recipient_notified and recipient_exempt", acts)
	}

	// Mistakes name the field; a request that is no such one, the state.
	var ve *privacy.ValidationError
	if _, err := f.desk.Notify(t.Context(), erase.ID, "mailr", "privacy-team", ""); !errors.As(err, &ve) || ve.Field != "recipient" || !strings.Contains(err.Error(), `did you mean "mailer"`) {
		t.Errorf("unknown recipient: error %v, want a ValidationError naming recipient with a suggestion", err)
	}
	if _, err := f.desk.Notify(t.Context(), erase.ID, "mailer", " ", ""); !errors.As(err, &ve) || ve.Field != "by" {
		t.Errorf("blank by: error %v, want a ValidationError naming by", err)
	}
	if _, err := f.desk.Notify(t.Context(), access.ID, "mailer", "privacy-team", ""); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Notify on an access request: error %v, want ErrTransition", err)
	}
}

// Without a disclosure log, the Desk lists the kinds of recipient the
// catalog's purposes may disclose the data in scope to, to identify and
// tell; a restriction covers every category of the subject's kind.
func TestNoticesFromTheCatalogWithoutALog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.run(t, f.openVerified(t, dsar.Request{Kind: dsar.KindRestriction, Subject: user}).ID)
	var kinds []privacy.RecipientKind
	for _, n := range r.Notices {
		kinds = append(kinds, n.Kind)
		if n.Origin != dsar.NoticeFromCatalog || n.Recipient != "" || len(n.Purposes) == 0 {
			t.Errorf("notice %+v: want a kind of recipient from the catalog with its purposes", n)
		}
	}
	// The reference catalog's user purposes disclose to every kind.
	if diff := cmp.Diff(privacy.RecipientKinds(), kinds); diff != "" {
		t.Errorf("restriction: recipient kinds (-want +got):\n%s", diff)
	}
	i := slices.IndexFunc(r.Notices, func(n dsar.Notice) bool { return n.Kind == privacy.RecipientIndividual })
	if diff := cmp.Diff([]string{"referral"}, r.Notices[i].Purposes); i < 0 || diff != "" {
		t.Errorf("individuals: purposes (-want +got):\n%s", diff)
	}
	if _, err := f.desk.Notify(t.Context(), r.ID, "kind:individual", "privacy-team", ""); err != nil {
		t.Errorf("Notify a kind of recipient by its name: %v", err)
	}
}

// A disclosure log that fails leaves the request where it stood, with the
// failure in the trail, for the next Run; it is not completed unlisted.
func TestNoticesLogFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dsar.WithDisclosures(disclosures{}))
	broken := privacy.Subject{ID: "broken", Kind: privacy.SubjectUser}
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindRestriction, Subject: broken})
	got, err := f.desk.Run(t.Context(), r.ID)
	if err == nil || got.Status == dsar.StatusCompleted {
		t.Fatalf("Run with a failing log: %v, status %s; want an error and not completed", err, got.Status)
	}
	if !slices.Contains(actions(got), "step_failed") {
		t.Errorf("trail %v lacks step_failed", actions(got))
	}
}

// Offboarding needs sources that can act on a controller's data at once;
// one that cannot is named, and nothing is recorded.
func TestOffboardNeedsControllerSources(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.desk.Offboard(t.Context(), dsar.Offboarding{Controller: "acme", Kind: privacy.SubjectGuest, By: "ops"})
	if err == nil || !strings.Contains(err.Error(), "ControllerSource") {
		t.Errorf("Offboard over plain sources: %v, want an error naming ControllerSource", err)
	}
	if list, _ := f.desk.List(t.Context(), dsar.Filter{}); len(list) != 0 {
		t.Errorf("a refused offboarding was recorded: %v", list)
	}
}
