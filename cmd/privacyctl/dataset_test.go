package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/privacykit/privacy/internal/pgtest"
)

// serviceDB makes a SQLite file with the sample service of
// examples/datasets (schema and rows) and returns its path.
func serviceDB(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range []string{"schema.sql", "seed.sql"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "datasets", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return path
}

var sampleDataset = filepath.Join("..", "..", "examples", "datasets", "dataset.yaml")

// request opens and verifies a request and returns its id.
func request(t *testing.T, db string, args ...string) string {
	t.Helper()
	code, out, errs := ctl(t, "", append([]string{"dsar", "open", "--db", db, "--print-id"}, args...)...)
	if code != exitOK {
		t.Fatalf("dsar open %v = %d: %s", args, code, errs)
	}
	id := strings.TrimSpace(out)
	if code, _, errs := ctl(t, "", "dsar", "verify", "--db", db, "--id", id, "--method", "login_session", "--by", "support"); code != exitOK {
		t.Fatalf("dsar verify = %d: %s", code, errs)
	}
	return id
}

func TestDSARRunOverADataset(t *testing.T) {
	db := newDB(t)
	svc := serviceDB(t, filepath.Join(t.TempDir(), "service.db"))
	runOver := func(id string) map[string]any {
		t.Helper()
		code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", id, "--dataset", sampleDataset, "--dataset-dsn", svc)
		if code != exitOK {
			t.Fatalf("dsar run --dataset = %d: %s", code, errs)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil || r["status"] != "completed" {
			t.Fatalf("dsar run printed %s (%v), want a completed request", out, err)
		}
		return r
	}

	// Access: the export holds Ann's 13 records and none of Bob's.
	access := request(t, db, "--kind", "access", "--subject", "u-1")
	if code, _, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", access); code != exitUsage || !strings.Contains(errs, "no --dataset describes their tables") ||
		!strings.Contains(errs, "left verified") || strings.Contains(errs, "u-1") {
		t.Fatalf("access without --dataset: exit %d, stderr %q; want exit 2 asking for --dataset, the request left verified, no subject id", code, errs)
	}
	runOver(access)
	code, out, errs := ctl(t, "", "dsar", "export", "--db", db, "--id", access)
	if code != exitOK {
		t.Fatalf("dsar export = %d: %s", code, errs)
	}
	var e struct {
		Sources []string `json:"sources"`
		Records []struct {
			Category string `json:"category"`
			ID       string `json:"id"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || len(e.Records) != 13 || len(e.Sources) != 1 || e.Sources[0] != "meetings" {
		t.Fatalf("dsar export: %d records from %v (%v), want 13 from [meetings]:\n%s", len(e.Records), e.Sources, err, out)
	}
	if strings.Contains(out, "bob") || strings.Contains(out, "2026-0002") {
		t.Errorf("Ann's export holds Bob's data:\n%s", out)
	}
	if _, text, _ := ctl(t, "", "dsar", "export", "--db", db, "--id", access, "-o", "text"); !strings.Contains(text, "13 records in 12 categories") {
		t.Errorf("dsar export -o text:\n%s\nwant the summary", text)
	}

	// Rectification writes both copies of the email.
	r := runOver(request(t, db, "--kind", "rectification", "--subject", "u-1", "--correct", "instance.contact.email=ann@new.example"))
	if n := r["sources"].([]any)[0].(map[string]any)["rectified"]; n != float64(2) {
		t.Errorf("rectified = %v, want 2", n)
	}

	// Erasure keeps the invoices under the fiscal duty.
	r = runOver(request(t, db, "--kind", "erasure", "--subject", "u-1"))
	var kept []string
	for _, x := range r["exemptions"].([]any) {
		kept = append(kept, x.(map[string]any)["category"].(string))
	}
	if diff := cmp.Diff([]string{"instance.financial.account", "instance.financial.bank", "instance.financial.payment"}, kept); diff != "" {
		t.Errorf("exemptions (-want +got):\n%s", diff)
	}
	sdb, err := sql.Open("sqlite", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var email sql.NullString
	var invoices, meetings int
	if err := sdb.QueryRowContext(t.Context(), `SELECT email, (SELECT count(*) FROM invoices WHERE user_id = 'u-1'), (SELECT count(*) FROM meetings WHERE host_id = 'u-1') FROM users WHERE id = 'u-1'`).
		Scan(&email, &invoices, &meetings); err != nil {
		t.Fatal(err)
	}
	if email.Valid || invoices != 1 || meetings != 0 {
		t.Errorf("after erasure: email %v, %d invoices, %d meetings; want no email, the invoice kept, no meetings", email, invoices, meetings)
	}
}

// TestDSARErasureKeepsRecordedHolds: a legal hold recorded with
// `privacyctl retention hold` keeps what it covers through an erasure, as
// an exemption on legal-claims grounds, and the rest is erased.
func TestDSARErasureKeepsRecordedHolds(t *testing.T) {
	db := serviceDB(t, newDB(t))
	if code, _, errs := ctl(t, "", "retention", "hold", "--db", db, "--subject", "u-2", "--category", "instance.meeting",
		"--by", "legal@example", "--reason", "dispute 42"); code != exitOK {
		t.Fatalf("retention hold = %d: %s", code, errs)
	}
	id := request(t, db, "--kind", "erasure", "--subject", "u-2")
	code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", id, "--dataset", sampleDataset)
	var r struct {
		Status     string
		Exemptions []struct{ Category, Ground, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &r); code != exitOK || err != nil || r.Status != "completed" {
		t.Fatalf("dsar run erasure = %d %s %s", code, out, errs)
	}
	held := map[string]string{}
	for _, e := range r.Exemptions {
		held[e.Category] = e.Ground
		if e.Category == "instance.meeting.data" && !strings.Contains(e.Reason, "dispute 42") {
			t.Errorf("exemption of the meeting data: %q, want the hold's reason", e.Reason)
		}
	}
	if held["instance.meeting.data"] != "17(3)(e)" {
		t.Errorf("exemptions %+v: want instance.meeting.data kept on legal claims (17(3)(e)) by the recorded hold", r.Exemptions)
	}
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var meetings, emails int
	if err := sdb.QueryRowContext(t.Context(), `SELECT (SELECT count(*) FROM meetings WHERE host_id = 'u-2' AND title IS NOT NULL), (SELECT count(*) FROM users WHERE id = 'u-2' AND email IS NOT NULL)`).
		Scan(&meetings, &emails); err != nil {
		t.Fatal(err)
	}
	if meetings != 1 || emails != 0 {
		t.Errorf("after erasure: %d held meetings, %d emails; want the meeting kept and the email erased", meetings, emails)
	}
}

func TestDSARRunDatasetInThePrivacyDatabase(t *testing.T) {
	// The service's tables and the privacy store in one database: --dataset
	// alone runs over --db.
	db := serviceDB(t, newDB(t))
	id := request(t, db, "--kind", "access", "--subject", "u-2")
	code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", id, "--dataset", sampleDataset)
	if code != exitOK || !strings.Contains(out, `"status": "completed"`) {
		t.Fatalf("dsar run --dataset over --db = %d %s %s", code, out, errs)
	}
}

func TestDSARRunDatasetErrors(t *testing.T) {
	db := newDB(t)
	svc := serviceDB(t, filepath.Join(t.TempDir(), "service.db"))
	id := request(t, db, "--kind", "access", "--subject", "u-1")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("dataset: x\ntables:\n  - table: users\n    subject: user\n    key: id\n    columns:\n      - {column: email, category: instance.contact.emial, erase: null}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown category", []string{"--dataset", bad, "--dataset-dsn", svc}, exitUsage, `bad.yaml:7: table users: column email: unknown category "instance.contact.emial" (did you mean "instance.contact.email"?)`},
		{"missing dataset file", []string{"--dataset", bad + ".nope", "--dataset-dsn", svc}, exitNotFound, "no such file"},
		{"missing service database", []string{"--dataset", sampleDataset, "--dataset-dsn", svc + ".nope"}, exitNotFound, "no such database"},
		{"tables not in the database", []string{"--dataset", sampleDataset, "--dataset-dsn", db}, exitUsage, "dataset.yaml:19: table users: no table users in the sqlite database"},
		{"dsn without a dataset", []string{"--dataset-dsn", svc}, exitUsage, "--dataset-dsn needs --dataset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := ctl(t, "", append([]string{"dsar", "run", "--db", db, "--id", id}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

func TestDSARRunOverADatasetOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, f := range []string{"schema.sql", "seed.sql"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "datasets", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(t.Context(), string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	db := newDB(t)
	id := request(t, db, "--kind", "erasure", "--subject", "u-2")
	code, out, errs := ctl(t, "", "dsar", "run", "--db", db, "--id", id, "--dataset", sampleDataset, "--dataset-dsn", dsn)
	if code != exitOK || !strings.Contains(out, `"status": "completed"`) {
		t.Fatalf("dsar run --dataset-dsn postgres:// = %d %s %s", code, out, errs)
	}
	var users, invoices int
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM users WHERE id = 'u-2' AND email IS NULL), (SELECT count(*) FROM invoices WHERE user_id = 'u-2')`).Scan(&users, &invoices); err != nil {
		t.Fatal(err)
	}
	if users != 1 || invoices != 1 {
		t.Errorf("after erasure on PostgreSQL: %d users without email, %d invoices; want 1 and 1 (kept)", users, invoices)
	}
}

// TestDSARRetire: dsar retire is wired to Desk.Retire: it requires a note
// and refuses a source the request never used.
func TestDSARRetire(t *testing.T) {
	db := newDB(t)
	id := request(t, db, "--kind", "erasure", "--subject", "u-1")
	if code, _, errs := ctl(t, "", "dsar", "retire", "--db", db, "--id", id, "--source", "meetings", "--by", "ops"); code != exitUsage || !strings.Contains(errs, "--note") {
		t.Errorf("retire without --note: exit %d %s", code, errs)
	}
	if code, _, errs := ctl(t, "", "dsar", "retire", "--db", db, "--id", id, "--source", "meetings", "--note", "gone", "--by", "ops"); code != exitUsage || !strings.Contains(errs, "no outcome of source") {
		t.Errorf("retire of a source the request never used: exit %d %s", code, errs)
	}
}
