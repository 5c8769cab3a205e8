package main

import (
	"strings"
	"testing"
)

// TestSubjectAssess: after an objection, fraud prevention is denied for
// the subject until `subject assess` records compelling grounds for them
// (Art. 21(1)); then it is allowed with objection_overridden, for that
// subject only; --withdraw brings the denial back; mistakes exit 2 naming
// the flag or field.
func TestSubjectAssess(t *testing.T) {
	db := newDB(t)
	run := func(want int, stdin string, args ...string) string {
		t.Helper()
		code, out, errs := ctl(t, stdin, append(args, "--db", db)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d; stderr %s", args, code, want, errs)
		}
		return out + errs
	}
	decide := func(id string) string {
		t.Helper()
		return run(exitOK, `{"subject":{"id":"`+id+`","kind":"user","age":30,"country":"NL"},"purpose":"security.fraud_prevention","data":["instance.network.ip_address"]}`, "decide")
	}
	const fraud = "security.fraud_prevention"
	for _, id := range []string{"u-1", "u-2"} {
		run(exitOK, "", "subject", "object", "--subject", id, "--purpose", fraud)
	}
	if out := decide("u-1"); !strings.Contains(out, `"objection.active"`) {
		t.Fatalf("after an objection, before an assessment: %s", out)
	}
	out := run(exitOK, "", "subject", "assess", "--subject", "u-1", "--purpose", fraud, "--by", "dpo@example.com", "--reason", "open fraud case")
	if !strings.Contains(out, `"by": "dpo@example.com"`) || !strings.Contains(out, `"reason": "open fraud case"`) {
		t.Errorf("assess prints the subject's state with the assessment, got %s", out)
	}
	if out := decide("u-1"); !strings.Contains(out, `"allowed": true`) || !strings.Contains(out, `"objection_overridden"`) {
		t.Errorf("assessed subject: want allowed with objection_overridden, got %s", out)
	}
	if out := decide("u-2"); !strings.Contains(out, `"objection.active"`) {
		t.Errorf("another subject who objected: want objection.active, got %s", out)
	}
	run(exitOK, "", "subject", "assess", "--subject", "u-1", "--purpose", fraud, "--withdraw")
	if out := decide("u-1"); !strings.Contains(out, `"objection.active"`) {
		t.Errorf("after --withdraw: want objection.active, got %s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--subject", "u-1", "--purpose", fraud, "--reason", "x"}, "--by"},
		{[]string{"--subject", "u-1", "--purpose", fraud, "--by", "dpo"}, "--reason"},
		{[]string{"--subject", "u-1", "--purpose", fraud, "--by", "dpo", "--reason", "x", "--at", "2099-01-01T00:00:00Z"}, "future"},
		{[]string{"--subject", "u-1", "--purpose", "security.fraud_preventon", "--by", "dpo", "--reason", "x"}, "did you mean"},
		{[]string{"--subject", "u-1", "--purpose", "marketing.announcements", "--by", "dpo", "--reason", "x"}, "absolute"},
		{[]string{"--subject", "u-1", "--purpose", fraud, "--withdraw", "--by", "dpo"}, "--withdraw"},
	} {
		if out := run(exitUsage, "", append([]string{"subject", "assess"}, tc.args...)...); !strings.Contains(out, tc.want) {
			t.Errorf("%v: stderr %q, want it to say %q", tc.args, out, tc.want)
		}
	}
}
