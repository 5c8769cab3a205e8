package privacy_test

import (
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"billing", "support", "marketing.profiling", "marketing.announcements", "instance.contact.email", "instance.contact.phone"}
	for _, tc := range []struct{ name, want string }{
		{"biling", "billing"},
		{"Billing", "billing"},
		{"marketing.profilling", "marketing.profiling"},
		{"instance.contact.emial", "instance.contact.email"},
		{"email", "instance.contact.email"}, // the only key ending in .email
		{"contact", ""},                     // nothing close, no key ending in it
		{"billing", ""},                     // known
		{"xyz", ""},
		{"", ""},
	} {
		if got := privacy.Suggest(tc.name, known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := privacy.DidYouMean("suport", known); got != ` (did you mean "support"?)` {
		t.Errorf("DidYouMean = %q", got)
	}
}

// TestUnknownIDsSuggest: an unknown id in a catalog or a request names
// the field and the closest known id.
func TestUnknownIDsSuggest(t *testing.T) {
	t.Parallel()
	ref := string(privacy.ReferenceCatalogYAML())
	for name, tc := range map[string]struct{ from, to, want string }{
		"category":       {"categories: [instance.account, instance.profile, instance.contact.email]", "categories: [instance.account, instance.profile, instance.contact.emial]", `"instance.contact.email"`},
		"lawful basis":   {"bases: [contract]", "bases: [contrcat]", `"contract"`},
		"recipient kind": {"recipients: [processor]", "recipients: [procesor]", `"processor"`},
		"subject kind":   {"{key: instance.contact.email, subject: user,", "{key: instance.contact.email, subject: usr,", `"user"`},
	} {
		if !strings.Contains(ref, tc.from) {
			t.Fatalf("%s: fixture %q not in the reference catalog", name, tc.from)
		}
		_, err := privacy.ParseCatalog("c.yaml", []byte(strings.Replace(ref, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), "did you mean "+tc.want) {
			t.Errorf("%s: error %v, want a did you mean %s", name, err, tc.want)
		}
	}
	req := privacy.Request{Subject: privacy.Subject{ID: "u", Kind: privacy.SubjectUser}, Purpose: "billing", Data: []string{"instance"},
		Recipient: &privacy.Recipient{Kind: "thrid_party"}}
	if err := req.Validate(); err == nil || !strings.Contains(err.Error(), `recipient.kind: unknown recipient kind "thrid_party" (did you mean "third_party"?)`) {
		t.Errorf("recipient kind: %v", err)
	}
	req.Recipient = &privacy.Recipient{Kind: privacy.RecipientProcessor, Safeguard: "sccs"}
	if err := req.Validate(); err == nil || !strings.Contains(err.Error(), `did you mean "scc"`) {
		t.Errorf("safeguard: %v", err)
	}
	req.Recipient, req.Basis = nil, "concent"
	if err := req.Validate(); err == nil || !strings.Contains(err.Error(), `did you mean "consent"`) {
		t.Errorf("basis: %v", err)
	}
}

// TestDecideSuggestsSubjectKind: the engine's error for an unknown subject
// kind suggests the catalog's closest.
func TestDecideSuggestsSubjectKind(t *testing.T) {
	t.Parallel()
	eng, err := policies.New(t.Context(), policies.WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Decide(t.Context(), privacy.Request{Subject: privacy.Subject{ID: "u", Kind: "usr"}, Purpose: "billing", Data: []string{"instance"}})
	if err == nil || !strings.Contains(err.Error(), `subject.kind: unknown subject kind "usr" (did you mean "user"?)`) {
		t.Errorf("Decide error %v, want a did you mean \"user\"", err)
	}
}
