package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy/internal/pgtest"
)

// The tests of this file hold what an audit of the command line from the
// outside found: a mistake an operator makes (a mistyped subject, purpose,
// category, trigger or path) is an error that says so, with the name meant
// where one is near, never something taken for done; and no error names a
// subject.

// secretSubject is a subject id no error may print.
const secretSubject = "jane.doe@example.com"

// TestWithdrawNeedsAConsentOnRecord: withdrawing a consent the subject
// never gave is not found (exit 3), so that a mistyped --subject is not
// taken for done while the consent of the subject meant stays live; no
// record is appended; and the errors name the purpose, never the subject.
func TestWithdrawNeedsAConsentOnRecord(t *testing.T) {
	db := newDB(t)
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox")

	code, _, errs := ctl(t, "", "consent", "withdraw", "--db", db, "--subject", secretSubject, "--purpose", "research.surveys")
	if code != exitNotFound || !strings.Contains(errs, "research.surveys") || strings.Contains(errs, secretSubject) {
		t.Errorf("withdraw never given: exit %d %q; want 3 naming the purpose and not the subject", code, errs)
	}
	if _, out, _ := ctl(t, "", "consent", "show", "--db", db, "--subject", secretSubject); !strings.Contains(out, `"history": []`) {
		t.Errorf("a withdrawal of nothing was recorded: %s", out)
	}
	code, _, errs = ctl(t, "", "consent", "withdraw", "--db", db, "--subject", secretSubject, "--purpose", "research.survey")
	if code != exitUsage || !strings.Contains(errs, `did you mean "research.surveys"?`) || strings.Contains(errs, secretSubject) {
		t.Errorf("withdraw undeclared purpose: exit %d %q; want 2 with a suggestion and no subject", code, errs)
	}
	if code, _, errs := ctl(t, "", "consent", "withdraw", "--db", db, "--subject", "u-1", "--purpose", "research.surveys"); code != exitOK {
		t.Errorf("withdraw a consent on record: exit %d %s", code, errs)
	}
	// A transfer consent (Art. 49(1)(a)) is kept under a purpose of its
	// own: never given, it is not found, not an undeclared purpose.
	code, _, errs = ctl(t, "", "consent", "withdraw", "--db", db, "--subject", secretSubject, "--purpose", "transfer.support.us")
	if code != exitNotFound || strings.Contains(errs, "declares no purpose") {
		t.Errorf("withdraw a transfer consent never given: exit %d %q; want 3", code, errs)
	}
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "transfer.support.us", "--method", "checkbox")
	if code, _, errs := ctl(t, "", "consent", "withdraw", "--db", db, "--subject", "u-1", "--purpose", "transfer.support.us"); code != exitOK {
		t.Errorf("withdraw a transfer consent on record: exit %d %s", code, errs)
	}
}

// TestLiftingWhatWasNeverSet: unrestrict and reactivate of a subject that
// is not restricted or deactivated are not found, as unobject of an
// objection never made is, and leave no state behind.
func TestLiftingWhatWasNeverSet(t *testing.T) {
	db := newDB(t)
	for _, verb := range []string{"unrestrict", "reactivate"} {
		code, _, errs := ctl(t, "", "subject", verb, "--db", db, "--subject", secretSubject)
		if code != exitNotFound || strings.Contains(errs, secretSubject) {
			t.Errorf("%s never set: exit %d %q; want 3 and no subject id", verb, code, errs)
		}
	}
	if _, out, _ := ctl(t, "", "subject", "show", "--db", db, "--subject", secretSubject); strings.Contains(out, "updated_at") {
		t.Errorf("lifting nothing wrote a state: %s", out)
	}
	for _, pair := range [][2]string{{"restrict", "unrestrict"}, {"deactivate", "reactivate"}} {
		ctl(t, "", "subject", pair[0], "--db", db, "--subject", "u-1")
		if code, out, errs := ctl(t, "", "subject", pair[1], "--db", db, "--subject", "u-1"); code != exitOK || strings.Contains(out, `": true`) {
			t.Errorf("%s after %s: exit %d %s %s", pair[1], pair[0], code, out, errs)
		}
	}
}

