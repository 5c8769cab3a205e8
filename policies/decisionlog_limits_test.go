package policies_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/policies"
)

// TestDecisionLogBoundsInvalidRequests: a request refused for its size
// (a purpose, data keys or recipient fields far over privacy.MaxIDLength
// and MaxDataKeys) is logged bounded, so that one caller cannot write
// megabytes into the log, nor a line longer than
// privacy.MaxDecisionLogLineBytes that makes the whole log unreadable for
// the record of processing (accountability.ReadDecisionLog).
func TestDecisionLogBoundsInvalidRequests(t *testing.T) {
	var buf bytes.Buffer
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(),
		policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)), []byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 100_000)
	data := make([]string, 2*privacy.MaxDataKeys)
	for i := range data {
		data[i] = strings.Repeat("d", 2*privacy.MaxIDLength)
	}
	reqs := []privacy.Request{
		{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}, Purpose: long, Data: []string{"instance.contact.email"}},
		{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}, Purpose: "support", Data: data},
		{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectKind(long), Country: long, Controller: long}, Purpose: "support", Data: []string{"instance.contact.email"}},
		{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}, Purpose: "support", Data: []string{"instance.contact.email"},
			Recipient: &privacy.Recipient{ID: long, Kind: privacy.RecipientProcessor, Country: long, Sector: long, Jurisdiction: long,
				Derogation: privacy.Derogation(long), Safeguard: privacy.Safeguard(long), Certifications: data}},
	}
	for _, req := range reqs {
		if _, err := eng.Decide(t.Context(), req); err == nil {
			t.Fatal("an oversized request was not refused")
		}
	}
	for i, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if limit := []int{16 << 10, privacy.MaxDecisionLogLineBytes / 2}[min(i, 1)]; len(line) > limit {
			t.Errorf("decision log line %d is %d bytes long for a refused request", i+1, len(line))
		}
		if !bytes.Contains(line, []byte(`"truncated":true`)) {
			t.Errorf("decision log line %d does not say it is truncated", i+1)
		}
	}
	if _, err := accountability.ReadDecisionLog(bytes.NewReader(buf.Bytes())); err != nil {
		t.Errorf("ReadDecisionLog: %v", err)
	}
}
