package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
)

func TestRetentionVerbs(t *testing.T) {
	db := newDB(t)
	s, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	closed := time.Now().UTC().AddDate(-1, 0, 0) // closed a year ago: past the 90-day grace
	err = s.Inventory().Put(t.Context(), []retention.Record{
		{Key: "a1", SubjectID: "u-1", Category: "instance.account.username", Times: map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: closed}},
		{Key: "a2", SubjectID: "u-2", Category: "instance.account.username", Times: map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: closed}},
		{Key: "a3", SubjectID: "u-3", Category: "instance.account.username"}, // account still open
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	summary := func(out string) retention.Summary {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var sum retention.Summary
		// The summary is the last, indented JSON document.
		i := len(lines) - 1
		for i > 0 && lines[i] != "{" {
			i--
		}
		if err := json.Unmarshal([]byte(strings.Join(lines[i:], "\n")), &sum); err != nil {
			t.Fatalf("no summary in %q: %v", out, err)
		}
		return sum
	}

	_, out, errs := ctl(t, "", "retention", "hold", "--db", db, "--subject", "u-2", "--by", "legal@example", "--reason", "dispute 42")
	var h retention.Hold
	if err := json.Unmarshal([]byte(out), &h); err != nil || h.ID == "" {
		t.Fatalf("retention hold printed %q (%s)", out, errs)
	}
	code, out, errs := ctl(t, "", "retention", "plan", "--db", db, "--items")
	if sum := summary(out); code != exitOK || sum.Due != 1 || sum.Held != 1 || sum.Retained != 1 {
		t.Fatalf("plan = %d %+v (%s), want 1 due, 1 held, 1 retained", code, sum, errs)
	}
	if !strings.Contains(out, `"key":"a1"`) || !strings.Contains(out, `"key":"a2"`) || strings.Contains(out, `"key":"a3"`) {
		t.Errorf("plan --items lists the wrong records:\n%s", out)
	}
	code, out, errs = ctl(t, "", "retention", "sweep", "--db", db)
	if sum := summary(out); code != exitOK || sum.Delete+sum.Anonymise != 1 || sum.Held != 1 {
		t.Fatalf("sweep = %d %+v (%s), want one erased and one held", code, sum, errs)
	}
	if code, _, errs := ctl(t, "", "retention", "release", "--db", db, "--id", h.ID, "--by", "legal@example"); code != exitOK {
		t.Fatalf("release = %d (%s)", code, errs)
	}
	_, out, _ = ctl(t, "", "retention", "holds", "--db", db)
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("holds after release = %s, want []", out)
	}
	_, out, _ = ctl(t, "", "retention", "plan", "--db", db)
	if sum := summary(out); sum.Due != 1 || sum.Held != 0 {
		t.Errorf("after release the held record is due again: %+v", sum)
	}
	if code, _, _ := ctl(t, "", "retention", "hold", "--db", db, "--by", "x"); code != exitUsage {
		t.Errorf("hold without --reason: exit %d, want 2", code)
	}
}
