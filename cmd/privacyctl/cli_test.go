package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy/internal/pgtest"
)

// TestDatabaseIsMadeOnlyByInit: a --db that names no file is an error
// naming the path and init, for reading and writing verbs alike; init and
// --create make one; the mistakes about the path name it and the cause.
func TestDatabaseIsMadeOnlyByInit(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	for _, args := range [][]string{
		{"consent", "show", "--subject", "u"},
		{"consent", "grant", "--subject", "u", "--purpose", "research.surveys"},
		{"ledger", "verify"},
	} {
		code, _, errs := ctl(t, "", append(args, "--db", missing)...)
		if code != exitNotFound || !strings.Contains(errs, missing) || !strings.Contains(errs, "privacyctl init") {
			t.Errorf("%v on a missing database: exit %d, stderr %q; want 3 naming the path and init", args, code, errs)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a verb other than init created the database")
	}
	if code, _, errs := ctl(t, "", "consent", "grant", "--db", missing, "--create", "--subject", "u", "--purpose", "research.surveys", "--method", "checkbox"); code != exitOK {
		t.Fatalf("grant --create: exit %d %s", code, errs)
	}

	cases := []struct {
		name, db, want string
	}{
		{"directory", dir, "is a directory"},
		{"missing parent", filepath.Join(dir, "no", "such", "privacy.db"), filepath.Join(dir, "no", "such")},
	}
	for _, tc := range cases {
		code, _, errs := ctl(t, "", "init", "--db", tc.db)
		if code != exitStore || !strings.Contains(errs, tc.db) || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: init exit %d, stderr %q; want 4 naming %s and %q", tc.name, code, errs, tc.db, tc.want)
		}
	}
}

// TestReadVerbsOpenReadOnly: verbs that only read work on a database file
// no one may write and leave it byte for byte as it was.
func TestReadVerbsOpenReadOnly(t *testing.T) {
	db := newDB(t)
	if code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox"); code != exitOK {
		t.Fatalf("grant: %d %s", code, errs)
	}
	// Fold the write-ahead log into the file, so that the file is all
	// there is, then take write permission away.
	if code, _, errs := ctl(t, "", "migrate", "--db", db); code != exitOK {
		t.Fatalf("migrate: %d %s", code, errs)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(db + suffix)
	}
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"consent", "show", "--subject", "u-1"},
		{"subject", "show", "--subject", "u-1"},
		{"ledger", "verify"},
		{"dsar", "list"},
		{"retention", "holds"},
	} {
		if code, _, errs := ctl(t, "", append(args, "--db", db)...); code != exitOK {
			t.Errorf("%v on a read-only file: exit %d %s", args, code, errs)
		}
	}
	if code, out, errs := ctl(t, surveyRequest, "decide", "--db", db); code != exitOK || !decision(t, out).Allowed {
		t.Errorf("decide on a read-only file: exit %d %s %s", code, out, errs)
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("a read verb changed the database file")
	}
	if os.Geteuid() != 0 { // root writes whatever the mode
		code, _, errs := ctl(t, "", "subject", "restrict", "--db", db, "--subject", "u-1")
		if code != exitStore || !strings.Contains(errs, db) || !strings.Contains(errs, "permission denied") {
			t.Errorf("write verb on a read-only file: exit %d, stderr %q; want 4 naming the path and the cause", code, errs)
		}
	}
}

// TestFlagsBeforeOrAfterArguments: positional arguments and flags mix.
func TestFlagsBeforeOrAfterArguments(t *testing.T) {
	_, printed, _ := ctl(t, "", "catalog", "print")
	file := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(file, []byte(printed), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"catalog", "check", file, "-o", "json"},
		{"catalog", "check", "-o", "json", file},
		{"-o", "json", "catalog", "check", file},
	} {
		if code, out, errs := ctl(t, "", args...); code != exitOK || !strings.Contains(out, "mine.yaml") {
			t.Errorf("%v: exit %d %q %q", args, code, out, errs)
		}
	}
}

// TestSuggestions: a mistyped command, verb, flag or purpose gets the
// nearest right one, on one line, with exit 2.
func TestSuggestions(t *testing.T) {
	db := newDB(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"consnt", "show"}, "did you mean consent?"},
		{[]string{"consent", "grnt"}, "did you mean grant?"},
		{[]string{"consent", "show", "--db", db, "--subjct", "u"}, "did you mean --subject?"},
		{[]string{"consent", "grant", "--db", db, "--subject", "u", "--purpose", "research.survey"}, `did you mean "research.surveys"?`},
		{[]string{"consent"}, "missing verb"},
	}
	for _, tc := range tests {
		code, _, errs := ctl(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errs := ctl(t, "", "completion", shell)
		if code != exitOK || !strings.Contains(out, "privacyctl") {
			t.Errorf("completion %s: exit %d, %d bytes, %q", shell, code, len(out), errs)
		}
	}
}

// TestTextOutput: -o text prints tables and sentences instead of JSON;
// decide prints the decision JSON unless -o text is given.
func TestTextOutput(t *testing.T) {
	db := newDB(t)
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox")
	if _, out, _ := ctl(t, "", "ledger", "verify", "--db", db, "-o", "text"); !strings.HasPrefix(out, "The ledger is intact: 1 records checked") {
		t.Errorf("ledger verify -o text = %q", out)
	}
	if _, out, _ := ctl(t, surveyRequest, "decide", "--db", db, "-o", "text"); !strings.HasPrefix(out, "ALLOWED on consent") {
		t.Errorf("decide -o text = %q", out)
	}
	t.Setenv("PRIVACY_OUTPUT", "text")
	if _, out, _ := ctl(t, "", "retention", "holds", "--db", db); out != "(none)\n" {
		t.Errorf("retention holds with PRIVACY_OUTPUT=text = %q", out)
	}
	if _, out, _ := ctl(t, "", "subject", "show", "--db", db, "--subject", "u-1"); !strings.Contains(out, "subject_id: u-1") {
		t.Errorf("subject show as text = %q", out)
	}
	if code, _, errs := ctl(t, "", "version", "-o", "xml"); code != exitUsage || !strings.Contains(errs, "--output") {
		t.Errorf("-o xml: exit %d %q", code, errs)
	}
}

