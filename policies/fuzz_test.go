package policies_test

import (
	"bytes"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// FuzzDecide decodes arbitrary bytes as a request and decides it: never a
// panic, never an allow together with an error or with reasons.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{
		`{"subject":{"id":"u-1","kind":"user","age":34,"country":"NL"},"purpose":"billing","data":["instance.financial"],"recipient":{"id":"p","kind":"processor","country":"US","dpa":true,"safeguard":"dpf"}}`,
		`{"subject":{"id":"g","kind":"guest","controller":"acme"},"purpose":"service.delivery","data":["guest"],"signals":{"gpc":true}}`,
		`{"subject":{"id":"c","kind":"user","age":13},"purpose":"marketing.profiling","data":["instance.contact.email"],"basis":"consent","automated_decision":true,"time":"2026-11-28T12:00:00Z"}`,
		`{"subject":{},"purpose":"","data":[]}`,
		`{"subject":{"id":"x","kind":"user"},"purpose":"support","data":[""],"recipient":{"kind":"third_party","sale":true}}`,
		`[]`, `null`, `{"subject":{"age":1e400}}`,
	} {
		f.Add([]byte(s))
	}
	eng, err := policies.New(f.Context(), policies.WithMemoryStores())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := privacy.DecodeRequest(bytes.NewReader(data))
		if err != nil {
			return
		}
		d, err := eng.Decide(t.Context(), req)
		if d.Allowed && (err != nil || len(d.Reasons) > 0 || d.Basis == "") {
			t.Fatalf("allowed with err=%v reasons=%v basis=%q", err, d.Codes(), d.Basis)
		}
		if err != nil && len(d.Reasons) == 0 {
			t.Fatalf("error %v without a reason", err)
		}
	})
}

func BenchmarkDecide(b *testing.B) {
	eng, err := policies.New(b.Context(), policies.WithMemoryStores())
	if err != nil {
		b.Fatal(err)
	}
	cases := map[string]privacy.Request{
		"allowed": {
			Subject:   privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
			Purpose:   "marketing.announcements",
			Data:      []string{"instance.contact.email", "instance.account.username"},
			Recipient: &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "US", DPA: true, Safeguard: privacy.SafeguardSCC},
		},
		"denied": {
			Subject:   privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
			Purpose:   "research.surveys",
			Data:      []string{"instance.contact.email", "instance.financial.card"},
			Recipient: &privacy.Recipient{ID: "x", Kind: privacy.RecipientThirdParty, Country: "IN"},
		},
	}
	for _, name := range []string{"allowed", "denied"} {
		req := cases[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := eng.Decide(b.Context(), req)
				if err != nil || d.Allowed != (name == "allowed") {
					b.Fatalf("unexpected decision %v %v", d.Codes(), err)
				}
			}
		})
	}
}
