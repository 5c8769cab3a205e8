package sqlsource_test

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar/sqlsource"
)

// A small valid file the cases below break one line at a time.
const base = `dataset: svc
holds:
  fiscal: {ground: legal_obligation, reason: fiscal records}
tables:
  - table: users
    subject: user
    key: id
    columns:
      - {column: email, category: instance.contact.email, erase: null}
`

func TestParseErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want []string // each must appear in the error
	}{
		{"unknown category", strings.Replace(base, "instance.contact.email", "instance.contact.emial", 1),
			[]string{`x.yaml:9: table users: column email: unknown category "instance.contact.emial" (did you mean "instance.contact.email"?)`}},
		{"parent category", strings.Replace(base, "instance.contact.email", "instance.contact", 1),
			[]string{`x.yaml:9:`, `"instance.contact" is a parent category; name one of its leaves: instance.contact.email`}},
		{"category of another subject kind", strings.Replace(base, "instance.contact.email", "guest.contact.email", 1),
			[]string{`x.yaml:9:`, `is data of a guest, and the table's subject is a user`}},
		{"unknown subject kind", strings.Replace(base, "subject: user", "subject: users", 1),
			[]string{`x.yaml:6: table users: unknown subject kind "users" (did you mean "user"?)`}},
		{"unknown field", strings.Replace(base, "key: id", "kye: id", 1),
			[]string{`x.yaml:7: table: unknown field "kye" (did you mean "key"?)`, `x.yaml:5: table: key is required`}},
		{"unknown strategy", strings.Replace(base, "erase: null", "erase: nul", 1),
			[]string{`x.yaml:9:`, `unknown erase strategy "nul"`, `did you mean "null"?`}},
		{"identifier that is not a plain name", strings.Replace(base, "column: email", `column: "email; DROP TABLE users"`, 1),
			[]string{`x.yaml:9: table users: column "email; DROP TABLE users" is not a plain SQL name`}},
		{"qualified key to a table not joined", strings.Replace(base, "key: id", "key: accounts.id", 1),
			[]string{`x.yaml:7: table users: accounts.id: table accounts is not the entry's table or one of its joins`}},
		{"keep without a hold", strings.Replace(base, "erase: null", "erase: keep", 1),
			[]string{`x.yaml:9:`, `erase: keep needs the hold`}},
		{"unknown hold", strings.Replace(base, "erase: null}", "erase: keep, hold: fiscl}", 1),
			[]string{`x.yaml:9:`, `unknown hold "fiscl"`, `did you mean "fiscal"?`}},
		{"mask without a value", strings.Replace(base, "erase: null", "erase: mask", 1),
			[]string{`x.yaml:9:`, `erase: mask needs a mask value`}},
		{"unknown ground", strings.Replace(base, "legal_obligation", "legal_obligations", 1),
			[]string{`x.yaml:3: hold fiscal: unknown ground "legal_obligations"`, `did you mean "legal_obligation"?`}},
		{"guest data without a controller", strings.Replace(strings.Replace(base, "subject: user", "subject: guest", 1), "instance.contact.email", "guest.contact.email", 1),
			[]string{`x.yaml:5: table users: the operator is a processor for a guest: controller must name the column`}},
		{"kept and erased in one category", base + `  - table: invoices
    subject: user
    key: user_id
    columns:
      - {column: email, category: instance.contact.email, erase: keep, hold: fiscal}
`, []string{`x.yaml:14: table invoices: column email keeps instance.contact.email under hold fiscal, and line 9 erases it`}},
		{"row deleted with a kept column", base + `  - table: invoices
    subject: user
    key: user_id
    columns:
      - {column: amount, category: instance.financial.payment, erase: keep, hold: fiscal}
      - {column: card, category: instance.financial.card, erase: delete}
`, []string{`x.yaml:15: table invoices: column card deletes the row, and column amount (line 14) is kept under hold fiscal`}},
		{"column described twice", base + `      - {column: email, category: instance.contact.email, erase: null}
`, []string{`x.yaml:10: table users: column email is already described at line 9`}},
		{"not a mapping", "- a\n- b\n", []string{`x.yaml:1: dataset must be a mapping`}},
		{"no tables", "dataset: svc\ntables: []\n", []string{`x.yaml:2: tables: at least one table is required`}},
		{"bad YAML", "dataset: [\n", []string{`dataset x.yaml: `}},
		{"empty", "", []string{`dataset x.yaml: the file is empty`}},
		{"only a comment", "# nothing yet\n", []string{`dataset x.yaml: the file is empty`}},
		{"two documents", base + "---\ndataset: other\n", []string{`x.yaml:10: a dataset file holds one YAML document`}},
		{"alias", base + "extra: &a 1\n", []string{`x.yaml:10: dataset: unknown field "extra"`}},
		{"too large", base + "#" + strings.Repeat("x", privacy.MaxDatasetBytes) + "\n", []string{`dataset x.yaml is larger than the limit of 1048576 bytes (privacy.MaxDatasetBytes)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ds, err := sqlsource.Parse("x.yaml", []byte(tc.file), nil)
			if err == nil {
				t.Fatalf("Parse = %v, nil error; want %q", ds, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain:\n%s", err, w)
				}
			}
			var de *sqlsource.Error
			var ve *privacy.ValidationError
			if !(errors.As(err, &de) || errors.As(err, &ve)) || !errors.Is(err, privacy.ErrInvalid) {
				t.Errorf("error %v: want a *sqlsource.Error (or, for the size, a *privacy.ValidationError) wrapping privacy.ErrInvalid", err)
			}
		})
	}
}

func TestParseAcceptsTheSample(t *testing.T) {
	t.Parallel()
	ds, err := sqlsource.Parse("dataset.yaml", sampleFile(t, "dataset.yaml"), privacy.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name() != "meetings" {
		t.Errorf("Name() = %q, want meetings", ds.Name())
	}
	if _, err := sqlsource.Load(sampleDir+"/dataset.yaml", nil); err != nil {
		t.Errorf("Load: %v", err)
	}
	if _, err := sqlsource.Load(sampleDir+"/no-such.yaml", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: error %v, want one wrapping fs.ErrNotExist", err)
	}
	// An endless file fails after the limit, without reading on.
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := sqlsource.Load("/dev/zero", nil)
		if want := "dataset /dev/zero is larger than the limit of 1048576 bytes (privacy.MaxDatasetBytes)"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(/dev/zero): error %v, want %q", err, want)
		}
	}
}

func TestNewChecksTheLiveSchema(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, file, want string }{
		{"missing table", strings.Replace(base, "table: users", "table: user_accounts", 1),
			`x.yaml:5: table user_accounts: no table user_accounts in the`},
		{"missing column", strings.Replace(base, "column: email", "column: emails", 1),
			`x.yaml:9: table users: column emails: table users has no column emails (did you mean "email"?)`},
		{"key without an index", strings.Replace(base, "key: id", "key: email", 1),
			`x.yaml:7: table users: key: no index leads with users.email`},
		{"join column without an index", `dataset: svc
tables:
  - table: notes
    subject: user
    joins:
      - {table: users, column: id, from: notes.author}
    key: users.id
    columns:
      - {column: body, category: instance.feedback.review, erase: delete}
`, `x.yaml:6: table notes: join from: no index leads with notes.author`},
	}
	for _, b := range backends() {
		cases := tests
		if b.name == "postgres" {
			cases = append(slices.Clone(tests), struct{ name, file, want string }{"text mask for an integer column",
				strings.Replace(base, "{column: email, category: instance.contact.email, erase: null}", "{column: logins, category: instance.meeting.data, erase: mask, mask: none}", 1),
				`x.yaml:9: table users: column logins: the mask none is not an integer`})
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			exec(t, db, `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, logins INTEGER);
				CREATE TABLE notes (id INTEGER PRIMARY KEY, author TEXT, body TEXT)`)
			if _, err := sqlsource.New(t.Context(), db, b.dialect, mustParse(t, base)); err != nil {
				t.Fatalf("New with the base file: %v", err)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := sqlsource.New(t.Context(), db, b.dialect, mustParse(t, tc.file))
					if err == nil || !strings.Contains(err.Error(), tc.want) {
						t.Errorf("New: error\n%v\nwant it to contain\n%s", err, tc.want)
					}
				})
			}
		})
	}
}

func mustParse(t *testing.T, file string) *sqlsource.Dataset {
	t.Helper()
	ds, err := sqlsource.Parse("x.yaml", []byte(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte("dataset: x\ntables:\n  - {table: t, subject: user, key: a.b, joins: [{table: a, column: b, from: t.c}], columns: [{column: c, category: instance.contact.email, erase: mask, mask: 1}]}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	c := privacy.DefaultCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := sqlsource.Parse("f.yaml", data, c)
		if (ds == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want a dataset or an error", ds, err)
		}
	})
}
