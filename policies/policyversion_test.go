package policies_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
)

// versionCatalog is the reference catalog at policy version 1.2.0.0.10, in
// which research.surveys last changed materially in 1.2.0.0.5.
func versionCatalog(t *testing.T) *privacy.Catalog {
	t.Helper()
	c := privacy.DefaultCatalog()
	c.PolicyVersion = "1.2.0.0.10"
	c.Purpose("research.surveys").ConsentVersion = "1.2.0.0.5"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStaleVersionBeyondFourParts is the regression test for consent given
// under 1.2.0.0.4 when 1.2.0.0.5 is required: the engine compared versions
// cut to four parts and allowed it.
func TestStaleVersionBeyondFourParts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		given string
		want  []string
	}{
		{"1.2.0.0.4", []string{privacy.ReasonConsentStaleVersion}},
		{"1.2", []string{privacy.ReasonConsentStaleVersion}},
		{"1.2.0.0.5", []string{}},
		{"1.2.0.0.5.0", []string{}},
		{"1.2.0.0.10", []string{}},
	} {
		t.Run(tc.given, func(t *testing.T) {
			t.Parallel()
			for _, cached := range []bool{false, true} {
				opts := []policies.Option{policies.WithCatalog(versionCatalog(t))}
				if !cached {
					opts = append(opts, policies.WithCache(0))
				}
				f := newFixture(t, opts...)
				if err := grant(user.ID, "research.surveys", func(r *consent.Record) { r.PolicyVersion = tc.given })(t.Context(), f); err != nil {
					t.Fatal(err)
				}
				d, err := f.eng.Decide(t.Context(), req(user, "research.surveys", "instance.contact.email"))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, d.Codes()); diff != "" {
					t.Errorf("cache %v: consent under %s, purpose changed in 1.2.0.0.5: reasons (-want +got):\n%s", cached, tc.given, diff)
				}
				if d.Allowed != (len(tc.want) == 0) {
					t.Errorf("cache %v: allowed = %v", cached, d.Allowed)
				}
			}
		})
	}
}