// TestDatabaseInAMissingDirectory: a --db whose directory is not there is
// a mistake about the path for every verb (exit 4, naming the directory),
// not a database init could make.
func TestDatabaseInAMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no", "such")
	db := filepath.Join(dir, "privacy.db")
	for _, args := range [][]string{
		{"consent", "show", "--subject", "u"},
		{"subject", "restrict", "--subject", "u"},
		{"ledger", "verify"},
	} {
		code, _, errs := ctl(t, "", append(args, "--db", db)...)
		if code != exitStore || !strings.Contains(errs, dir) || strings.Contains(errs, "privacyctl init") {
			t.Errorf("%v: exit %d %q; want 4 naming %s, not init", args, code, errs, dir)
		}
	}
}

// TestMistypedNamesAreSuggested: a mistyped path, trigger, category,
// request kind, subject kind or purpose gets the one meant.
func TestMistypedNamesAreSuggested(t *testing.T) {
	db := newDB(t)
	dir := filepath.Dir(db)
	_, printed, _ := ctl(t, "", "catalog", "print")
	catalog := filepath.Join(dir, "my-catalog.yaml")
	notice := filepath.Join(dir, "notice.txt")
	for _, f := range []string{catalog, notice} {
		if err := os.WriteFile(f, []byte(printed), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	typo := filepath.Join(dir, "my-catalg.yaml")
	policyDir, bundleDir := filepath.Join(dir, "policy"), filepath.Join(dir, "bundle")
	for _, d := range []string{policyDir, bundleDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		code int
		args []string
		want string
	}{
		{"db", exitNotFound, []string{"consent", "show", "--subject", "u", "--db", filepath.Join(dir, "privcy.db")}, `did you mean "` + db + `"?`},
		{"catalog check", exitUsage, []string{"catalog", "check", typo}, `did you mean "` + catalog + `"?`},
		{"--catalog", exitUsage, []string{"catalog", "notice", "--catalog", typo}, `did you mean "` + catalog + `"?`},
		{"diff-notice", exitUsage, []string{"catalog", "diff-notice", filepath.Join(dir, "notic.txt")}, `did you mean "` + notice + `"?`},
		{"ropa input", exitUsage, []string{"catalog", "ropa", "--decision-log", filepath.Join(dir, "notice.tx")}, `did you mean "` + notice + `"?`},
		{"--policy dir", exitUsage, []string{"audience", "research.surveys", "--db", db, "--policy", filepath.Join(dir, "polcy")}, `did you mean "` + policyDir + `"?`},
		{"--bundle dir", exitUsage, []string{"catalog", "check", "--bundle", filepath.Join(dir, "bundel")}, `did you mean "` + bundleDir + `"?`},
		{"trigger", exitUsage, []string{"subject", "lifecycle", "--db", db, "--subject", "u", "--trigger", "acount_closed"}, `did you mean "account_closed"?`},
		{"hold category", exitUsage, []string{"retention", "hold", "--db", db, "--by", "legal", "--reason", "claim", "--category", "instance.financial.crd"}, `did you mean "instance.financial.card"?`},
		{"audience data", exitUsage, []string{"audience", "research.surveys", "--db", db, "--data", "instance.contact.emial"}, `did you mean "instance.contact.email"?`},
		{"dsar kind", exitUsage, []string{"dsar", "open", "--db", db, "--subject", "u", "--kind", "acess"}, `did you mean "access"?`},
		{"dsar subject kind", exitUsage, []string{"dsar", "open", "--db", db, "--subject", "u", "--kind", "access", "--subject-kind", "gust"}, `did you mean "guest"?`},
		{"dsar purpose", exitUsage, []string{"dsar", "open", "--db", db, "--subject", "u", "--kind", "objection", "--purposes", "marketing.announcement"}, `did you mean "marketing.announcements"?`},
		{"dsar category", exitUsage, []string{"dsar", "open", "--db", db, "--subject", "u", "--kind", "erasure", "--categories", "instance.contact.emial"}, `did you mean "instance.contact.email"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := ctl(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// TestAudienceDataTakesAParentCategory: --data, like a request's data,
// may name a parent category for all its children (SPEC: "a request may
// name a parent").
func TestAudienceDataTakesAParentCategory(t *testing.T) {
	db := newDB(t)
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox")
	code, out, errs := ctl(t, "", "audience", "research.surveys", "--db", db, "--data", "instance.contact", "-o", "text")
	if code != exitOK || out != "u-1\n" {
		t.Errorf("audience --data instance.contact: exit %d %q %s; want u-1", code, out, errs)
	}
}

// TestHoldSubjectIsCheckedAsAnID: a hold's subject is bounded like every
// id, and the error names the field, not the value.
func TestHoldSubjectIsCheckedAsAnID(t *testing.T) {
	db := newDB(t)
	long := strings.Repeat("x", 5000)
	code, _, errs := ctl(t, "", "retention", "hold", "--db", db, "--subject", long, "--by", "legal", "--reason", "claim")
	if code != exitUsage || !strings.Contains(errs, "subject_id") || strings.Contains(errs, long) {
		t.Errorf("hold on a 5000-byte subject: exit %d %.200q; want 2 naming subject_id", code, errs)
	}
}

// TestAudienceInputIsStrict: audience's --recipient and --subjects lines
// are decoded as strictly as a request (a duplicate key, which the last
// one would silently win, and data after the value are errors naming the
// field), and a subject line the request refuses is named by its line.
func TestAudienceInputIsStrict(t *testing.T) {
	db := newDB(t)
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox")
	for _, c := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"duplicate recipient key", "", []string{"--recipient", `{"id":"m","kind":"processor","kind":"third_party","country":"NL","dpa":true}`}, "--recipient: want a JSON recipient: kind: duplicate key"},
		{"data after the recipient", "", []string{"--recipient", `{"id":"m","kind":"processor","country":"NL","dpa":true} {"kind":"third_party"}`}, "unexpected data after the JSON value"},
		{"duplicate subject key", `{"id":"u-1","kind":"user"}` + "\n" + `{"id":"` + secretSubject + `","kind":"user","kind":"guest"}` + "\n", []string{"--subjects", "-"}, "--subjects line 2: want a JSON subject: kind: duplicate key"},
		{"subject kind on line 2", `{"id":"u-1","kind":"user"}` + "\n" + `{"id":"` + secretSubject + `","kind":"usr"}` + "\n", []string{"--subjects", "-"}, `--subjects line 2: subject.kind: unknown subject kind "usr" (did you mean "user"?)`},
		{"country on line 2", `{"id":"u-1","kind":"user"}` + "\n" + `{"id":"` + secretSubject + `","kind":"user","country":"nl"}` + "\n", []string{"--subjects", "-"}, "--subjects line 2: subject.country"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"audience", "research.surveys", "--db", db}, c.args...)
			code, out, errs := ctl(t, c.stdin, args...)
			if code != exitUsage || !strings.Contains(errs, c.want) || strings.Contains(errs, secretSubject) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q without the subject", code, out, errs, c.want)
			}
		})
	}
}

// TestHelpAndCompletionRefuseUnknownTopics: help for an unknown verb and
// completion for an unknown shell are usage errors (exit 2, one line),
// like an unknown verb; help for a known one still prints it.
func TestHelpAndCompletionRefuseUnknownTopics(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "decid"}, "did you mean decide?"},
		{[]string{"help", "consent", "grnt"}, "did you mean grant?"},
		{[]string{"help", "decide", "extra"}, `unexpected argument "extra"`},
		{[]string{"completion", "tcsh"}, `unknown verb "tcsh"`},
		{[]string{"completion"}, "missing verb"},
	} {
		code, out, errs := ctl(t, "", c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %.60q, stderr %q; want 2 and one line with %q", c.args, code, out, errs, c.want)
		}
	}
	for _, args := range [][]string{{"help", "consent", "grant"}, {"completion", "bash"}} {
		if code, out, errs := ctl(t, "", args...); code != exitOK || out == "" {
			t.Errorf("%v: exit %d %s", args, code, errs)
		}
	}
}

// TestUnobjectSuggestsTheObjection: lifting an objection under a mistyped
// purpose names the purpose the subject did object to.
func TestUnobjectSuggestsTheObjection(t *testing.T) {
	db := newDB(t)
	ctl(t, "", "subject", "object", "--db", db, "--subject", secretSubject, "--purpose", "marketing.announcements")
	code, _, errs := ctl(t, "", "subject", "unobject", "--db", db, "--subject", secretSubject, "--purpose", "marketing.anouncements")
	if code != exitNotFound || !strings.Contains(errs, `did you mean "marketing.announcements"?`) || strings.Contains(errs, secretSubject) {
		t.Errorf("unobject a mistyped purpose: exit %d %q; want 3 with the purpose meant and no subject", code, errs)
	}
}

// TestConsentExpireNotAhead: consent expire --at a time to come is bad
// input: it would record an expiry that has not happened, which a
// withdrawal was then dated after (the consent stayed live).
func TestConsentExpireNotAhead(t *testing.T) {
	db := newDB(t)
	expires := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	ctl(t, "", "consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys", "--method", "checkbox", "--expires", expires)
	ahead := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	if code, out, errs := ctl(t, "", "consent", "expire", "--db", db, "--at", ahead); code != exitUsage || !strings.Contains(errs, "--at") {
		t.Errorf("expire --at %s: exit %d %s %s; want 2 naming --at", ahead, code, out, errs)
	}
	ctl(t, "", "consent", "withdraw", "--db", db, "--subject", "u-1", "--purpose", "research.surveys")
	if _, out, _ := ctl(t, surveyRequest, "decide", "--db", db); decision(t, out).Allowed {
		t.Errorf("after the withdrawal: %s", out)
	}
}

// TestDBAndDSNTogether: --db and --dsn both on the command line is a
// usage error, not a silent choice of PostgreSQL.
func TestDBAndDSNTogether(t *testing.T) {
	db := newDB(t)
	code, _, errs := ctl(t, "", "consent", "show", "--db", db, "--dsn", "postgres://nobody@127.0.0.1:1/none", "--subject", "u-1")
	if code != exitUsage || !strings.Contains(errs, "--db and --dsn") {
		t.Errorf("--db and --dsn: exit %d %q; want 2 naming both", code, errs)
	}
}

// TestConsentEvidenceNotEmpty: --method and --collected-by given empty
// are errors, as --via is: a record that cannot say how or by what the
// consent was collected or withdrawn is no evidence of it (Art. 7(1)).
func TestConsentEvidenceNotEmpty(t *testing.T) {
	db := newDB(t)
	for _, args := range [][]string{
		{"consent", "grant", "--subject", "u-1", "--purpose", "research.surveys", "--method", ""},
		{"consent", "grant", "--subject", "u-1", "--purpose", "research.surveys", "--collected-by", " "},
		{"consent", "withdraw", "--subject", "u-1", "--purpose", "research.surveys", "--method", ""},
	} {
		code, _, errs := ctl(t, "", append(args, "--db", db)...)
		if code != exitUsage || !strings.Contains(errs, "is required") {
			t.Errorf("%v: exit %d %q; want 2, the flag is required", args, code, errs)
		}
	}
	if _, out, _ := ctl(t, "", "consent", "show", "--db", db, "--subject", "u-1"); !strings.Contains(out, `"history": []`) {
		t.Errorf("a record was appended: %s", out)
	}
}

// TestConsentStaleOfAPurposeNotOnConsent: asking who must consent again
// to a purpose not processed on consent says so, rather than asking for
// a --version that would make no sense.
func TestConsentStaleOfAPurposeNotOnConsent(t *testing.T) {
	db := newDB(t)
	code, _, errs := ctl(t, "", "consent", "stale", "--db", db, "--purpose", "service.delivery")
	if code != exitUsage || !strings.Contains(errs, "not processed on consent") || strings.Contains(errs, "give --version") {
		t.Errorf("consent stale of service.delivery: exit %d %q", code, errs)
	}
}

// TestLifecycleNotAhead: subject lifecycle --at, the time a retention
// trigger happened, may not lie ahead (as subject.Assess refuses an
// assessment dated ahead): a trigger dated ahead would start the
// retention clock late, silently keeping data longer.
func TestLifecycleNotAhead(t *testing.T) {
	db := newDB(t)
	ahead := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	code, _, errs := ctl(t, "", "subject", "lifecycle", "--db", db, "--subject", "u-1", "--trigger", "account_closed", "--at", ahead)
	if code != exitUsage || !strings.Contains(errs, "--at") || !strings.Contains(errs, "future") {
		t.Errorf("lifecycle --at %s: exit %d %q; want 2, --at in the future", ahead, code, errs)
	}
	if _, out, _ := ctl(t, "", "subject", "show", "--db", db, "--subject", "u-1"); strings.Contains(out, "account_closed") {
		t.Errorf("a trigger dated ahead was recorded: %s", out)
	}
}

// TestDecideNotesTheNameMeant: a request with a mistyped purpose or
// category is denied (exit 0, the decision JSON on stdout unchanged) and
// stderr names the purpose and category meant.
func TestDecideNotesTheNameMeant(t *testing.T) {
	db := newDB(t)
	req := `{"subject":{"id":"` + secretSubject + `","kind":"user"},"purpose":"research.survey","data":["instance.contact.emial"]}`
	code, out, errs := ctl(t, req, "decide", "--db", db)
	d := decision(t, out)
	if code != exitOK || d.Allowed || !d.Has("purpose.undeclared") || !d.Has("data.unknown_category") {
		t.Fatalf("decide: exit %d, %v", code, d.Codes())
	}
	for _, want := range []string{`did you mean "research.surveys"?`, `did you mean "instance.contact.email"?`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	if strings.Contains(errs, secretSubject) {
		t.Errorf("stderr names the subject: %q", errs)
	}
	if _, _, errs := ctl(t, surveyRequest, "decide", "--db", db); errs != "" {
		t.Errorf("a request with known names printed on stderr: %q", errs)
	}
}

// TestKeyFileOfAnotherLedger: a write verb given keys that do not hold
// the key of the ledger's last record (another ledger's --key-file, or a
// rotation that replaced the keyring) is refused, exit 2, before it
// appends: the ledger would no longer verify with its own keys. Adding a
// key to the keyring is the rotation that works.
func TestKeyFileOfAnotherLedger(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	k1 := "k1 " + strings.Repeat("ab", 32) + "\n"
	k2 := "k2 " + strings.Repeat("cd", 32) + "\n"
	mine, other, rotated := write("ledger.keys", k1), write("other.keys", k2), write("rotated.keys", k1+k2)
	grant := func(subject, keys string) (int, string) {
		code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", subject, "--purpose", "research.surveys", "--method", "checkbox", "--key-file", keys)
		return code, errs
	}
	if code, errs := grant("u-1", mine); code != exitOK {
		t.Fatalf("grant with the ledger's keys: exit %d %s", code, errs)
	}
	if code, errs := grant("u-2", other); code != exitUsage || !strings.Contains(errs, `"k1"`) {
		t.Errorf("grant with another ledger's keys: exit %d %q; want 2 naming k1", code, errs)
	}
	if code, errs := grant("u-3", rotated); code != exitOK {
		t.Errorf("grant after a rotation that adds k2: exit %d %s", code, errs)
	}
	if code, out, errs := ctl(t, "", "ledger", "verify", "--db", db, "--key-file", rotated); code != exitOK || !strings.Contains(out, `"keyed": 2`) {
		t.Errorf("verify: exit %d %s %s; want intact, 2 keyed records", code, out, errs)
	}
}

// TestOffboardWithoutADataset: dsar offboard without --dataset is a usage
// error saying to give one (exit 2), as dsar run's is, not a store
// failure (exit 4) naming the Go API's WithSource.
func TestOffboardWithoutADataset(t *testing.T) {
	db := newDB(t)
	code, _, errs := ctl(t, "", "dsar", "offboard", "--db", db, "--controller", "acme", "--delete", "--by", "ops")
	if code != exitUsage || !strings.Contains(errs, "--dataset") {
		t.Errorf("offboard without --dataset: exit %d %q; want 2 naming --dataset", code, errs)
	}
}

// TestPolicyOnlyWhereItDecides: --policy (extension Rego modules) is a
// flag of the verbs that decide (decide, audience, consent stale) only;
// the others took it and ignored it, a module that never ran and a
// mistyped directory that never failed.
func TestPolicyOnlyWhereItDecides(t *testing.T) {
	db := newDB(t)
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	for _, args := range [][]string{
		{"catalog", "notice"},
		{"catalog", "ropa"},
		{"retention", "plan", "--db", db},
		{"consent", "grant", "--db", db, "--subject", "u-1", "--purpose", "research.surveys"},
		{"dsar", "list", "--db", db},
	} {
		code, _, errs := ctl(t, "", append(args, "--policy", missing)...)
		if code != exitUsage || !strings.Contains(errs, "unknown flag: --policy") {
			t.Errorf("%v --policy: exit %d %q; want 2, an unknown flag", args, code, errs)
		}
	}
	if code, _, errs := ctl(t, surveyRequest, "decide", "--db", db, "--policy", missing); code != exitUsage || !strings.Contains(errs, missing) {
		t.Errorf("decide --policy of a missing directory: exit %d %q", code, errs)
	}
}

// TestSubjectWithSurroundingSpace: a --subject with white space at either
// end (a pasted id) is refused: it would object, restrict or withdraw for
// a subject no request names, while the one meant is processed on.
func TestSubjectWithSurroundingSpace(t *testing.T) {
	db := newDB(t)
	for _, args := range [][]string{
		{"subject", "object", "--subject", " u-1", "--all-marketing"},
		{"subject", "restrict", "--subject", "u-1\n"},
		{"consent", "show", "--subject", "u-1 "},
	} {
		code, _, errs := ctl(t, "", append(args, "--db", db)...)
		if code != exitUsage || !strings.Contains(errs, "--subject") || strings.Contains(errs, "u-1") {
			t.Errorf("%v: exit %d %q; want 2 naming --subject, not the id", args, code, errs)
		}
	}
}

// TestGuardianMethodNeedsTheFlag: --method guardian without --guardian is
// refused: the decision reads the flag, so the record would say a
// guardian consented while decisions for the child deny.
func TestGuardianMethodNeedsTheFlag(t *testing.T) {
	db := newDB(t)
	code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "kid", "--purpose", "research.surveys", "--method", "guardian")
	if code != exitUsage || !strings.Contains(errs, "--guardian") {
		t.Errorf("--method guardian alone: exit %d %q; want 2 naming --guardian", code, errs)
	}
	if code, _, errs := ctl(t, "", "consent", "grant", "--db", db, "--subject", "kid", "--purpose", "research.surveys", "--method", "guardian", "--guardian"); code != exitOK {
		t.Fatalf("--method guardian --guardian: exit %d %s", code, errs)
	}
	child := `{"subject":{"id":"kid","kind":"user","age":14,"country":"NL"},"purpose":"research.surveys","data":["instance.contact.email"]}`
	if _, out, _ := ctl(t, child, "decide", "--db", db); !decision(t, out).Allowed {
		t.Errorf("with the guardian's consent: %s", out)
	}
}

// TestWriteVerbNeedsAPrivacyDatabase: a verb that writes, given a --db
// that exists but is no privacy database (a service's database named by
// mistake, an empty file), fails as a missing file does (exit 3, naming
// init and --create) and leaves the file as it was; before, it installed
// the whole privacy schema into it and wrote there. migrate too.
func TestWriteVerbNeedsAPrivacyDatabase(t *testing.T) {
	dir := t.TempDir()
	service := filepath.Join(dir, "service.db")
	sqldb, err := sql.Open("sqlite", service)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.Exec(`CREATE TABLE users (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	sqldb.Close()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{service, empty} {
		before, _ := os.ReadFile(db)
		for _, args := range [][]string{{"subject", "restrict", "--subject", "u-1"}, {"migrate"}} {
			code, _, errs := ctl(t, "", append(args, "--db", db)...)
			if code != exitNotFound || !strings.Contains(errs, db) || !strings.Contains(errs, "privacyctl init") {
				t.Errorf("%v on %s: exit %d %q; want 3 naming the file and init", args, filepath.Base(db), code, errs)
			}
		}
		if after, _ := os.ReadFile(db); string(after) != string(before) {
			t.Errorf("%s changed", filepath.Base(db))
		}
	}
	if code, _, errs := ctl(t, "", "subject", "restrict", "--subject", "u-1", "--db", empty, "--create"); code != exitOK {
		t.Errorf("with --create: exit %d %s", code, errs)
	}
}

// TestWriteVerbNeedsAPrivacySchemaOnPostgres: the same for a PostgreSQL
// schema init never made.
func TestWriteVerbNeedsAPrivacySchemaOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	if code, _, errs := ctl(t, "", "subject", "restrict", "--dsn", dsn, "--subject", "u-1"); code != exitNotFound || !strings.Contains(errs, "privacyctl init") {
		t.Errorf("write verb on a schema never initialised: exit %d %q; want 3 naming init", code, errs)
	}
	if code, _, errs := ctl(t, "", "init", "--dsn", dsn); code != exitOK {
		t.Fatalf("init: exit %d %s", code, errs)
	}
	if code, _, errs := ctl(t, "", "subject", "restrict", "--dsn", dsn, "--subject", "u-1"); code != exitOK {
		t.Errorf("after init: exit %d %s", code, errs)
	}
}
