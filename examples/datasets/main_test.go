package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"access: 13 records",
		"rectification: 2 rows corrected",
		"erased instance.contact.email: 2",
		"erased instance.financial.card: 1",
		"kept instance.financial.payment under GDPR Art. 17(3)(b)",
		"3 records in 3 categories from the services searched (meetings)",
		"forwarded access to controller globex",
		"guest access for globex: 5 records from meeting_guests/2",
		"other users untouched: 1 meeting(s) of u-2 remain",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q; got:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "erased instance.financial.payment") {
		t.Errorf("the fiscal records were erased:\n%s", out.String())
	}
}
