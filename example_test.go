package privacy_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/privacykit/privacy"
)

func ExampleDecodeRequest() {
	req, err := privacy.DecodeRequest(strings.NewReader(`{
		"subject": {"id": "u-1", "kind": "user", "age": 34, "country": "NL"},
		"purpose": "billing",
		"data": ["instance.financial"]
	}`))
	fmt.Println(req.Purpose, req.Data, err, req.Validate())

	_, err = privacy.DecodeRequest(strings.NewReader(`{"subject": {"age": "thirty"}}`))
	var ve *privacy.ValidationError
	fmt.Println(errors.As(err, &ve), ve.Field)
	// Output:
	// billing [instance.financial] <nil> <nil>
	// true subject.age
}

func ExampleCatalog_Leaves() {
	c := privacy.DefaultCatalog()
	fmt.Println(c.Leaves("instance.financial"))
	fmt.Println(c.Purpose("marketing.announcements").Bases, c.Purpose("marketing.announcements").DirectMarketing)
	// Output:
	// [instance.financial.account instance.financial.bank instance.financial.card instance.financial.payment]
	// [legitimate_interests] true
}

func ExampleParseCatalog() {
	_, err := privacy.ParseCatalog("mine.yaml", []byte(`
policy_version: "1.0"
subject_kinds: [{kind: customer, role: controller}]
categories: [{key: customer.email, subject: customer}]
purposes:
  - key: newsletter
    reason: "We send a newsletter to those who ask for it"
    subjects: [customer]
    categories: [customer.phone]
    bases: [consent]
    consent_version: "1.0"
    recipients: [processor]
consent_age: {default: 16}
`))
	fmt.Println(err)
	// Output: catalog mine.yaml: purpose newsletter: categories: unknown category "customer.phone"
}
