package privacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// safeguards lists every safeguard a request may name.
func safeguards() []Safeguard {
	return []Safeguard{SafeguardNone, SafeguardSCC, SafeguardBCR, SafeguardDPF, SafeguardCodeOfConduct, SafeguardCertification}
}

func (s Safeguard) valid() bool { return s == "" || slices.Contains(safeguards(), s) }

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

	// Certifications lists the certifications the recipient holds that an
	// adequacy decision may require, such as "dpf" for a US organisation
	// on the Data Privacy Framework list (Decision (EU) 2023/1795 covers
	// only those). Optional; lower-case keys.
	Certifications []string `json:"certifications,omitempty"`
	// Sector states the recipient's sector where an adequacy decision
	// covers only some of a country's recipients: "commercial" (a private
	// organisation in commercial activity: PIPEDA in Canada, a business
	// operator under the APPI in Japan), "public" (a public body),
	// "credit_information" (personal credit information processed under
	// Korea's Credit Information Act by an entity the Financial Services
	// Commission supervises), "religious", "political", "journalism". The
	// catalog's adequacy entries name the sectors they cover and exclude;
	// a decision limited to some sectors does not cover a recipient that
	// states none. A public_authority recipient is always "public".
	// Optional; a lower-case key.
	Sector string `json:"sector,omitempty"`
	// Jurisdiction is the legal order a public authority (or court)
	// belongs to, ISO 3166-1 alpha-2, when it differs from Country (an
	// authority's office abroad). Empty means Country. An order of an
	// authority outside the EEA is not a legal obligation under Union or
	// member-state law (Art. 48, 6(3)).
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Derogation names what covers a transfer outside the EEA that has no
	// adequacy decision and no Art. 46 safeguard: an Art. 49(1) derogation
	// (see Derogation) or "international_agreement", a mutual legal
	// assistance treaty or other international agreement on which a
	// third-country authority's order rests (Art. 48). Optional.
	Derogation Derogation `json:"derogation,omitempty"`
	// Occasional marks a transfer that is occasional, not systematic:
	// Art. 49 derogations serve only occasional transfers (Recital 111,
	// EDPB Guidelines 2/2018). False means systematic.
	Occasional bool `json:"occasional,omitempty"`
	// InformProhibited reports that the law requiring a disclosure
	// forbids the operator, as processor, to tell the controller about it
	// on important grounds of public interest (Art. 28(3)(a)); without it
	// a legally required disclosure of a processor's data carries the
	// obligation inform_controller.
	InformProhibited bool `json:"inform_prohibited,omitempty"`
}

// Derogation is what covers a transfer outside the EEA without an
// adequacy decision or an Art. 46 safeguard: one of the derogations of
// Art. 49(1), which serve only occasional transfers, or an international
// agreement (Art. 48).
type Derogation string

// The derogations a request may name.
const (
	// DerogationExplicitConsent: Art. 49(1)(a), the subject explicitly
	// consented to the proposed transfer after being informed of its
	// risks. The engine reads that consent from the ledger under the
	// purpose TransferConsentPurpose(purpose, country).
	DerogationExplicitConsent Derogation = "explicit_consent"
	// DerogationContract: Art. 49(1)(b), necessary for the performance of
	// a contract between the subject and the controller.
	DerogationContract Derogation = "contract"
	// DerogationContractInInterest: Art. 49(1)(c), necessary for a
	// contract concluded in the subject's interest with another person.
	DerogationContractInInterest Derogation = "contract_in_interest"
	// DerogationPublicInterest: Art. 49(1)(d), important reasons of public
	// interest recognised in Union or member-state law (49(4)).
	DerogationPublicInterest Derogation = "public_interest"
	// DerogationLegalClaims: Art. 49(1)(e), the establishment, exercise or
	// defence of legal claims.
	DerogationLegalClaims Derogation = "legal_claims"
	// DerogationVitalInterests: Art. 49(1)(f), vital interests of the
	// subject or another person where the subject cannot consent.
	DerogationVitalInterests Derogation = "vital_interests"
	// DerogationPublicRegister: Art. 49(1)(g), a transfer from a public
	// register.
	DerogationPublicRegister Derogation = "public_register"
	// DerogationInternationalAgreement: the third-country authority's
	// order rests on an international agreement in force between it and
	// the Union or a member state, such as a mutual legal assistance
	// treaty (Art. 48). Not an Art. 49 derogation; it is the one way such
	// an order becomes a legal obligation the operator may follow.
	DerogationInternationalAgreement Derogation = "international_agreement"
)

// Derogations lists every derogation a request may name.
func Derogations() []Derogation {
	return []Derogation{DerogationExplicitConsent, DerogationContract, DerogationContractInInterest,
		DerogationPublicInterest, DerogationLegalClaims, DerogationVitalInterests, DerogationPublicRegister,
		DerogationInternationalAgreement}
}

func (d Derogation) valid() bool {
	for _, v := range Derogations() {
		if d == v {
			return true
		}
	}
	return false
}

// TransferConsentPurpose is the consent-ledger purpose under which the
// subject's explicit consent to transfers for purpose to country is
// recorded (Art. 49(1)(a)): "transfer.<purpose>.<country in lower
// case>", such as "transfer.support.us". A consent to one transfer does
// not cover another country or purpose: the subject must have been told
// the risks of that transfer.
func TransferConsentPurpose(purpose, country string) string {
	return "transfer." + purpose + "." + strings.ToLower(country)
}

