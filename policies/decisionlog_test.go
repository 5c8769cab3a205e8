package policies_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/privacytest"
	"github.com/privacykit/privacy/subject"
)

func TestDecisionLogHoldsNoRawSubjectID(t *testing.T) {
	const rawID = "alice.jansen@example.nl"
	key := []byte("0123456789abcdef0123456789abcdef")
	var buf bytes.Buffer
	subjects := memory.NewStateStore()
	if err := subject.Object(t.Context(), subjects, rawID, "marketing.announcements"); err != nil {
		t.Fatal(err)
	}
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(),
		policies.WithSubjects(subjects),
		policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)), key))
	if err != nil {
		t.Fatal(err)
	}
	reqs := []privacy.Request{
		announcement(),
		{Subject: privacy.Subject{ID: rawID, Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
			Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}},
		{Subject: privacy.Subject{ID: rawID, Kind: privacy.SubjectUser}, Purpose: "referral",
			Data: []string{"instance.contact.email"}, Recipient: &privacy.Recipient{ID: "bob@example.org", Kind: privacy.RecipientIndividual, Country: "NL"}},
		{Subject: privacy.Subject{ID: rawID, Kind: "alien"}, Purpose: "support", Data: []string{"instance.contact.email"}},
	}
	for _, r := range reqs {
		_, _ = eng.Decide(t.Context(), r)
	}
	out := buf.String()
	for _, raw := range []string{rawID, "bob@example.org"} {
		if strings.Contains(out, raw) {
			t.Errorf("the decision log holds the raw id %q:\n%s", raw, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(reqs) {
		t.Fatalf("got %d log records, want %d", len(lines), len(reqs))
	}

	// The second record is the objection: reproducible from the log.
	var rec struct {
		Msg    string
		Policy struct {
			Version     string `json:"version"`
			CatalogHash string `json:"catalog_hash"`
			Generation  uint64 `json:"generation"`
		} `json:"policy"`
		Request struct {
			Subject struct {
				Pseudonym string `json:"pseudonym"`
			} `json:"subject"`
			Purpose string `json:"purpose"`
		} `json:"request"`
		State struct {
			Objections []string `json:"objections"`
		} `json:"state"`
		Decision struct {
			Allowed bool     `json:"allowed"`
			Reasons []string `json:"reasons"`
		} `json:"decision"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Msg, Version, Hash, Pseudonym, Purpose string
		Generation                             uint64
		Objections, Reasons                    []string
	}
	got := summary{rec.Msg, rec.Policy.Version, rec.Policy.CatalogHash, rec.Request.Subject.Pseudonym, rec.Request.Purpose,
		rec.Policy.Generation, rec.State.Objections, rec.Decision.Reasons}
	want := summary{policies.DecisionLogMessage, "1.2", eng.Catalog().Hash(), policies.Pseudonym(key, rawID), "marketing.announcements",
		1, []string{"marketing.announcements"}, []string{privacy.ReasonObjectionActive}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision log record (-want +got):\n%s", diff)
	}
}

func TestPseudonymIsKeyed(t *testing.T) {
	a := policies.Pseudonym([]byte("key-a"), "u-1")
	tests := []struct {
		name     string
		key, id  string
		wantSame bool
	}{
		{"same key and id", "key-a", "u-1", true},
		{"other key", "key-b", "u-1", false},
		{"other id", "key-a", "u-2", false},
	}
	for _, tc := range tests {
		if got := policies.Pseudonym([]byte(tc.key), tc.id); (got == a) != tc.wantSame || len(got) != 32 {
			t.Errorf("%s: Pseudonym = %q (base %q), want same=%v and 32 characters", tc.name, got, a, tc.wantSame)
		}
	}
}

// TestDecisionLogReproducible follows the auditor's steps of docs/operations.md: it
// rebuilds the state from a log record, decides the logged request again
// under another subject id, and gets the logged outcome.
func TestDecisionLogReproducible(t *testing.T) {
	const rawID = "u-77"
	key := []byte("audit-key-audit-key-audit-key-32")
	var buf bytes.Buffer
	env := privacytest.New(t, policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)), key))
	env.Subject(rawID).Grant("research.surveys").ObjectToDirectMarketing()

	reqs := []privacy.Request{
		{Subject: privacy.Subject{ID: rawID, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, Purpose: "research.surveys", Data: []string{"instance.contact.email"}},
		{Subject: privacy.Subject{ID: rawID, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}},
		{Subject: privacy.Subject{ID: rawID, Kind: privacy.SubjectUser, Age: 12, Country: "NL"}, Purpose: "research.surveys", Data: []string{"instance.contact.email"}},
	}
	for _, r := range reqs {
		_, _ = env.Engine.Decide(t.Context(), r)
	}

	type record struct {
		Policy struct {
			CatalogHash string `json:"catalog_hash"`
		} `json:"policy"`
		Request json.RawMessage `json:"request"`
		State   struct {
			At      time.Time `json:"at"`
			Consent struct {
				Event         consent.Event `json:"event"`
				PolicyVersion string        `json:"policy_version"`
				Guardian      bool          `json:"guardian"`
				ExpiresAt     time.Time     `json:"expires_at"`
			} `json:"consent"`
			Objections  []string `json:"objections"`
			Restricted  bool     `json:"restricted"`
			Deactivated bool     `json:"deactivated"`
		} `json:"state"`
		Decision struct {
			Allowed     bool     `json:"allowed"`
			Basis       string   `json:"basis"`
			Reasons     []string `json:"reasons"`
			Obligations []string `json:"obligations"`
		} `json:"decision"`
	}
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		// (1) the catalog with the logged hash.
		cat := privacy.DefaultCatalog()
		if cat.Hash() != rec.Policy.CatalogHash {
			t.Fatalf("record %d: catalog hash %s is not the reference catalog's", i, rec.Policy.CatalogHash)
		}
		// (2) an engine on empty stores; (3) the logged state, for another id.
		audit := privacytest.New(t, policies.WithCatalog(cat))
		const id = "auditor-subject"
		var req privacy.Request
		if err := json.Unmarshal(bytes.Replace(rec.Request, []byte(`"pseudonym"`), []byte(`"id"`), 1), &req); err != nil {
			t.Fatal(err)
		}
		req.Subject.ID, req.Time = id, rec.State.At
		if ev := rec.State.Consent.Event; ev != "" {
			_, err := audit.Consents.Append(t.Context(), consent.Record{SubjectID: id, Purpose: req.Purpose, Event: ev,
				PolicyVersion: rec.State.Consent.PolicyVersion, Guardian: rec.State.Consent.Guardian, Method: "audit",
				CollectedAt: rec.State.At.Add(-time.Second), ExpiresAt: rec.State.Consent.ExpiresAt})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, o := range rec.State.Objections {
			if o == "direct_marketing" {
				audit.Subject(id).ObjectToDirectMarketing()
			} else {
				audit.Subject(id).Object(o)
			}
		}
		if rec.State.Restricted {
			audit.Subject(id).Restrict()
		}
		if rec.State.Deactivated {
			audit.Subject(id).Deactivate()
		}
		// (4) decide again.
		d, _ := audit.Engine.Decide(t.Context(), req)
		type outcome struct {
			Allowed              bool
			Basis                string
			Reasons, Obligations []string
		}
		want := outcome{rec.Decision.Allowed, rec.Decision.Basis, rec.Decision.Reasons, rec.Decision.Obligations}
		got := outcome{d.Allowed, string(d.Basis), d.Codes(), d.ObligationCodes()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record %d (%s) does not reproduce (-logged +reproduced):\n%s", i, req.Purpose, diff)
		}
	}
}

// TestDecisionLogRefusesShortKeys: without a real key the pseudonyms could
// be recomputed by anyone.
func TestDecisionLogRefusesShortKeys(t *testing.T) {
	t.Parallel()
	for _, key := range [][]byte{nil, {}, []byte("short")} {
		_, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithDecisionLog(slog.New(slog.DiscardHandler), key))
		if !errors.Is(err, privacy.ErrInvalid) {
			t.Errorf("key of %d bytes: error %v, want one wrapping privacy.ErrInvalid", len(key), err)
		}
	}
}

// TestDecisionLogTimesInvalidRequests: a request refused before any read
// is logged with its time, not the zero time.
func TestDecisionLogTimesInvalidRequests(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)), []byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if _, err := eng.Decide(t.Context(), privacy.Request{Subject: privacy.Subject{ID: "u-1"}, Purpose: "billing", Time: at}); err == nil {
		t.Fatal("an invalid request decided without error")
	}
	var rec struct {
		State struct{ At time.Time } `json:"state"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log record: %v\n%s", err, buf.String())
	}
	if !rec.State.At.Equal(at) {
		t.Errorf("state.at = %v, want the request's time %v", rec.State.At, at)
	}
}
