package accountability_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
)

type kindKey struct {
	Kind accountability.FindingKind
	Key  string
}

func keys(fs []accountability.Finding) []kindKey {
	out := []kindKey{}
	for _, f := range fs {
		out = append(out, kindKey{f.Kind, f.Key})
	}
	return out
}

func readText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDiffNoticeReferencePolicy pins the findings on the published
// 24sessions policy; FINDINGS.md explains each one.
func TestDiffNoticeReferencePolicy(t *testing.T) {
	t.Parallel()
	got := accountability.DiffNotice(privacy.DefaultCatalog(), readText(t, "privacy-policy-24sessions-v1.2.txt"))
	want := []kindKey{
		{accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#DeliveryOfGoods"},
		{accountability.RightNotInText, "portability"},
		{accountability.RightNotInText, "restriction"},
		{accountability.RightWithoutMechanism, "complaint"},
	}
	if diff := cmp.Diff(want, keys(got)); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s\ngot:\n%s", diff, findingsText(got))
	}
	for _, f := range got {
		if f.Key == "complaint" && !strings.Contains(f.Message, "support@24sessions.com") {
			t.Errorf("complaint finding should quote where the text sends complaints, got %q", f.Message)
		}
	}
}

func findingsText(fs []accountability.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func TestDiffNotice(t *testing.T) {
	t.Parallel()
	shop := catalogs(t)["shop"]
	tests := []struct {
		name string
		c    *privacy.Catalog
		text string
		want []kindKey
	}{
		{
			// The shop's notice forgets the newsletter: the catalog lets the
			// engine allow a purpose the notice never publishes, and the
			// email address the newsletter uses is never mentioned.
			name: "shop notice missing a purpose",
			c:    shop,
			text: readText(t, "shop-notice.txt"),
			want: []kindKey{
				{accountability.CategoryNotInText, "customer.contact.email"},
				{accountability.PurposeNotInText, "newsletter"},
			},
		},
		{
			name: "shop notice with every purpose",
			c:    shop,
			text: readText(t, "shop-notice.txt") + "\nIf you sign up, we send you our newsletter at the email address you give us.\n",
			want: []kindKey{},
		},
		{
			// Sharing with advertisers is a purpose the catalog lacks; a
			// negated sentence promises nothing.
			name: "purpose the catalog lacks",
			c:    shop,
			text: readText(t, "shop-notice.txt") + "\nIf you sign up, we send you our newsletter at the email address you give us. We show you advertisements from our advertising partners. We never sell your data.\n",
			want: []kindKey{
				{accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#Advertising"},
			},
		},
		{
			// Analytics, credit scoring and model training are purposes a
			// notice may add that the shop's catalog does not declare.
			name: "analytics, credit scoring and model training",
			c:    shop,
			text: readText(t, "shop-notice.txt") + "\nIf you sign up, we send you our newsletter at the email address you give us. We use analytics on your visits, credit scoring before you pay later, and your orders to train our models.\n",
			want: []kindKey{
				{accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#CreditChecking"},
				{accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#ResearchAndDevelopment"},
				{accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#ServiceOptimisation"},
			},
		},
		{
			name: "empty text",
			c:    shop,
			text: "",
			want: []kindKey{
				{accountability.CategoryNotInText, "customer.contact.address"},
				{accountability.CategoryNotInText, "customer.contact.email"},
				{accountability.CategoryNotInText, "customer.contact.name"},
				{accountability.CategoryNotInText, "customer.order.history"},
				{accountability.CategoryNotInText, "customer.payment.card"},
				{accountability.CategoryNotInText, "customer.web.ip_address"},
				{accountability.PurposeNotInText, "fraud"},
				{accountability.PurposeNotInText, "newsletter"},
				{accountability.PurposeNotInText, "order.fulfilment"},
				{accountability.PurposeNotInText, "payment"},
				{accountability.RecipientNotInText, "partner"},
				{accountability.RecipientNotInText, "processor"},
				{accountability.RecipientNotInText, "public_authority"},
				{accountability.RightNotInText, "access"},
				{accountability.RightNotInText, "complaint"},
				{accountability.RightNotInText, "erasure"},
				{accountability.RightNotInText, "objection"},
				{accountability.RightNotInText, "portability"},
				{accountability.RightNotInText, "rectification"},
				{accountability.RightNotInText, "restriction"},
				{accountability.RightNotInText, "withdraw_consent"},
				{accountability.SecurityPromiseMissing, "encryption"},
				{accountability.SecurityPromiseMissing, "measures"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := accountability.DiffNotice(tc.c, tc.text)
			if diff := cmp.Diff(tc.want, keys(got)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s\ngot:\n%s", diff, findingsText(got))
			}
		})
	}
}

// TestGeneratedNotice checks the point of the package: the notice generated
// from a catalog publishes everything the catalog lets the engine do and
// states every right. The one finding left on the reference catalog is
// inherited: billing quotes the policy's "shipping and billing
// information" (see FINDINGS.md).
func TestGeneratedNotice(t *testing.T) {
	t.Parallel()
	want := map[string][]kindKey{
		"reference": {{accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#DeliveryOfGoods"}},
		"shop":      {},
	}
	for name, c := range catalogs(t) {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := accountability.WriteNotice(&b, c); err != nil {
				t.Fatal(err)
			}
			got := accountability.DiffNotice(c, b.String())
			if diff := cmp.Diff(want[name], keys(got)); diff != "" {
				t.Errorf("findings on the generated notice (-want +got):\n%s\ngot:\n%s", diff, findingsText(got))
			}
		})
	}
}
