package accountability_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/policies"
)

func recordInput(t *testing.T) accountability.RecordInput {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "record-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := accountability.ReadRecordInput(f)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestRecordThirdCountriesAndCustomers: the record names the third
// countries of each activity with what makes the transfer lawful (Art.
// 30(1)(e)), leaves out the EEA, and in the processor part names each
// controller with the processing it instructs (Art. 30(2)(a), (b)).
func TestRecordThirdCountriesAndCustomers(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	rec, err := accountability.BuildRecordWith(c, recordInput(t))
	if err != nil {
		t.Fatal(err)
	}
	countries := func(list []accountability.ThirdCountry) []string {
		out := []string{}
		for _, tc := range list {
			out = append(out, tc.Country+": "+strings.Join(tc.Recipients, ",")+": "+tc.Basis)
		}
		return out
	}
	byPurpose := map[string][]string{}
	for _, a := range rec.Activities {
		byPurpose[a.Purpose] = countries(a.ThirdCountries)
	}
	want := map[string][]string{
		"service.delivery": {"US: processor videocloud.example: adequacy decision (EU) 2023/1795 (Art. 45), organisations certified under the EU-US Data Privacy Framework only; recipient certified under the EU-US Data Privacy Framework"},
		"support":          {"IN: processor helpdesk.example: standard contractual clauses, Implementing Decision (EU) 2021/914 (Art. 46(2)(c))"},
		"billing":          {}, // NL is in the EEA
		"legal.claims":     {"CH: third_party counsel.example: adequacy decision 2000/518/EC (Art. 45)"},
	}
	for p, w := range want {
		if diff := cmp.Diff(w, byPurpose[p]); diff != "" {
			t.Errorf("%s third countries (-want +got):\n%s", p, diff)
		}
	}
	// Processor part: Acme's guest data goes to India for support; the
	// transfer is on the default instructions' activity, which covers Acme.
	var support []string
	for _, a := range rec.ProcessorActivities {
		if a.Purpose == "support" {
			support = append(support, a.Controller+" -> "+strings.Join(countries(a.ThirdCountries), "|"))
		}
	}
	if diff := cmp.Diff([]string{accountability.AnyController + " -> IN: processor helpdesk.example: standard contractual clauses, Implementing Decision (EU) 2021/914 (Art. 46(2)(c))"}, support); diff != "" {
		t.Errorf("processor support activity (-want +got):\n%s", diff)
	}
	var customers []string
	for _, cu := range rec.Customers {
		var keys []string
		for _, p := range cu.Processing {
			k, _, _ := strings.Cut(p, ":")
			keys = append(keys, k)
		}
		customers = append(customers, cu.Name+" ("+cu.Contact+"): "+strings.Join(keys, ","))
	}
	if diff := cmp.Diff([]string{
		"Acme B.V. (privacy@acme.example): service.delivery,support,security.fraud_prevention,legal.compliance",
		"Globex Ltd (dpo@globex.example): service.delivery,support",
	}, customers); diff != "" {
		t.Errorf("customers (-want +got):\n%s", diff)
	}
	var md bytes.Buffer
	if err := rec.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "golden", "reference-input.ropa.md"), md.Bytes())
}

func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden file (run go test ./accountability -update): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

func TestBuildRecordWithRefusesBadInput(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	for _, tc := range []struct {
		name  string
		in    accountability.RecordInput
		field string
	}{
		{"unknown purpose", accountability.RecordInput{Transfers: []accountability.Transfer{{Purpose: "marketing.sale", Country: "US"}}}, "transfers[0].purpose"},
		{"misspelt purpose", accountability.RecordInput{Transfers: []accountability.Transfer{{Purpose: "suport", Country: "US"}}}, "transfers[0].purpose"},
		{"country not a code", accountability.RecordInput{Transfers: []accountability.Transfer{{Purpose: "support", Country: "USA"}}}, "transfers[0].country"},
		{"unknown safeguard", accountability.RecordInput{Transfers: []accountability.Transfer{{Purpose: "support", Country: "US", Safeguard: "shield"}}}, "transfers[0].safeguard"},
		{"unknown recipient kind", accountability.RecordInput{Transfers: []accountability.Transfer{{Purpose: "support", Country: "US", RecipientKind: "broker"}}}, "transfers[0].recipient_kind"},
		{"customer without name", accountability.RecordInput{Customers: []accountability.Customer{{Contact: "x@y.example"}}}, "customers[0].name"},
		{"customer twice", accountability.RecordInput{Customers: []accountability.Customer{{Name: "A"}, {Name: "A"}}}, "customers[1].name"},
		{"instruction outside processing", accountability.RecordInput{Customers: []accountability.Customer{{Name: "A", Instructions: []string{"marketing.profiling"}}}}, "customers[0].instructions[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := accountability.BuildRecordWith(c, tc.in)
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, privacy.ErrInvalid) {
				t.Errorf("BuildRecordWith = %v, want a privacy.ValidationError on %s", err, tc.field)
			}
			if tc.name == "misspelt purpose" && !strings.Contains(err.Error(), `did you mean "support"`) {
				t.Errorf("error %q does not suggest \"support\"", err)
			}
		})
	}
}

