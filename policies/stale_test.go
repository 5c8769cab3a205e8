package policies_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
)

// TestStaleConsentsAgreesWithDecide grants research.surveys under
// versions around the purpose's last material change (1.2.0.0.5), and
// withdraws one: the subjects StaleConsents lists are exactly those whose
// decision denies consent.stale_version, with the catalog's version and
// with one the caller names.
func TestStaleConsentsAgreesWithDecide(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, policies.WithCatalog(versionCatalog(t)))
	versions := map[string]string{"s-a": "1.2.0.0.4", "s-b": "1.2", "s-c": "1.2.0.0.5", "s-d": "1.2.0.0.5.0", "s-e": "1.2.0.0.10", "s-w": "1.1"}
	for id, v := range versions {
		if err := grant(id, "research.surveys", func(r *consent.Record) { r.PolicyVersion = v })(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := withdraw("s-w", "research.surveys")(ctx, f); err != nil {
		t.Fatal(err)
	}
	states, err := f.consents.Latest(ctx, "research.surveys")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.eng.StaleConsents(ctx, "research.surveys", "", states)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s-a", "s-b"}, got); diff != "" {
		t.Errorf("stale under the catalog's 1.2.0.0.5 (-want +got):\n%s", diff)
	}
	for id := range versions {
		s := user
		s.ID = id
		d, err := f.eng.Decide(ctx, req(s, "research.surveys", "instance.contact.email"))
		if err != nil {
			t.Fatal(err)
		}
		if denied := slices.Contains(d.Codes(), privacy.ReasonConsentStaleVersion); denied != slices.Contains(got, id) {
			t.Errorf("consent under %s: decision %v, but StaleConsents lists %v", versions[id], d.Codes(), got)
		}
	}

	got, err = f.eng.StaleConsents(ctx, "research.surveys", "1.2.0.0.10", states)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s-a", "s-b", "s-c", "s-d"}, got); diff != "" {
		t.Errorf("stale under a named 1.2.0.0.10 (-want +got):\n%s", diff)
	}
}

// TestStaleConsentsRefuses checks the errors for an undeclared purpose, a
// bad version and states that are not the purpose's.
func TestStaleConsentsRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := consent.State{SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given, PolicyVersion: "1.2"}
	other := ok
	other.Purpose = "referral"
	erased := ok
	erased.SubjectID = ""
	garbled := ok
	garbled.PolicyVersion = "v1.2"
	for _, tc := range []struct {
		name, purpose, version string
		states                 []consent.State
		field                  string
	}{
		{"undeclared purpose", "research.survey", "", nil, "purpose"},
		{"bad version", "research.surveys", "1..2", nil, "version"},
		{"another purpose's state", "research.surveys", "", []consent.State{ok, other}, "states[1].purpose"},
		{"no subject", "research.surveys", "", []consent.State{erased}, "states[0].subject_id"},
		{"a version that does not parse", "research.surveys", "", []consent.State{ok, garbled}, "states[1].policy_version"},
	} {
		_, err := f.eng.StaleConsents(t.Context(), tc.purpose, tc.version, tc.states)
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: error %v, want a validation error of %s", tc.name, err, tc.field)
		}
	}
}
