package privacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy/lawfulbasis"
)

// SubjectKind names a kind of data subject the catalog knows, such as "user"
// (an account holder) or "guest" (a person an account holder invites). The
// catalog says, for each kind, whether the operator is controller or
// processor of its data.
type SubjectKind string

// The subject kinds of the reference catalog.
const (
	SubjectUser  SubjectKind = "user"
	SubjectGuest SubjectKind = "guest"
)

// Subject is the person whose data a request processes.
type Subject struct {
	// ID identifies the subject in the calling service. Required.
	ID string `json:"id"`
	// Kind is one of the catalog's subject kinds. Required.
	Kind SubjectKind `json:"kind"`
	// Age in whole years; 0 means unknown. Used for Art. 8 (age of digital
	// consent) and the protection of children under legitimate interests.
	Age int `json:"age"`
	// Country is the subject's country of residence, ISO 3166-1 alpha-2.
	Country string `json:"country"`
	// Controller names the controller of the subject's data where the
	// operator is only a processor (a guest's account holder company).
	Controller string `json:"controller"`
}

// RecipientKind is the kind of party personal data is disclosed to.
type RecipientKind string

// The recipient kinds a request may name.
const (
	RecipientAffiliate       RecipientKind = "affiliate"
	RecipientProcessor       RecipientKind = "processor"
	RecipientPartner         RecipientKind = "partner"
	RecipientThirdParty      RecipientKind = "third_party"
	RecipientPublicAuthority RecipientKind = "public_authority"
	RecipientIndividual      RecipientKind = "individual"
)

// RecipientKinds lists every recipient kind.
func RecipientKinds() []RecipientKind {
	return []RecipientKind{RecipientAffiliate, RecipientProcessor, RecipientPartner,
		RecipientThirdParty, RecipientPublicAuthority, RecipientIndividual}
}

func (k RecipientKind) valid() bool {
	for _, v := range RecipientKinds() {
		if k == v {
			return true
		}
	}
	return false
}

// Safeguard is the transfer tool that covers a disclosure to a recipient
// outside the EEA (GDPR Chapter V).
type Safeguard string

// The safeguards a request may name. The empty Safeguard means none was
// named, the same as SafeguardNone.
const (
	SafeguardNone Safeguard = "none"
	// SafeguardSCC: standard contractual clauses of Implementing Decision
	// (EU) 2021/914 (Art. 46(2)(c)).
	SafeguardSCC Safeguard = "scc"
	// SafeguardBCR: binding corporate rules (Art. 46(2)(b), 47).
	SafeguardBCR Safeguard = "bcr"
	// SafeguardDPF: the recipient is a US organisation certified under the
	// EU-US Data Privacy Framework, the only US recipients the adequacy
	// decision (EU) 2023/1795 covers.
	SafeguardDPF Safeguard = "dpf"
	// SafeguardCodeOfConduct: an approved code of conduct (Art. 46(2)(e)).
	SafeguardCodeOfConduct Safeguard = "code_of_conduct"
	// SafeguardCertification: an approved certification (Art. 46(2)(f)).
	SafeguardCertification Safeguard = "certification"
)

func (s Safeguard) valid() bool {
	switch s {
	case "", SafeguardNone, SafeguardSCC, SafeguardBCR, SafeguardDPF, SafeguardCodeOfConduct, SafeguardCertification:
		return true
	}
	return false
}

// Recipient is the party a request discloses personal data to. A request
// without a recipient is internal use.
type Recipient struct {
	ID   string        `json:"id"`
	Kind RecipientKind `json:"kind"`
	// Country is where the recipient processes the data, ISO 3166-1
	// alpha-2. An empty country cannot be assessed for a transfer and is
	// treated as outside the EEA without adequacy.
	Country string `json:"country"`
	// DPA reports whether a data-processing agreement (Art. 28(3)) is in
	// place with the recipient.
	DPA       bool      `json:"dpa"`
	Safeguard Safeguard `json:"safeguard"`
	// Sale reports whether the disclosure is a sale or rental of the data.
	Sale bool `json:"sale"`
}

// Signals are privacy signals that came with the subject's request.
type Signals struct {
	// GPC is the Global Privacy Control signal (Sec-GPC: 1). It counts as an
	// objection to direct marketing and sale (Art. 21(5)).
	GPC bool `json:"gpc"`
}

// Request describes one processing of personal data the caller wants to
// perform: whose data, which categories, for which purpose, on which basis,
// disclosed to whom. It marshals to and from the JSON of the decision
// contract.
type Request struct {
	Subject Subject `json:"subject"`
	Purpose string  `json:"purpose"`
	// Data lists catalog category keys; a parent key means all its children.
	Data []string `json:"data"`
	// Basis is optional: when empty the engine tries the purpose's declared
	// bases in order.
	Basis lawfulbasis.Basis `json:"basis,omitempty"`
	// Recipient is optional: nil means internal use.
	Recipient *Recipient `json:"recipient,omitempty"`
	// AutomatedDecision marks a decision based solely on automated
	// processing with legal or similarly significant effect (Art. 22).
	AutomatedDecision  bool    `json:"automated_decision"`
	EncryptedInTransit bool    `json:"encrypted_in_transit"`
	Signals            Signals `json:"signals"`
	// Time is the moment of the processing; zero means now. Consent expiry
	// and retention are judged at this time.
	Time time.Time `json:"time,omitzero"`
}

