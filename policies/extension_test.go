package policies_test

import (
	"errors"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// TestExtensionRulesMustBeSets: a deny or obligation rule of another kind
// would be skipped and allow what its author meant to deny; New refuses it.
func TestExtensionRulesMustBeSets(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"deny as a boolean":      "package privacy.ext.x\n\ndeny := true\n",
		"deny as an object":      "package privacy.ext.x\n\ndeny := {\"code\": \"x\", \"message\": \"y\"}\n",
		"obligation as a string": "package privacy.ext.x\n\nobligation := \"notify\"\n",
		"deny as a function":     "package privacy.ext.x\n\ndeny(x) := x\n",
	} {
		if _, err := policies.New(t.Context(), policies.WithModule("x.rego", src)); !errors.Is(err, privacy.ErrInvalid) {
			t.Errorf("%s: error %v, want one wrapping privacy.ErrInvalid", name, err)
		}
	}
	ok := "package privacy.ext.x\n\ndeny contains {\"code\": \"x.no\", \"message\": \"no\"} if input.request.purpose == \"referral\"\n\nhelper := true\n"
	if _, err := policies.New(t.Context(), policies.WithModule("x.rego", ok)); err != nil {
		t.Errorf("a well-formed module: %v", err)
	}
}
