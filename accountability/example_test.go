package accountability_test

import (
	"fmt"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
)

// DiffNotice compares a published notice with the catalog the engine
// enforces. Here a webshop's notice forgets its newsletter and never says
// how the shop collects email addresses, how to complain or how it
// protects the data.
func ExampleDiffNotice() {
	c, err := privacy.ParseCatalog("shop.yaml", []byte(`
policy_version: "1.0"
name: Example shop
controller: {name: Example Shop B.V., contact: privacy@shop.example}
subject_kinds: [{kind: customer, role: controller}]
categories:
  - {key: customer.name, subject: customer, description: name}
  - {key: customer.email, subject: customer, description: email address}
purposes:
  - {key: orders, reason: "We use your name to process your order", subjects: [customer],
     categories: [customer.name], bases: [contract], recipients: [processor]}
  - {key: newsletter, reason: "We send you our newsletter", subjects: [customer],
     categories: [customer.email], bases: [consent], consent_version: "1.0", recipients: [processor]}
consent_age: {default: 16}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	notice := `We use your name to process your order, with the help of our service providers.
You may access, correct, delete, restrict, object to or take your data (portability),
and withdraw consent.`
	for _, f := range accountability.DiffNotice(c, notice) {
		fmt.Println(f.Kind, f.Key)
	}
	// Output:
	// category_not_in_text customer.email
	// purpose_not_in_text newsletter
	// right_not_in_text complaint
	// security_promise_missing measures
}

// BuildRecord turns the reference catalog into the record of processing
// activities: the operator controls its users' data and processes its
// guests' data on the instructions of each customer. WriteMarkdown,
// WriteCSV and WriteJSON print it (see testdata/golden/reference.ropa.*).
func ExampleBuildRecord() {
	rec := accountability.BuildRecord(privacy.DefaultCatalog())
	fmt.Println(len(rec.Activities), "activities as controller (Art. 30(1))")
	for _, a := range rec.ProcessorActivities {
		fmt.Printf("as processor for %s: %s, %d categories\n", a.Controller, a.Purpose, len(a.Categories))
	}
	fmt.Println("retention:", rec.Activities[0].Retention)
	// Output:
	// 14 activities as controller (Art. 30(1))
	// as processor for each customer (default instructions): service.delivery, 5 categories
	// as processor for each customer (default instructions): support, 4 categories
	// as processor for each customer (default instructions): security.fraud_prevention, 4 categories
	// as processor for each customer (default instructions): legal.compliance, 9 categories
	// retention: instance.account: P90D after account_closed, then delete; instance.contact: P90D after account_closed, then delete; instance.profile: P30D after account_closed, then delete
}
