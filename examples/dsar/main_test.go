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
		"source meetings done after 1 attempt(s): 3 records",
		"source meetings done after 1 attempt(s): deleted 1 instance.meeting.recording, deleted 2 instance.meeting.data",
		"subject state: deactivated=true",
		"consent ledger: 0 records still found under u-1's id; intact: 1 records",
		"We hold no personal data about you in the services searched (contacts, meetings).",
		"other users untouched: 1 meeting(s) of u-2 remain",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q; got:\n%s", want, out.String())
		}
	}
}
