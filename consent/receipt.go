package consent

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
)

// ReceiptVersion is the Kantara Consent Receipt version receipts declare.
const ReceiptVersion = "KI-CR-v1.1.0"

// Receipt is a consent receipt a subject can be handed for one ledger
// record: the fields of the Kantara Initiative Consent Receipt
// Specification v1.1, with the ISO/IEC TS 27560 event of the record and the
// ledger proof as extensions. NewReceipt fills it; marshal it with
// encoding/json. PolicyURL is the caller's to set: the catalog does not
// hold one.
type Receipt struct {
	Version          string `json:"version"`
	Jurisdiction     string `json:"jurisdiction"`
	ConsentTimestamp int64  `json:"consentTimestamp"`
	CollectionMethod string `json:"collectionMethod"`
	ConsentReceiptID string `json:"consentReceiptID"`
	Language         string `json:"language,omitempty"`
	// PIIPrincipalID is the subject id, or "ref:" and the SubjectRef of an
	// erased subject.
	PIIPrincipalID string              `json:"piiPrincipalId"`
	PIIControllers []ReceiptController `json:"piiControllers"`
	PolicyURL      string              `json:"policyUrl"`
	Services       []ReceiptService    `json:"services"`
	Sensitive      bool                `json:"sensitive"`
	SPICat         []string            `json:"spiCat"`

	// Event is the ISO/IEC TS 27560 event the record records.
	Event ReceiptEvent `json:"event"`
	// Proof places the record in the ledger.
	Proof ReceiptProof `json:"proof"`
}

// ReceiptController is a Kantara piiControllers entry.
type ReceiptController struct {
	PIIController string `json:"piiController"`
	OnBehalf      bool   `json:"onBehalf"`
	Contact       string `json:"contact,omitempty"`
	Address       string `json:"address,omitempty"`
	Email         string `json:"email,omitempty"`
	Phone         string `json:"phone,omitempty"`
}

// ReceiptService is a Kantara services entry.
type ReceiptService struct {
	Service  string           `json:"service"`
	Purposes []ReceiptPurpose `json:"purposes"`
}

// ReceiptPurpose is a Kantara purposes entry. PurposeCategory and
// PIICategory hold the DPV IRIs of the catalog where it gives one, and the
// catalog key otherwise.
type ReceiptPurpose struct {
	Purpose              string   `json:"purpose"`
	PurposeCategory      []string `json:"purposeCategory"`
	ConsentType          string   `json:"consentType"`
	PIICategory          []string `json:"piiCategory"`
	PrimaryPurpose       bool     `json:"primaryPurpose"`
	Termination          string   `json:"termination"`
	ThirdPartyDisclosure bool     `json:"thirdPartyDisclosure"`
	ThirdPartyName       string   `json:"thirdPartyName,omitempty"`
}

// ReceiptEvent is the event part of an ISO/IEC TS 27560 record.
type ReceiptEvent struct {
	// Type is the record's Event: given, refused, withdrawn, expired.
	Type Event `json:"type"`
	// State is the DPV consent state, such as dpv:ConsentGiven.
	State string    `json:"state"`
	Time  time.Time `json:"time"`
	// Expiry is when a given consent lapses.
	Expiry        time.Time `json:"expiry,omitzero"`
	Method        string    `json:"method"`
	CollectedBy   string    `json:"collectedBy,omitempty"`
	PolicyVersion string    `json:"policyVersion,omitempty"`
	NoticeHash    string    `json:"noticeHash,omitempty"`
	PurposeKey    string    `json:"purposeKey"`
	PIIData       []string  `json:"personalData,omitempty"`
	Guardian      bool      `json:"guardian"`
}

// ReceiptProof places a record in the ledger: anyone holding the receipt
// can ask the controller to show that the ledger still holds a record with
// this Seq and Hash.
type ReceiptProof struct {
	Algorithm  string `json:"algorithm"`
	Seq        int64  `json:"seq"`
	Hash       string `json:"hash"`
	PrevHash   string `json:"prevHash"`
	SubjectRef string `json:"subjectRef,omitempty"`
}

// dpvStates maps events to DPV consent states.
var dpvStates = map[Event]string{
	Given:     "dpv:ConsentGiven",
	Refused:   "dpv:ConsentRefused",
	Withdrawn: "dpv:ConsentWithdrawn",
	Expired:   "dpv:ConsentExpired",
}

