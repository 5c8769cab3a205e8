package privacy_test

import (
	"errors"
	"testing"

	"github.com/privacykit/privacy"
)

func TestVersionCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.2", "1.2", 0},
		{"1.2", "1.2.0", 0},
		{"1.2.0.0", "1.2", 0},
		{"1.9", "1.10", -1},
		{"2", "1.99", 1},
		{"1.1", "1.2", -1},
		// Parts beyond the fourth count: the case a fixed-width form lost.
		{"1.2.0.0.4", "1.2.0.0.5", -1},
		{"1.2.0.0.5", "1.2.0.0.4", 1},
		{"1.2.0.0.0.1", "1.2", 1},
		{"0", "0.0.1", -1},
		{"18446744073709551615", "18446744073709551614", 1},
	} {
		a, b := privacy.MustParsePolicyVersion(tc.a), privacy.MustParsePolicyVersion(tc.b)
		if got := a.Compare(b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		// The key Rego compares orders exactly as Compare does.
		var byKey int
		switch ka, kb := a.Key(), b.Key(); {
		case ka < kb:
			byKey = -1
		case ka > kb:
			byKey = 1
		}
		if byKey != tc.want {
			t.Errorf("Key order of %q (%s) and %q (%s) = %d, want %d", tc.a, a.Key(), tc.b, b.Key(), byKey, tc.want)
		}
	}
	var empty privacy.PolicyVersion
	if got := empty.Compare(privacy.MustParsePolicyVersion("0")); got != -1 {
		t.Errorf(`the empty version compared with "0" = %d, want -1 (the empty version is older than any)`, got)
	}
}

func TestParsePolicyVersionRefusesBadVersions(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "1..2", "v1", "1.-2", ".1", "1.", "1.2a", " 1", "1,2", "+1", "99999999999999999999", "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28"} {
		_, err := privacy.ParsePolicyVersion(s)
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != "version" || !errors.Is(err, privacy.ErrInvalid) {
			t.Errorf("ParsePolicyVersion(%q) = %v, want a *ValidationError naming the field version", s, err)
		}
		if privacy.ValidVersion(s) {
			t.Errorf("ValidVersion(%q) = true", s)
		}
		if ve != nil {
			if got := privacy.FieldError("consent_version", err); got.Error()[:len("consent_version: ")] != "consent_version: " {
				t.Errorf("FieldError = %q, want it to name consent_version", got)
			}
		}
	}
}

func TestCatalogRefusesBadVersions(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "1..2", "v1", "1.-2"} {
		c := privacy.DefaultCatalog()
		c.PolicyVersion = v
		err := c.Validate()
		var ce *privacy.CatalogError
		if !errors.As(err, &ce) || ce.Field != "policy_version" {
			t.Errorf("policy_version %q: Validate = %v, want an error naming policy_version", v, err)
		}
	}
}

// FuzzParsePolicyVersion: a version never panics the parser; one it
// accepts equals itself parsed again from its String.
func FuzzParsePolicyVersion(f *testing.F) {
	for _, s := range []string{"1.2", "1.2.0", "1.2.0.0.5", "0", "01.2", "1..2", "1.2-rc1", "v1.2", "", "99999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := privacy.ParsePolicyVersion(s)
		if check := privacy.CheckPolicyVersion("v", s); (check == nil) != (err == nil) {
			t.Fatalf("CheckPolicyVersion(%q) = %v but ParsePolicyVersion says %v", s, check, err)
		}
		if err != nil {
			return
		}
		again, err := privacy.ParsePolicyVersion(v.String())
		if err != nil || again.Compare(v) != 0 {
			t.Fatalf("ParsePolicyVersion(%q) = %v, whose String parses to %v, %v", s, v, again, err)
		}
	})
}

// TestCheckPolicyVersionAllocatesNothing: the engine checks the version of
// every consent it reads, on the cached path too.
func TestCheckPolicyVersionAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if err := privacy.CheckPolicyVersion("consent.policy_version", "1.2.0.0.5"); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("CheckPolicyVersion allocates %v times per call, want 0", n)
	}
	var ve *privacy.ValidationError
	if err := privacy.CheckPolicyVersion("consent.policy_version", "v1.2"); !errors.As(err, &ve) || ve.Field != "consent.policy_version" {
		t.Errorf("CheckPolicyVersion(v1.2) = %v, want a ValidationError naming consent.policy_version", err)
	}
}
