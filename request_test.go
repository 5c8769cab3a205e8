package privacy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
)

// The request JSON of SPEC.md decodes into Request and encodes back to the
// same document.
func TestRequestJSONContract(t *testing.T) {
	t.Parallel()
	const spec = `{
  "subject":   {"id": "u-1", "kind": "user", "age": 34, "country": "NL", "controller": ""},
  "purpose":   "marketing.announcements",
  "data":      ["instance.contact.email"],
  "basis":     "legitimate_interests",
  "recipient": {"id": "mailer", "kind": "processor", "country": "US", "dpa": true,
                "safeguard": "scc", "sale": false},
  "automated_decision": false,
  "encrypted_in_transit": true,
  "signals":   {"gpc": false},
  "time":      "2026-11-28T12:00:00Z"
}`
	req, err := privacy.DecodeRequest(strings.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	want := privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: "user", Age: 34, Country: "NL"},
		Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}, Basis: "legitimate_interests",
		Recipient:          &privacy.Recipient{ID: "mailer", Kind: "processor", Country: "US", DPA: true, Safeguard: "scc"},
		EncryptedInTransit: true, Time: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Fatalf("decoded (-want +got):\n%s", diff)
	}
	if err := req.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	out, _ := json.Marshal(req)
	var a, b any
	_ = json.Unmarshal([]byte(spec), &a)
	_ = json.Unmarshal(out, &b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("re-encoded (-spec +got):\n%s", diff)
	}
}

func TestDecisionJSONContract(t *testing.T) {
	t.Parallel()
	d := privacy.Deny("1.2", privacy.Reason{Code: "consent.missing", Article: "GDPR Art. 6(1)(a), 7(1)", Clause: "How do we use your data?", Message: "..."})
	out, _ := json.Marshal(d)
	const want = `{"allowed":false,"basis":"","reasons":[{"code":"consent.missing","article":"GDPR Art. 6(1)(a), 7(1)","clause":"How do we use your data?","message":"..."}],"obligations":[],"policy_version":"1.2"}`
	if string(out) != want {
		t.Errorf("decision JSON\n got %s\nwant %s", out, want)
	}
	var back privacy.Decision
	if err := json.Unmarshal(out, &back); err != nil || !back.Has("consent.missing") {
		t.Errorf("round trip: %v %v", back, err)
	}
}

func TestNormalizeNeverAllowsWithReasons(t *testing.T) {
	t.Parallel()
	d := privacy.Decision{Allowed: true, Basis: "consent",
		Reasons:     []privacy.Reason{{Code: "b", Message: "2"}, {Code: "a"}, {Code: "b", Message: "1"}},
		Obligations: []privacy.Obligation{{Code: "log_disclosure"}}}
	d.Normalize()
	if d.Allowed || d.Basis != "" || len(d.Obligations) != 0 {
		t.Fatalf("Normalize kept an allow with reasons: %+v", d)
	}
	if diff := cmp.Diff([]string{"a", "b"}, d.Codes()); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if d.Reasons[1].Message != "2; 1" {
		t.Errorf("merged message = %q", d.Reasons[1].Message)
	}
}

func TestDecodeRequestErrorsNameTheField(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, field, want string }{
		{"wrong type", `{"subject":{"age":"x"}}`, "subject.age", "want int"},
		{"unknown field", `{"subject":{"idd":"x"}}`, "subject.idd", "unknown field"},
		{"unknown recipient field", `{"recipient":{"id":"a","foo":1}}`, "recipient.foo", "unknown field"},
		{"unknown top-level field", `{"purpose":"billing","color":"red"}`, "color", "unknown field"},
		{"bad basis", `{"basis":"vibes"}`, "basis", "vibes"},
		{"bad time", `{"time":"yesterday"}`, "time", "RFC 3339"},
		{"time as a number", `{"time":5}`, "time", "RFC 3339"},
		{"data as a string", `{"data":"instance"}`, "data", "want a JSON array"},
		{"subject as a number", `{"subject":5}`, "subject", "want a JSON object"},
		{"recipient kind as a number", `{"recipient":{"kind":1}}`, "recipient.kind", "want"},
		{"gpc as a string", `{"signals":{"gpc":"1"}}`, "signals.gpc", "want bool"},
		{"an array", `[]`, "", "want a JSON object"},
		{"trailing data", `{} {}`, "", "after the JSON value"},
		{"empty", ``, "", "empty input"},
		{"truncated", `{"subject":`, "", "truncated"},
		{"syntax", `{"subject" 1}`, "", "malformed JSON"},
		{"too large", `{"purpose":"` + strings.Repeat("x", privacy.MaxRequestBytes) + `"}`, "", "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := privacy.DecodeRequest(strings.NewReader(tc.in))
			var ve *privacy.ValidationError
			if !errors.Is(err, privacy.ErrInvalidRequest) || !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError wrapping ErrInvalidRequest", err)
			}
			if ve.Field != tc.field || !strings.Contains(ve.Message, tc.want) {
				t.Errorf("field %q, message %q; want field %q, a message with %q", ve.Field, ve.Message, tc.field, tc.want)
			}
			if privacy.ErrorCode(err) != privacy.EINVALID {
				t.Errorf("ErrorCode = %q, want %q", privacy.ErrorCode(err), privacy.EINVALID)
			}
		})
	}
}

