package accountability_test

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/policies"
)

// TestDecisionLogReplaysAreNoProcessing: an audit replay (Engine.Replay,
// "replay": true in the log) re-decides a past processing; it discloses
// nothing. The record's transfers (Art. 30(1)(e)) and a subject's
// disclosures (Art. 15(1)(c), 19) count the processing once, and a replay
// of a moment long before it does not move the disclosure's first date.
func TestDecisionLogReplaysAreNoProcessing(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	var buf bytes.Buffer
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(),
		policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)), key))
	if err != nil {
		t.Fatal(err)
	}
	req := privacy.Request{Subject: privacy.Subject{ID: "ann", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "support", Data: []string{"instance.contact.email"},
		Recipient: &privacy.Recipient{ID: "helpdesk", Kind: privacy.RecipientProcessor, Country: "US", DPA: true, Safeguard: privacy.SafeguardSCC}}
	if d, err := eng.Decide(t.Context(), req); err != nil || !d.Allowed {
		t.Fatalf("Decide: %v, %v", d, err)
	}
	past := time.Now().AddDate(-2, 0, 0)
	for range 2 {
		replay := req
		replay.Time = past
		if d, err := eng.Replay(t.Context(), replay); err != nil || !d.Allowed {
			t.Fatalf("Replay: %v, %v", d, err)
		}
	}
	in, err := accountability.ReadDecisionLog(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Transfers) != 1 || in.Transfers[0].Count != 1 {
		t.Errorf("transfers %+v: want one, counted once (replays are no transfers)", in.Transfers)
	}
	got, err := accountability.ReadDisclosures(bytes.NewReader(buf.Bytes()), privacy.Pseudonym(key, "ann"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Count != 1 || got[0].First.Before(past.AddDate(1, 0, 0)) {
		t.Errorf("disclosures %+v: want one, counted once, first at the decision, not at the replayed moment", got)
	}
}
