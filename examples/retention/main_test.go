package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, "", 3000); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"due 790 (delete 675, anonymise 115), held 258, retained 1952, unruled 0",
		"held by legal hold hold-dispute-114 by legal@24sessions.com: invoice dispute 2026-114: 18",
		"held by statutory hold (AWR art. 52(4); BW 2:10(3)): 250",
		"swept: deleted 675, anonymised 115, held 258, retained 1952 in 2 batches",
		"audit trail: 2 batch records",
		"due 8 (delete 8, anonymise 0), held 250",
		"swept: deleted 8, anonymised 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q; got:\n%s", want, out.String())
		}
	}
}