// TestRecordFromDecisionLog: the decision log the engine writes is read
// back into the record: allowed disclosures outside the EEA become third
// countries with their count, denied ones do not, and the controllers of
// guest data become the processor record's controllers.
func TestRecordFromDecisionLog(t *testing.T) {
	t.Parallel()
	if accountability.DecisionLogMessageForTest != policies.DecisionLogMessage {
		t.Fatalf("decision log message %q, want policies.DecisionLogMessage %q", accountability.DecisionLogMessageForTest, policies.DecisionLogMessage)
	}
	var log bytes.Buffer
	e, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&log, nil)), []byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	decide := func(req privacy.Request, allowed bool) {
		t.Helper()
		d, err := e.Decide(t.Context(), req)
		if err != nil || d.Allowed != allowed {
			t.Fatalf("Decide(%s to %+v) = %v, %v; want allowed %v", req.Purpose, req.Recipient, d.Codes(), err, allowed)
		}
	}
	us := &privacy.Recipient{ID: "videocloud.example", Kind: privacy.RecipientProcessor, Country: "US", DPA: true, Safeguard: privacy.SafeguardDPF}
	in := &privacy.Recipient{ID: "helpdesk.example", Kind: privacy.RecipientProcessor, Country: "IN", DPA: true, Safeguard: privacy.SafeguardNone}
	user := privacy.Subject{ID: "u-1", Kind: "user", Country: "NL"}
	guest := privacy.Subject{ID: "g-1", Kind: "guest", Controller: "Acme B.V."}
	decide(privacy.Request{Subject: user, Purpose: "service.delivery", Data: []string{"instance.meeting.data"}, Recipient: us}, true)
	decide(privacy.Request{Subject: user, Purpose: "service.delivery", Data: []string{"instance.meeting.data"}, Recipient: us}, true)
	decide(privacy.Request{Subject: guest, Purpose: "support", Data: []string{"guest.contact.email"}, Recipient: us, EncryptedInTransit: true}, true)
	decide(privacy.Request{Subject: user, Purpose: "support", Data: []string{"instance.contact.email"}, Recipient: in}, false) // no safeguard
	log.WriteString(`{"time":"2026-12-03T08:00:00Z","level":"INFO","msg":"something else"}` + "\n")

	facts, err := accountability.ReadDecisionLog(&log)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := accountability.BuildRecordWith(privacy.DefaultCatalog(), facts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range rec.Activities {
		for _, tc := range a.ThirdCountries {
			got["controller "+a.Purpose] += tc.Country + " " + strings.Join(tc.Recipients, ",") + " " + itoa(tc.LoggedTransfers)
		}
	}
	for _, a := range rec.ProcessorActivities {
		for _, tc := range a.ThirdCountries {
			got["processor "+a.Purpose] += tc.Country + " " + strings.Join(tc.Recipients, ",") + " " + itoa(tc.LoggedTransfers)
		}
	}
	want := map[string]string{
		"controller service.delivery": "US processor videocloud.example 2",
		"processor support":           "US processor videocloud.example 1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("third countries from the decision log (-want +got):\n%s", diff)
	}
	if len(rec.Customers) != 1 || rec.Customers[0].Name != "Acme B.V." {
		t.Errorf("customers = %+v, want Acme B.V. from the log", rec.Customers)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestReadDecisionLogRefusesBadLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, log, field string }{
		{"not json", "privacy decision allowed\n", "decision log line 1"},
		{"record without request", `{"msg":"privacy decision","decision":{"allowed":true}}` + "\n", "decision log line 1"},
		{"bad country", `{"msg":"other"}` + "\n" + `{"msg":"privacy decision","request":{"purpose":"support","recipient":{"kind":"processor","country":"usa"}},"decision":{"allowed":true}}` + "\n", "decision log line 2: request.recipient.country"},
		{"line too long", `{"msg":"` + strings.Repeat("x", 2<<20) + `"}`, "decision log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := accountability.ReadDecisionLog(strings.NewReader(tc.log))
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("ReadDecisionLog = %v, want a privacy.ValidationError on %q", err, tc.field)
			}
		})
	}
}