// Validate checks the request's shape without a catalog: required fields,
// recipient kind, safeguard, country codes and age. It returns a
// *ValidationError wrapping ErrInvalidRequest that names the first field at
// fault. Whether the subject kind, purpose and categories exist is for the
// catalog and the policy to say.
func (r *Request) Validate() error {
	switch {
	case strings.TrimSpace(r.Subject.ID) == "":
		return invalidRequest("subject.id", "is required")
	case r.Subject.Kind == "":
		return invalidRequest("subject.kind", "is required")
	case r.Subject.Age < 0 || r.Subject.Age > 150:
		return invalidRequest("subject.age", "must be between 0 (unknown) and 150, got %d", r.Subject.Age)
	case strings.TrimSpace(r.Purpose) == "":
		return invalidRequest("purpose", "is required")
	case len(r.Data) == 0:
		return invalidRequest("data", "must name at least one category")
	}
	if err := checkCountry("subject.country", r.Subject.Country); err != nil {
		return err
	}
	for i, d := range r.Data {
		if strings.TrimSpace(d) == "" {
			return invalidRequest(fmt.Sprintf("data[%d]", i), "is empty")
		}
	}
	if r.Basis != "" && !r.Basis.Valid() {
		return invalidRequest("basis", "unknown lawful basis %q", r.Basis)
	}
	if rc := r.Recipient; rc != nil {
		if rc.Kind == "" {
			return invalidRequest("recipient.kind", "is required when a recipient is given")
		}
		if !rc.Kind.valid() {
			return invalidRequest("recipient.kind", "unknown recipient kind %q (want one of %v)", rc.Kind, RecipientKinds())
		}
		if !rc.Safeguard.valid() {
			return invalidRequest("recipient.safeguard", "unknown safeguard %q", rc.Safeguard)
		}
		if err := checkCountry("recipient.country", rc.Country); err != nil {
			return err
		}
	}
	return nil
}

func checkCountry(field, c string) error {
	if c == "" {
		return nil
	}
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return invalidRequest(field, "must be an upper-case ISO 3166-1 alpha-2 code, got %q", c)
	}
	return nil
}

// DecodeRequest reads one request as JSON from rd. Unknown fields, a value of
// the wrong type and trailing data are errors wrapping ErrInvalidRequest that
// name the field. It does not call Validate.
func DecodeRequest(rd io.Reader) (Request, error) {
	var req Request
	if err := decodeStrict(rd, &req); err != nil {
		return Request{}, err
	}
	return req, nil
}

// decodeStrict decodes exactly one JSON object into the struct v points
// to and translates the decoder's errors into *ValidationError naming the
// field by its path ("recipient.country").
func decodeStrict(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return invalidRequest("", "unexpected data after the JSON value")
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); !errors.Is(err, io.EOF) {
		return invalidRequest("", "unexpected data after the JSON value")
	}
	return decodeObject(raw, reflect.ValueOf(v).Elem(), "")
}

// decodeObject decodes the JSON object data into the struct v one field at
// a time, so that an unknown key, a value of the wrong type or one the
// field's own decoder refuses is reported with its path (prefix + key).
// Nested structs without a decoder of their own are decoded the same way.
func decodeObject(data []byte, v reflect.Value, prefix string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return invalidRequest(strings.TrimSuffix(prefix, "."), "want a JSON object, got %s", jsonKind(data))
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same first error for the same input
	for _, key := range keys {
		f, name, ok := fieldByJSONName(v, key)
		if !ok {
			return invalidRequest(prefix+key, "unknown field")
		}
		path, val := prefix+name, fields[key]
		t := f.Type()
		nested := t.Kind() == reflect.Struct || t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
		if nested && !reflect.PointerTo(t).Implements(unmarshalerType) && !t.Implements(unmarshalerType) {
			if string(bytes.TrimSpace(val)) == "null" {
				f.SetZero()
				continue
			}
			if t.Kind() == reflect.Pointer {
				f.Set(reflect.New(t.Elem()))
				f = f.Elem()
			}
			if err := decodeObject(val, f, path+"."); err != nil {
				return err
			}
			continue
		}
		if err := json.Unmarshal(val, f.Addr().Interface()); err != nil {
			var typ *json.UnmarshalTypeError
			switch {
			case t == reflect.TypeFor[time.Time]():
				return invalidRequest(path, "want an RFC 3339 time such as 2026-11-28T12:00:00Z, got %s", val)
			case errors.As(err, &typ):
				return invalidRequest(path, "want %s, got JSON %s", typ.Type, typ.Value)
			default:
				// Errors from UnmarshalText of typed fields (lawful basis).
				return invalidRequest(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
			}
		}
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// fieldByJSONName returns the field of the struct v whose JSON name is
// key, matched as encoding/json does (exactly, else without regard to
// case), and that name.
func fieldByJSONName(v reflect.Value, key string) (reflect.Value, string, bool) {
	t := v.Type()
	fold := -1
	var foldName string
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name == key {
			return v.Field(i), name, true
		}
		if fold < 0 && strings.EqualFold(name, key) {
			fold, foldName = i, name
		}
	}
	if fold >= 0 {
		return v.Field(fold), foldName, true
	}
	return reflect.Value{}, "", false
}

// jsonKind names the kind of JSON value data holds, for messages.
func jsonKind(data []byte) string {
	switch b := bytes.TrimSpace(data); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case b[0] == 't' || b[0] == 'f':
		return "a boolean"
	case b[0] == 'n':
		return "null"
	default:
		return "a number"
	}
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return invalidRequest("", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.Is(err, io.EOF):
		return invalidRequest("", "empty input: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidRequest("", "truncated JSON")
	}
	return invalidRequest("", "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// MarshalIndent is a convenience for printing requests and decisions.
func marshalIndent(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}
