package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
)

// ctl runs privacyctl in process and returns its exit status and streams.
func ctl(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// newDB makes a database with privacyctl init and returns its path.
func newDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "privacy.db")
	if code, _, errs := ctl(t, "", "init", "--db", db); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	return db
}

func decision(t *testing.T, stdout string) privacy.Decision {
	t.Helper()
	var d privacy.Decision
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("decide printed no decision JSON: %v\n%s", err, stdout)
	}
	return d
}

const surveyRequest = `{"subject":{"id":"u-1","kind":"user","age":30,"country":"NL"},
 "purpose":"research.surveys","data":["instance.contact.email"]}`

func TestDecideFollowsConsentVerbs(t *testing.T) {
	db := newDB(t)

	code, out, errs := ctl(t, surveyRequest, "decide", "--db", db)
	if code != exitOK {
		t.Fatalf("decide exit = %d, want 0; stderr: %s", code, errs)
	}
	if d := decision(t, out); d.Allowed || !d.Has(privacy.ReasonConsentMissing) {
		t.Fatalf("before consent: got %v, want denial with consent.missing", d.Codes())
	}

	if code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox"); code != exitOK {
		t.Fatalf("consent grant exit = %d; stderr: %s", code, errs)
	}
	_, out, _ = ctl(t, surveyRequest, "decide", "--db", db)
	if d := decision(t, out); !d.Allowed || d.Basis != "consent" {
		t.Fatalf("after grant: got allowed=%v basis=%q reasons=%v, want allowed on consent", d.Allowed, d.Basis, d.Codes())
	}

	if code, _, errs := ctl(t, "", "consent", "withdraw", "--db", db, "--subject", "u-1", "--purpose", "research.surveys"); code != exitOK {
		t.Fatalf("consent withdraw exit = %d; stderr: %s", code, errs)
	}
	_, out, _ = ctl(t, surveyRequest, "decide", "--db", db)
	if diff := cmp.Diff([]string{privacy.ReasonConsentWithdrawn}, decision(t, out).Codes()); diff != "" {
		t.Fatalf("after withdrawal: reasons (-want +got):\n%s", diff)
	}

	_, out, _ = ctl(t, "", "consent", "show", "--db", db, "--subject", "u-1")
	var shown struct {
		Current map[string]struct{ Event string } `json:"current"`
		History []struct{ Event string }          `json:"history"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("consent show: %v\n%s", err, out)
	}
	if len(shown.History) != 2 || shown.Current["research.surveys"].Event != "withdrawn" {
		t.Fatalf("consent show = %s, want 2 records and current withdrawn", out)
	}
}

func TestSubjectVerbsChangeDecisions(t *testing.T) {
	db := newDB(t)
	announce := `{"subject":{"id":"u-2","kind":"user"},"purpose":"marketing.announcements","data":["instance.contact.email"]}`
	support := `{"subject":{"id":"u-2","kind":"user"},"purpose":"support","data":["instance.contact.email"]}`

	_, out, _ := ctl(t, announce, "decide", "--db", db)
	if d := decision(t, out); !d.Allowed {
		t.Fatalf("announcements before objection: %v, want allowed", d.Codes())
	}
	if code, _, errs := ctl(t, "", "subject", "object", "--db", db, "--subject", "u-2", "--all-marketing"); code != exitOK {
		t.Fatalf("subject object exit = %d; stderr %s", code, errs)
	}
	_, out, _ = ctl(t, announce, "decide", "--db", db)
	if diff := cmp.Diff([]string{privacy.ReasonObjectionActive}, decision(t, out).Codes()); diff != "" {
		t.Fatalf("after objection (-want +got):\n%s", diff)
	}
	_, out, _ = ctl(t, support, "decide", "--db", db)
	if d := decision(t, out); !d.Allowed {
		t.Fatalf("support after a marketing objection: %v, want allowed", d.Codes())
	}
	ctl(t, "", "subject", "restrict", "--db", db, "--subject", "u-2")
	_, out, _ = ctl(t, support, "decide", "--db", db)
	if diff := cmp.Diff([]string{privacy.ReasonRestrictionActive}, decision(t, out).Codes()); diff != "" {
		t.Fatalf("after restriction (-want +got):\n%s", diff)
	}
	ctl(t, "", "subject", "unrestrict", "--db", db, "--subject", "u-2")
	ctl(t, "", "subject", "deactivate", "--db", db, "--subject", "u-2")
	_, out, _ = ctl(t, support, "decide", "--db", db)
	if diff := cmp.Diff([]string{privacy.ReasonSubjectDeactivated}, decision(t, out).Codes()); diff != "" {
		t.Fatalf("after deactivation (-want +got):\n%s", diff)
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	db := newDB(t)
	badCatalog := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badCatalog, []byte("policy_version: \"1\"\nsubject_kinds: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badPolicy := t.TempDir()
	if err := os.WriteFile(filepath.Join(badPolicy, "x.rego"), []byte("package privacy.ext.x\n\ndeny contains {"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string // in the one stderr line
	}{
		{"policy module that does not parse", surveyRequest, []string{"decide", "--db", db, "--policy", badPolicy}, "x.rego"},
		{"malformed JSON", `{"subject":`, []string{"decide", "--db", db}, "truncated JSON"},
		{"wrong type", `{"subject":{"id":"u","kind":"user","age":"old"}}`, []string{"decide", "--db", db}, "subject.age"},
		{"unknown field", `{"subjekt":{}}`, []string{"decide", "--db", db}, "subjekt"},
		{"missing purpose", `{"subject":{"id":"u","kind":"user"},"data":["instance.contact.email"]}`, []string{"decide", "--db", db}, "purpose"},
		{"unknown subject kind", `{"subject":{"id":"u","kind":"robot"},"purpose":"support","data":["instance.contact.email"]}`, []string{"decide", "--db", db}, "robot"},
		{"bad recipient kind", `{"subject":{"id":"u","kind":"user"},"purpose":"support","data":["instance.contact.email"],"recipient":{"kind":"friend"}}`, []string{"decide", "--db", db}, "recipient.kind"},
		{"empty stdin", ``, []string{"decide", "--db", db}, "empty input"},
		{"grant without subject", "", []string{"consent", "grant", "--db", db, "--purpose", "research.surveys"}, "--subject"},
		{"grant unknown purpose", "", []string{"consent", "grant", "--db", db, "--subject", "u", "--purpose", "nope"}, "nope"},
		{"grant under a version not yet published", "", []string{"consent", "grant", "--db", db, "--subject", "u", "--purpose", "research.surveys", "--version", "1.3"}, "newer"},
		{"grant bad expiry", "", []string{"consent", "grant", "--db", db, "--subject", "u", "--purpose", "research.surveys", "--expires", "tomorrow"}, "--expires"},
		{"object without scope", "", []string{"subject", "object", "--db", db, "--subject", "u"}, "--purpose"},
		{"unknown command", "", []string{"frobnicate"}, "frobnicate"},
		{"unknown verb", "", []string{"consent", "revoke"}, "revoke"},
		{"invalid catalog", "", []string{"catalog", "check", badCatalog}, "bad.yaml"},
		{"missing catalog", "", []string{"catalog", "check", filepath.Join(t.TempDir(), "none.yaml")}, "none.yaml"},
		{"dsn not postgres", surveyRequest, []string{"decide", "--dsn", "mysql://x"}, "--dsn"},
		{"unknown nested field", `{"subject":{"id":"u","kind":"user","nick":"x"}}`, []string{"decide", "--db", db}, "subject.nick"},
		{"unknown flag", "", []string{"consent", "grant", "--db", db, "--subject", "u", "--purpose", "research.surveys", "--bogus"}, "-bogus"},
		{"flag without value", surveyRequest, []string{"decide", "--db"}, "-db"},
		{"no command", "", nil, "missing verb"},
		{"grant expiring in the past", "", []string{"consent", "grant", "--db", db, "--subject", "u", "--purpose", "research.surveys", "--expires", "2020-01-01T00:00:00Z"}, "expires_at"},
		{"withdraw unknown purpose", "", []string{"consent", "withdraw", "--db", db, "--subject", "u", "--purpose", "nope"}, "nope"},
		{"object to unknown purpose", "", []string{"subject", "object", "--db", db, "--subject", "u", "--purpose", "nope"}, "nope"},
		{"hold unknown category", "", []string{"retention", "hold", "--db", db, "--category", "nope", "--by", "legal", "--reason", "claim"}, "nope"},
		{"list unknown status", "", []string{"dsar", "list", "--db", db, "--status", "bogus"}, "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := ctl(t, tc.stdin, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit = %d, want 2; stdout %q stderr %q", code, out, errs)
			}
			if lines := strings.Count(strings.TrimRight(errs, "\n"), "\n") + 1; lines != 1 || !strings.Contains(errs, tc.want) {
				t.Fatalf("stderr = %q, want one line containing %q", errs, tc.want)
			}
			if strings.Contains(out, `"allowed": true`) {
				t.Fatalf("bad input printed an allow: %s", out)
			}
		})
	}
}

// TestHelpOnStdout checks that help goes to stdout with exit 0, so that
// it can be piped.
// TestDecideInvalidRequest checks that a request that is valid JSON but
// not a valid request prints the request.invalid denial as well as the
// one line on stderr, with status 2.
func TestDecideInvalidRequest(t *testing.T) {
	db := newDB(t)
	code, out, errs := ctl(t, `{"subject":{"id":"u","kind":"user"},"data":["instance.contact.email"]}`, "decide", "--db", db)
	if code != exitUsage || !strings.Contains(errs, "purpose") {
		t.Fatalf("exit %d, stderr %q; want 2 and the field", code, errs)
	}
	if d := decision(t, out); d.Allowed || len(d.Reasons) != 1 || d.Reasons[0].Code != privacy.ReasonRequestInvalid {
		t.Errorf("decision %+v, want a denial with request.invalid only", d)
	}
}

func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"decide", "-h"}, {"consent", "grant", "-h"}, {"subject", "unrestrict", "-h"}} {
		code, out, errs := ctl(t, "", args...)
		if code != exitOK || out == "" || errs != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want 0, the help on stdout, nothing on stderr", args, code, len(out), errs)
		}
		if len(args) > 1 && !strings.Contains(out, "privacyctl "+strings.Join(args[:len(args)-1], " ")+" [flags]") {
			t.Errorf("%v: help names another verb:\n%s", args, out)
		}
	}
	if _, out, _ := ctl(t, "", "help"); !strings.Contains(out, "consent verbs: expire") || !strings.Contains(out, "ledger verbs: checkpoint, verify") {
		t.Errorf("help lists no verbs:\n%s", out)
	}
}

func TestCatalogCheckAndPrint(t *testing.T) {
	code, out, errs := ctl(t, "", "catalog", "check")
	if code != exitOK || !strings.HasPrefix(out, "ok: reference catalog") {
		t.Fatalf("catalog check = %d %q %q", code, out, errs)
	}
	code, printed, _ := ctl(t, "", "catalog", "print")
	if code != exitOK {
		t.Fatalf("catalog print exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(file, []byte(printed), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := ctl(t, "", "catalog", "check", file); code != exitOK || !strings.Contains(out, "14 purposes") {
		t.Fatalf("catalog check of the printed catalog = %d %q %q", code, out, errs)
	}
}

func TestDecideWithCustomCatalogAndPolicy(t *testing.T) {
	dir := t.TempDir()
	rego := `package privacy.ext.nl_only

import rego.v1

deny contains {"code": "ext.recipient_outside_nl", "message": "recipients must be in NL"} if {
	input.request.recipient.country != "NL"
}
`
	if err := os.WriteFile(filepath.Join(dir, "nl.rego"), []byte(rego), 0o600); err != nil {
		t.Fatal(err)
	}
	req := `{"subject":{"id":"u-3","kind":"user"},"purpose":"support","data":["instance.contact.email"],
	 "recipient":{"id":"desk","kind":"processor","country":"DE","dpa":true}}`
	_, out, errs := ctl(t, req, "decide", "--db", newDB(t), "--policy", dir)
	d := decision(t, out)
	if d.Allowed || !d.Has("ext.recipient_outside_nl") {
		t.Fatalf("with extension module: %v (stderr %s), want denial by ext.recipient_outside_nl", d.Codes(), errs)
	}
}

// TestSubjectLifecycle: a trigger recorded from the command line starts
// the catalog's retention clock in decisions; clearing it stops it.
func TestSubjectLifecycle(t *testing.T) {
	db := newDB(t)
	closed := time.Now().AddDate(0, 0, -100).UTC().Format(time.RFC3339)
	if code, _, errs := ctl(t, "", "subject", "lifecycle", "--db", db, "--subject", "u-1", "--trigger", "account_closed", "--at", closed); code != exitOK {
		t.Fatalf("subject lifecycle: exit %d %s", code, errs)
	}
	support := `{"subject":{"id":"u-1","kind":"user","country":"NL"},"purpose":"support","data":["instance.contact.email"]}`
	_, out, _ := ctl(t, support, "decide", "--db", db)
	if d := decision(t, out); d.Allowed || !d.Has(privacy.ReasonRetentionExpired) {
		t.Errorf("100 days after the account closed: %v, want retention.expired", d.Codes())
	}
	ctl(t, "", "subject", "lifecycle", "--db", db, "--subject", "u-1", "--trigger", "account_closed", "--clear")
	_, out, _ = ctl(t, support, "decide", "--db", db)
	if d := decision(t, out); !d.Allowed {
		t.Errorf("after clearing the trigger: %v, want allowed", d.Codes())
	}
	if code, _, errs := ctl(t, "", "subject", "lifecycle", "--db", db, "--subject", "u-1", "--trigger", "moon_landing"); code != exitUsage || !strings.Contains(errs, "moon_landing") {
		t.Errorf("unknown trigger: exit %d %q", code, errs)
	}
}

func TestVersionPrintsTheModuleVersion(t *testing.T) {
	code, out, errs := ctl(t, "", "version")
	if code != exitOK {
		t.Fatalf("version exit = %d; stderr: %s", code, errs)
	}
	if want := "privacyctl " + privacy.Version + "\n"; out != want {
		t.Fatalf("version printed %q, want %q", out, want)
	}
}

// TestStatusLinesAsJSON: version and catalog check print their line of
// text by default, and JSON when -o json is asked for (a script that asks
// for JSON must not have to parse a sentence).
func TestStatusLinesAsJSON(t *testing.T) {
	for _, c := range []struct {
		args []string
		want map[string]any
	}{
		{[]string{"version", "-o", "json"}, map[string]any{"version": privacy.Version}},
		{[]string{"catalog", "check", "-o", "json"}, map[string]any{"ok": true, "checked": "reference catalog (embedded)", "policy_version": "1.2",
			"subject_kinds": float64(2), "categories": float64(25), "purposes": float64(14)}},
	} {
		code, out, errs := ctl(t, "", c.args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.args, code, errs)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v printed %q, not JSON: %v", c.args, out, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v = %v, want %v", c.args, got, c.want)
		}
	}
}
