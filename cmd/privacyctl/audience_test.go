package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/subject"
)

// privacyctl audience prints the subjects Decide allows, for a consent
// purpose: consents given, withdrawn, under an old version or a version
// newer only as a version ("1.10"), past the maximum age (24 months) or
// not, of a child without a guardian, objected to, restricted.
func TestAudience(t *testing.T) {
	ctx := t.Context()
	dbFile := newDB(t)
	db, err := sqlite.Open(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	given := func(id, version string, age time.Duration, ev consent.Event) consent.Record {
		return consent.Record{SubjectID: id, Purpose: "research.surveys", Event: ev, PolicyVersion: version,
			Method: "web_form", Act: consent.ActButton, CollectedAt: now.Add(-age)}
	}
	day := 24 * time.Hour
	recs := []consent.Record{
		given("a-given", "1.2", day, consent.Given),
		given("a-newer", "1.10", day, consent.Given),
		given("a-old", "1.0", day, consent.Given),
		given("a-older", "1.1.9", day, consent.Given),
		given("a-withdrawn", "1.2", day, consent.Withdrawn),
		given("a-due", "1.2", 800*day, consent.Given),
		given("a-not-due", "1.2", 700*day, consent.Given),
		given("a-objected", "1.2", day, consent.Given),
		given("a-restricted", "1.2", day, consent.Given),
		given("a-child", "1.2", day, consent.Given),
	}
	if _, err := db.ConsentStore().AppendBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := db.StateStore().Update(ctx, "a-objected", func(s *subject.State) error {
		s.Object(subject.Objection{Purpose: "research.surveys", At: now.Add(-time.Hour)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.StateStore().Update(ctx, "a-restricted", func(s *subject.State) error {
		s.Restricted = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	eng, err := policies.New(ctx, policies.WithConsents(db.ConsentStore()), policies.WithSubjects(db.StateStore()))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	want := map[bool][]string{} // by whether ages are given
	for _, r := range recs {
		for _, withAge := range []bool{false, true} {
			sub := privacy.Subject{ID: r.SubjectID, Kind: privacy.SubjectUser}
			if withAge {
				sub.Age, sub.Country = 34, "NL"
				if r.SubjectID == "a-child" {
					sub.Age = 12
				}
				b, _ := json.Marshal(sub)
				lines = append(lines, string(b))
			}
			d, err := eng.Decide(ctx, privacy.Request{Subject: sub, Purpose: "research.surveys", Data: []string{"instance.contact.email"}})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				want[withAge] = append(want[withAge], sub.ID)
			}
		}
	}
	db.Close()
	if !slices.Equal(want[true], []string{"a-given", "a-newer", "a-not-due"}) {
		t.Fatalf("the population does not exercise the audience: Decide allows %v", want[true])
	}

	type out struct {
		Purpose  string   `json:"purpose"`
		Subjects []string `json:"subjects"`
	}
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"the ledger's subjects", "", nil, want[false]},
		{"subjects on stdin", strings.Join(lines, "\n") + "\n", []string{"--subjects", "-"}, want[true]},
	} {
		args := append([]string{"audience", "research.surveys", "--db", dbFile, "--data", "instance.contact.email", "-o", "json"}, c.args...)
		code, stdout, stderr := ctl(t, c.stdin, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", c.name, code, stderr)
		}
		var got out
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, stdout)
		}
		slices.Sort(got.Subjects)
		slices.Sort(c.want)
		if diff := cmp.Diff(c.want, got.Subjects); got.Purpose != "research.surveys" || diff != "" {
			t.Errorf("%s: purpose %q, subjects (-Decide +audience):\n%s", c.name, got.Purpose, diff)
		}
	}

	code, stdout, _ := ctl(t, "", "audience", "research.surveys", "--db", dbFile, "--data", "instance.contact.email", "-o", "text")
	if code != exitOK || stdout == "" || strings.Count(stdout, "\n") != len(want[false]) {
		t.Errorf("-o text: exit %d, want one id a line:\n%s", code, stdout)
	}

	// Mistakes are usage errors naming the line or the field, never a
	// subject.
	for _, c := range []struct {
		stdin string
		args  []string
		msg   string
	}{
		{"", []string{"research.survey"}, `no purpose "research.survey"`},
		{"", []string{"research.surveys", "--data", "no.such.category"}, "data"},
		{"", []string{"research.surveys", "--recipient", `{"id":"mailer","kind":"processor","colour":"red"}`}, "--recipient"},
		{`{"id":"secret-subject-7","kind":"user","shoe":43}` + "\n", []string{"research.surveys", "--subjects", "-"}, "--subjects line 1"},
		{`{"id":"secret-subject-7","kind":"martian"}` + "\n", []string{"research.surveys", "--subjects", "-"}, "kind"},
		{"", nil, "one PURPOSE"},
		// marketing.announcements rests on legitimate interests: the
		// ledger lists none of its subjects, so an audience from it would
		// be empty without saying so.
		{"", []string{"marketing.announcements"}, "--subjects: purpose \"marketing.announcements\" may rest on legitimate_interests"},
		{`{"id":"secret-subject-7","kind":"user"}` + "\n" + strings.Repeat("x", privacy.MaxRequestBytes+1), []string{"research.surveys", "--subjects", "-"}, "--subjects line 2: a line is longer than the limit of 1048576 bytes (privacy.MaxRequestBytes)"},
	} {
		args := append([]string{"audience", "--db", dbFile}, c.args...)
		code, _, stderr := ctl(t, c.stdin, args...)
		if code != exitUsage || !strings.Contains(stderr, c.msg) || strings.Contains(stderr, "secret-subject") {
			t.Errorf("%v: exit %d, want %d and %q without the subject's id: %s", c.args, code, exitUsage, c.msg, stderr)
		}
	}
}