// NewReceipt returns the receipt of record r, described with catalog c (the
// controller, the purpose's wording, DPV IRIs and recipients). It fails
// when c does not declare the record's purpose.
func NewReceipt(r Record, c *privacy.Catalog) (*Receipt, error) {
	p := c.Purpose(r.Purpose)
	if p == nil {
		return nil, &privacy.ValidationError{Field: "purpose", Message: fmt.Sprintf("record %s: purpose %q is not in the catalog", r.RecordID, r.Purpose)}
	}
	principal := r.SubjectID
	if principal == "" {
		principal = "ref:" + r.SubjectRef
	}
	controller := ReceiptController{PIIController: c.Controller.Name, Contact: c.Controller.Contact,
		Address: c.Controller.Address, Email: emailOf(c.Controller.Contact), Phone: c.Controller.Phone}
	if r.Controller != "" && r.Controller != c.Controller.Name {
		// A guest's controller is the account holder's company; the
		// operator collects on its behalf.
		controller = ReceiptController{PIIController: r.Controller, OnBehalf: true}
	}

	purposeCat := []string{p.Key}
	if p.DPV != "" {
		purposeCat = []string{p.DPV}
	}
	cats := r.Categories
	if len(cats) == 0 {
		cats = p.Categories
	}
	var piiCat []string
	for _, key := range cats {
		leaves := c.Leaves(key)
		if len(leaves) == 0 {
			leaves = []string{key}
		}
		for _, l := range leaves {
			v := l
			if cat := c.Category(l); cat != nil && cat.DPV != "" {
				v = cat.DPV
			}
			if !slices.Contains(piiCat, v) {
				piiCat = append(piiCat, v)
			}
		}
	}
	if piiCat == nil {
		piiCat = []string{}
	}
	var third []string
	for _, k := range p.Recipients {
		switch k {
		case privacy.RecipientProcessor, privacy.RecipientAffiliate:
		default:
			third = append(third, string(k))
		}
	}
	termination := "withdrawal by the data subject at any time (GDPR Art. 7(3))"
	if !r.ExpiresAt.IsZero() {
		termination = "on " + r.ExpiresAt.UTC().Format(time.RFC3339) + ", or earlier on withdrawal by the data subject (GDPR Art. 7(3))"
	}
	description := p.Description
	if description == "" {
		description = p.Reason
	}
	consentType := "EXPLICIT"
	service := c.Name
	if service == "" {
		service = c.Controller.Name
	}
	return &Receipt{
		Version:          ReceiptVersion,
		Jurisdiction:     cmp.Or(r.Jurisdiction, c.Controller.Country),
		ConsentTimestamp: r.CollectedAt.Unix(),
		CollectionMethod: r.Method,
		ConsentReceiptID: r.RecordID,
		Language:         r.Language,
		PIIPrincipalID:   principal,
		PIIControllers:   []ReceiptController{controller},
		Services: []ReceiptService{{
			Service: service,
			Purposes: []ReceiptPurpose{{
				Purpose:              description,
				PurposeCategory:      purposeCat,
				ConsentType:          consentType,
				PIICategory:          piiCat,
				PrimaryPurpose:       true,
				Termination:          termination,
				ThirdPartyDisclosure: len(third) > 0,
				ThirdPartyName:       strings.Join(third, ", "),
			}},
		}},
		SPICat: []string{},
		Event: ReceiptEvent{
			Type:          r.Event,
			State:         dpvStates[r.Event],
			Time:          r.CollectedAt.UTC(),
			Expiry:        r.ExpiresAt,
			Method:        r.Method,
			CollectedBy:   r.CollectedBy,
			PolicyVersion: r.PolicyVersion,
			NoticeHash:    r.NoticeHash,
			PurposeKey:    r.Purpose,
			PIIData:       slices.Clone(r.Categories),
			Guardian:      r.Guardian,
		},
		Proof: ReceiptProof{
			Algorithm:  "SHA-256",
			Seq:        r.Seq,
			Hash:       r.Hash,
			PrevHash:   r.PrevHash,
			SubjectRef: r.SubjectRef,
		},
	}, nil
}

// emailOf returns contact if it is an email address, else "".
func emailOf(contact string) string {
	if at := strings.IndexByte(contact, '@'); at > 0 && at < len(contact)-1 && !strings.ContainsAny(contact, " <>") {
		return contact
	}
	return ""
}

// MarshalReceipt returns the receipt of record r as indented JSON: what
// `privacyctl consent receipt --record ID` prints.
func MarshalReceipt(r Record, c *privacy.Catalog) ([]byte, error) {
	rc, err := NewReceipt(r, c)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(rc, "", "  ")
}

// ReadReceipt reads a receipt as MarshalReceipt writes it, such as one a
// subject hands back to be checked against the ledger: one JSON object of
// at most privacy.MaxReceiptBytes, decoded strictly (privacy.DecodeJSON:
// unknown fields, duplicate keys, an explicit zero time are errors naming
// the field). It checks the receipt's version and that it names a
// record and a time; whether the ledger holds the record is the caller's
// to check (Proof.Seq and Proof.Hash).
func ReadReceipt(rd io.Reader) (*Receipt, error) {
	var r Receipt
	if err := privacy.DecodeJSON(rd, "receipt", privacy.MaxReceiptBytes, "MaxReceiptBytes", &r); err != nil {
		return nil, fmt.Errorf("read receipt: %w", err)
	}
	bad := func(field, msg string) error {
		return fmt.Errorf("read receipt: %w", &privacy.ValidationError{Field: field, Message: msg})
	}
	switch {
	case r.Version != ReceiptVersion:
		return nil, bad("version", fmt.Sprintf("want %s, got %q", ReceiptVersion, r.Version))
	case r.ConsentReceiptID == "":
		return nil, bad("consentReceiptID", "is required")
	}
	if err := privacy.CheckRequiredTime("event.time", r.Event.Time); err != nil {
		return nil, fmt.Errorf("read receipt: %w", err)
	}
	return &r, nil
}