// TestDecodeRequestMatchesFieldNamesAsEncodingJSON checks that keys match
// struct fields as encoding/json matches them: exactly, else regardless of
// case.
func TestDecodeRequestMatchesFieldNamesAsEncodingJSON(t *testing.T) {
	t.Parallel()
	req, err := privacy.DecodeRequest(strings.NewReader(`{"Subject":{"ID":"u-1","kind":"user"},"PURPOSE":"billing","data":["instance"],"recipient":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Subject.ID != "u-1" || req.Purpose != "billing" || req.Recipient != nil {
		t.Errorf("decoded %+v", req)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"subject":{"id":"u-1","kind":"user","age":34,"country":"NL"},"purpose":"billing","data":["instance.financial"]}`))
	f.Add([]byte(`{"recipient":{"kind":"processor","safeguard":"dpf","country":"us"}}`))
	f.Add([]byte(`{"time":"2026-11-28T12:00:00Z","basis":"consent"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := privacy.DecodeRequest(strings.NewReader(string(data)))
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalidRequest) {
				t.Fatalf("decode error does not wrap ErrInvalidRequest: %v", err)
			}
			return
		}
		if err := req.Validate(); err != nil && !errors.Is(err, privacy.ErrInvalidRequest) {
			t.Fatalf("validate error does not wrap ErrInvalidRequest: %v", err)
		}
	})
}

// TestValidateLimits: ids the stores cannot hold, times 64-bit nanoseconds
// cannot hold and requests too large to evaluate cheaply are invalid,
// naming the field.
func TestValidateLimits(t *testing.T) {
	t.Parallel()
	valid := func() privacy.Request {
		return privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}, Purpose: "billing",
			Data: []string{"instance.contact.email"}}
	}
	tests := []struct {
		name  string
		edit  func(*privacy.Request)
		field string
	}{
		{"NUL in the subject id", func(r *privacy.Request) { r.Subject.ID = "u\x00-1" }, "subject.id"},
		{"invalid UTF-8 in the subject id", func(r *privacy.Request) { r.Subject.ID = "u\xff" }, "subject.id"},
		{"overlong subject id", func(r *privacy.Request) { r.Subject.ID = strings.Repeat("u", privacy.MaxIDLength+1) }, "subject.id"},
		{"overlong purpose", func(r *privacy.Request) { r.Purpose = strings.Repeat("p", privacy.MaxIDLength+1) }, "purpose"},
		{"NUL in the purpose", func(r *privacy.Request) { r.Purpose = "billing\x00" }, "purpose"},
		{"invalid UTF-8 in the purpose", func(r *privacy.Request) { r.Purpose = "billing\xff" }, "purpose"},
		{"overlong controller", func(r *privacy.Request) { r.Subject.Controller = strings.Repeat("c", privacy.MaxIDLength+1) }, "subject.controller"},
		{"NUL in the controller", func(r *privacy.Request) { r.Subject.Controller = "acme\x00" }, "subject.controller"},
		{"blank controller", func(r *privacy.Request) { r.Subject.Controller = " " }, "subject.controller"},
		{"overlong recipient id", func(r *privacy.Request) {
			r.Recipient = &privacy.Recipient{ID: strings.Repeat("r", 2<<20), Kind: "processor", Country: "NL", DPA: true}
		}, "recipient.id"},
		{"invalid UTF-8 in the recipient id", func(r *privacy.Request) {
			r.Recipient = &privacy.Recipient{ID: "psp\xff", Kind: "processor", Country: "NL", DPA: true}
		}, "recipient.id"},
		{"too many data keys", func(r *privacy.Request) {
			r.Data = make([]string, privacy.MaxDataKeys+1)
			for i := range r.Data {
				r.Data[i] = "instance.contact.email"
			}
		}, "data"},
		{"NUL in a data key", func(r *privacy.Request) { r.Data = []string{"instance\x00"} }, "data[0]"},
		{"time after 2262", func(r *privacy.Request) { r.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, "time"},
		{"time before 1677", func(r *privacy.Request) { r.Time = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC) }, "time"},
		{"jurisdiction not a country", func(r *privacy.Request) {
			r.Recipient = &privacy.Recipient{Kind: "public_authority", Jurisdiction: "usa"}
		}, "recipient.jurisdiction"},
		{"sector not a key", func(r *privacy.Request) { r.Recipient = &privacy.Recipient{Kind: "processor", Sector: "Commercial"} }, "recipient.sector"},
		{"certification not a key", func(r *privacy.Request) {
			r.Recipient = &privacy.Recipient{Kind: "processor", Certifications: []string{"dpf", "DPF!"}}
		}, "recipient.certifications[1]"},
		{"unknown derogation", func(r *privacy.Request) { r.Recipient = &privacy.Recipient{Kind: "processor", Derogation: "necessity"} }, "recipient.derogation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.edit(&r)
			var ve *privacy.ValidationError
			if err := r.Validate(); !errors.Is(err, privacy.ErrInvalidRequest) || !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("Validate = %v, want an invalid-request error naming %s", err, tc.field)
			}
		})
	}
	r := valid()
	r.Time = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := r.Validate(); err != nil {
		t.Errorf("a time in 2262: %v", err)
	}
}