// TestEnvironment: PRIVACY_DB and PRIVACY_CATALOG stand for the flags; a
// flag on the command line wins.
func TestEnvironment(t *testing.T) {
	db := newDB(t)
	t.Setenv("PRIVACY_DB", db)
	if code, _, errs := ctl(t, "", "consent", "grant", "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox"); code != exitOK {
		t.Fatalf("grant with PRIVACY_DB: %d %s", code, errs)
	}
	if _, out, _ := ctl(t, surveyRequest, "decide"); !decision(t, out).Allowed {
		t.Errorf("decide with PRIVACY_DB did not see the grant: %s", out)
	}
	t.Setenv("PRIVACY_CATALOG", filepath.Join(t.TempDir(), "none.yaml"))
	if code, _, errs := ctl(t, surveyRequest, "decide"); code != exitUsage || !strings.Contains(errs, "none.yaml") {
		t.Errorf("PRIVACY_CATALOG naming no file: exit %d %q", code, errs)
	}
}

// TestLiftObjection: an objection lifted is gone from the next decision; a
// lift of an objection never made is not found.
func TestLiftObjection(t *testing.T) {
	db := newDB(t)
	announce := `{"subject":{"id":"u-2","kind":"user"},"purpose":"marketing.announcements","data":["instance.contact.email"]}`
	ctl(t, "", "subject", "object", "--db", db, "--subject", "u-2", "--all-marketing")
	if _, out, _ := ctl(t, announce, "decide", "--db", db); decision(t, out).Allowed {
		t.Fatal("objection did not deny")
	}
	if code, _, errs := ctl(t, "", "subject", "unobject", "--db", db, "--subject", "u-2", "--all-marketing"); code != exitOK {
		t.Fatalf("unobject: %d %s", code, errs)
	}
	if _, out, _ := ctl(t, announce, "decide", "--db", db); !decision(t, out).Allowed {
		t.Errorf("after lifting the objection: %s", out)
	}
	if code, _, errs := ctl(t, "", "subject", "unobject", "--db", db, "--subject", "u-2", "--purpose", "research.surveys"); code != exitNotFound || !strings.Contains(errs, "research.surveys") || strings.Contains(errs, "u-2") {
		t.Errorf("lifting an objection never made: exit %d %q, want 3 and no subject id", code, errs)
	}
}

// TestWithdrawNamesTheSystem: a withdrawal records the system it came
// through, as the consent was recorded with the one that collected it.
func TestWithdrawNamesTheSystem(t *testing.T) {
	db := newDB(t)
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox")
	code, out, errs := ctl(t, "", "consent", "withdraw", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--via", "support-desk", "--method", "email")
	if code != exitOK || !strings.Contains(out, `"collected_by": "support-desk"`) || !strings.Contains(out, `"method": "email"`) {
		t.Errorf("withdraw --via: exit %d %s %s", code, out, errs)
	}
}

// TestPostgresReadOnly: with --dsn, init makes the tables, a read verb on
// a schema never initialised names the missing migrations instead of
// creating them, and read verbs run read-only.
func TestPostgresReadOnly(t *testing.T) {
	dsn := pgtest.DSN(t)
	if code, _, errs := ctl(t, "", "consent", "show", "--dsn", dsn, "--subject", "u-1"); code != exitStore || !strings.Contains(errs, "lacks migrations") {
		t.Errorf("read verb on an empty schema: exit %d %q; want 4 naming the missing migrations", code, errs)
	}
	if code, _, errs := ctl(t, "", "init", "--dsn", dsn); code != exitOK {
		t.Fatalf("init --dsn: exit %d %s", code, errs)
	}
	if code, _, errs := ctl(t, "", "consent", "grant", "--dsn", dsn, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox"); code != exitOK {
		t.Fatalf("grant: exit %d %s", code, errs)
	}
	if code, out, errs := ctl(t, surveyRequest, "decide", "--dsn", dsn); code != exitOK || !decision(t, out).Allowed {
		t.Errorf("decide --dsn: exit %d %s %s", code, out, errs)
	}
	if code, out, errs := ctl(t, "", "ledger", "verify", "--dsn", dsn); code != exitOK || !strings.Contains(out, `"intact": true`) {
		t.Errorf("ledger verify --dsn: exit %d %s %s", code, out, errs)
	}
}

// TestCompletesCatalogNames: shell completion offers the catalog's
// purposes, categories and triggers, and the output formats.
func TestCompletesCatalogNames(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "consent", "grant", "--purpose", "research"}, "research.surveys"},
		{[]string{"__complete", "retention", "hold", "--category", "instance.fin"}, "instance.financial.card"},
		{[]string{"__complete", "subject", "lifecycle", "--trigger", ""}, "account_closed"},
		{[]string{"__complete", "version", "-o", ""}, "text"},
	}
	for _, tc := range tests {
		code, out, errs := ctl(t, "", tc.args...)
		if code != exitOK || !strings.Contains(out, tc.want+"\n") {
			t.Errorf("%v: exit %d, completions %q (%s); want %s among them", tc.args, code, out, errs, tc.want)
		}
	}
}
