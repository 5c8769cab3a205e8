package policies_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
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
	eng, err := policies.New(t.Context(),
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