// FuzzReadDecisionLog: whatever the log holds, reading it never panics,
// and what it returns is accepted by BuildRecordWith or refused with an
// error naming the field.
func FuzzReadDecisionLog(f *testing.F) {
	f.Add([]byte(`{"msg":"privacy decision","request":{"subject":{"kind":"user"},"purpose":"support","recipient":{"id":"x","kind":"processor","country":"US","safeguard":"scc"}},"decision":{"allowed":true}}` + "\n"))
	f.Add([]byte(`{"msg":"privacy decision","request":{"subject":{"kind":"guest","controller":"A"},"purpose":"nope","recipient":{"kind":"processor","country":"IN"}},"decision":{"allowed":true}}`))
	f.Add([]byte("\n\n{}\n"))
	c := privacy.DefaultCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := accountability.ReadDecisionLog(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, err := accountability.BuildRecordWith(c, in); err != nil {
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("BuildRecordWith error %v does not name a field", err)
			}
		}
	})
}

// FuzzReadRecordInput: whatever the record input holds, reading it never
// panics; an error is invalid input, and what it returns is accepted by
// BuildRecordWith or refused with an error naming the field.
func FuzzReadRecordInput(f *testing.F) {
	f.Add([]byte(`{"transfers":[{"purpose":"support","subject_kind":"user","recipient":"mailer","recipient_kind":"processor","country":"US","safeguard":"scc"}],"customers":[{"name":"Acme","country":"NL"}]}`))
	f.Add([]byte(`{"transfers":[],"Transfers":[]}`))
	f.Add([]byte(`{"customers":[{"name":"A","NAME":"B"}]}`))
	f.Add([]byte(`{"unknown":1}`))
	c := privacy.DefaultCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := accountability.ReadRecordInput(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if _, err := accountability.BuildRecordWith(c, in); err != nil {
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("BuildRecordWith error %v does not name a field", err)
			}
		}
	})
}

// TestRecordCSVStatesConsentRenewal: the CSV form of the record has the
// consent_renewal column the JSON and text forms have: for an activity on
// consent, after how long consent is asked again, in words and as a
// period; empty for an activity on another basis and on processor rows.
// Before, the CSV had no such column.
func TestRecordCSVStatesConsentRenewal(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := accountability.BuildRecord(privacy.DefaultCatalog()).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse (rows of unequal width?): %v", err)
	}
	col := func(name string) int {
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("the CSV header %v has no column %q", rows[0], name)
		}
		return i
	}
	record, purpose, renewal := col("record"), col("purpose"), col("consent_renewal")
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[record]+" "+r[purpose]] = r[renewal]
	}
	for key, want := range map[string]string{
		"art30_1 site.personalisation": "consent asked again after 13 months (P13M), the purpose's own maximum",
		"art30_1 research.surveys":     "consent asked again after 24 months (P24M), the catalog's default: ",
		"art30_1 billing":              "",
		"art30_2 support":              "",
	} {
		v, ok := got[key]
		switch {
		case !ok:
			t.Errorf("no row %q", key)
		case want == "" && v != "":
			t.Errorf("%s: consent_renewal %q, want empty", key, v)
		case !strings.HasPrefix(v, want):
			t.Errorf("%s: consent_renewal %q, want it to begin %q", key, v, want)
		}
	}
}

// TestRecordDerogationsPerSubjectKind: the derogations a record lists for
// an activity are those the engine admits for its subjects. The engine
// admits a transfer "necessary for a contract with the subject" (Art.
// 49(1)(b)) only where the subject's data rests on contract: a user's for
// service.delivery, never a guest's, whose data the operator processes on
// the controller's instructions. The processor part listed it for guests
// because it looked at every subject kind of the purpose.
func TestRecordDerogationsPerSubjectKind(t *testing.T) {
	t.Parallel()
	rec := accountability.BuildRecord(privacy.DefaultCatalog())
	const contract = "(b) a contract with the subject"
	seen := 0
	for _, a := range rec.Activities {
		if a.Purpose == "service.delivery" {
			seen++
			if !strings.Contains(a.Transfers, contract) {
				t.Errorf("controller activity service.delivery: transfers %q, want %s (users are on contract)", a.Transfers, contract)
			}
		}
	}
	for _, a := range rec.ProcessorActivities {
		if a.Purpose == "service.delivery" {
			seen++
		}
		if strings.Contains(a.Transfers, contract) {
			t.Errorf("processor activity %s (%s): transfers %q lists %s, which the engine never admits for guests", a.Purpose, a.Controller, a.Transfers, contract)
		}
	}
	if seen < 2 {
		t.Fatalf("found service.delivery in %d parts of the record, want both", seen)
	}
}