// ParseTransferConsentPurpose splits a ledger purpose made by
// TransferConsentPurpose into the purpose and the country (upper case); ok
// is false for any other key.
func ParseTransferConsentPurpose(key string) (purpose, country string, ok bool) {
	rest, found := strings.CutPrefix(key, "transfer.")
	i := strings.LastIndexByte(rest, '.')
	if !found || i <= 0 || len(rest)-i != 3 {
		return "", "", false
	}
	cc := rest[i+1:]
	if cc[0] < 'a' || cc[0] > 'z' || cc[1] < 'a' || cc[1] > 'z' {
		return "", "", false
	}
	return rest[:i], strings.ToUpper(cc), true
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
// ids (the subject's, the purpose, data keys, and the controller and
// recipient id when given: not blank, at most MaxIDLength bytes of UTF-8
// without NUL), recipient kind, safeguard, country codes and age. It returns a
// *ValidationError wrapping ErrInvalidRequest that names the first field at
// fault. Whether the subject kind, purpose and categories exist is for the
// catalog and the policy to say.
func (r *Request) Validate() error {
	if err := CheckID("subject.id", r.Subject.ID); err != nil {
		return asRequestError(err)
	}
	switch {
	case r.Subject.Kind == "":
		return invalidRequest("subject.kind", "is required")
	case r.Subject.Age < 0 || r.Subject.Age > 150:
		return invalidRequest("subject.age", "must be between 0 (unknown) and 150, got %d", r.Subject.Age)
	}
	if r.Subject.Controller != "" {
		// Optional, but kept in the decision log and the cache key: bounded
		// and printable like every id.
		if err := CheckID("subject.controller", r.Subject.Controller); err != nil {
			return asRequestError(err)
		}
	}
	if err := CheckID("purpose", r.Purpose); err != nil {
		return asRequestError(err)
	}
	switch {
	case len(r.Data) == 0:
		return invalidRequest("data", "must name at least one category")
	case len(r.Data) > MaxDataKeys:
		return invalidRequest("data", "names %d categories, more than %d", len(r.Data), MaxDataKeys)
	}
	if err := CheckTime("time", r.Time); err != nil {
		return asRequestError(err)
	}
	if err := checkCountry("subject.country", r.Subject.Country); err != nil {
		return err
	}
	for i, d := range r.Data {
		if err := CheckID("", d); err != nil {
			// The field's name is built only when needed: Validate runs on
			// every decision, cached ones included.
			err.(*ValidationError).Field = fmt.Sprintf("data[%d]", i)
			return asRequestError(err)
		}
	}
	if r.Basis != "" && !r.Basis.Valid() {
		return invalidRequest("basis", "unknown lawful basis %q%s", r.Basis, DidYouMean(string(r.Basis), strs(append(lawfulbasis.All(), lawfulbasis.ControllerInstruction))))
	}
	if rc := r.Recipient; rc != nil {
		if rc.ID != "" {
			// Optional, but an organisation's id is kept verbatim in the
			// decision log: bounded, so that one request cannot make a log
			// line too long to read back.
			if err := CheckID("recipient.id", rc.ID); err != nil {
				return asRequestError(err)
			}
		}
		if rc.Kind == "" {
			return invalidRequest("recipient.kind", "is required when a recipient is given")
		}
		if !rc.Kind.valid() {
			return invalidRequest("recipient.kind", "unknown recipient kind %q%s (want one of %v)", rc.Kind, DidYouMean(string(rc.Kind), strs(RecipientKinds())), RecipientKinds())
		}
		if !rc.Safeguard.valid() {
			return invalidRequest("recipient.safeguard", "unknown safeguard %q%s (want one of %v)", rc.Safeguard, DidYouMean(string(rc.Safeguard), strs(safeguards())), safeguards())
		}
		if err := checkCountry("recipient.country", rc.Country); err != nil {
			return err
		}
		if err := checkCountry("recipient.jurisdiction", rc.Jurisdiction); err != nil {
			return err
		}
		if rc.Sector != "" && (!keyPattern.MatchString(rc.Sector) || len(rc.Sector) > MaxIDLength) {
			return invalidRequest("recipient.sector", "must be a lower-case key such as \"commercial\", got %q", rc.Sector)
		}
		if len(rc.Certifications) > MaxDataKeys {
			return invalidRequest("recipient.certifications", "names %d certifications, more than %d", len(rc.Certifications), MaxDataKeys)
		}
		for i, c := range rc.Certifications {
			if !keyPattern.MatchString(c) || len(c) > MaxIDLength {
				return invalidRequest(fmt.Sprintf("recipient.certifications[%d]", i), "must be a lower-case key such as \"dpf\", got %q", c)
			}
		}
		if rc.Derogation != "" && !rc.Derogation.valid() {
			return invalidRequest("recipient.derogation", "unknown derogation %q (want one of %v)", rc.Derogation, Derogations())
		}
	}
	return nil
}

// asRequestError marks a *ValidationError as one of a request.
func asRequestError(err error) error {
	if ve, ok := err.(*ValidationError); ok {
		ve.Kind = ErrInvalidRequest
	}
	return err
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

// DecodeRequest reads one request as JSON from rd, at most MaxRequestBytes.
// Unknown fields, duplicate keys (also keys differing only by case), a
// value of the wrong type, an explicit zero time or one CheckTime refuses,
// trailing data and a larger input are errors wrapping ErrInvalidRequest
// that name the field. Keys match field names as encoding/json matches
// them (exactly, else without regard to case). It does not call Validate.
func DecodeRequest(rd io.Reader) (Request, error) {
	var req Request
	if err := DecodeJSON(rd, "request", MaxRequestBytes, "MaxRequestBytes", &req); err != nil {
		return Request{}, asRequestError(err)
	}
	return req, nil
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
