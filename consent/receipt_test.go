package consent_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
)

func TestNewReceipt(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	at := time.Date(2026, 11, 28, 12, 0, 0, 500, time.UTC)
	base := consent.Record{
		RecordID: "3f1c…", Seq: 7, SubjectID: "u-1", SubjectRef: "ab12",
		Purpose: "marketing.profiling", Categories: []string{"instance.contact.email"},
		Event: consent.Given, PolicyVersion: "1.2", NoticeHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Method: consent.MethodDoubleOptIn,
		CollectedBy: "signup-form", Language: "nl", Jurisdiction: "NL", CollectedAt: at,
		PrevHash: "p", Hash: "h",
	}
	withExpiry := base
	withExpiry.ExpiresAt = at.AddDate(1, 0, 0)
	erased := base
	erased.SubjectID = ""
	guest := base
	guest.Controller, guest.Purpose, guest.Categories = "Acme B.V.", "referral", nil
	withdrawn := base
	withdrawn.Event = consent.Withdrawn

	type summary struct {
		Version, Principal, Controller string
		OnBehalf                       bool
		Timestamp                      int64
		Purpose                        string
		PurposeCategory, PIICategory   []string
		ThirdParty                     bool
		ThirdPartyName, Termination    string
		State                          string
		Seq                            int64
		Hash                           string
	}
	tests := []struct {
		name string
		r    consent.Record
		want summary
	}{
		{"given", base, summary{
			Version: "KI-CR-v1.1.0", Principal: "u-1", Controller: "24sessions.com B.V.", Timestamp: at.Unix(),
			Purpose:         c.Purpose("marketing.profiling").Reason,
			PurposeCategory: []string{"https://w3id.org/dpv#PersonalisedAdvertising"},
			PIICategory:     []string{"https://w3id.org/dpv/pd#EmailAddress"},
			Termination:     "withdrawal by the data subject at any time (GDPR Art. 7(3))",
			State:           "dpv:ConsentGiven", Seq: 7, Hash: "h",
		}},
		{"with expiry", withExpiry, summary{
			Version: "KI-CR-v1.1.0", Principal: "u-1", Controller: "24sessions.com B.V.", Timestamp: at.Unix(),
			Purpose:         c.Purpose("marketing.profiling").Reason,
			PurposeCategory: []string{"https://w3id.org/dpv#PersonalisedAdvertising"},
			PIICategory:     []string{"https://w3id.org/dpv/pd#EmailAddress"},
			Termination:     "on 2027-11-28T12:00:00Z, or earlier on withdrawal by the data subject (GDPR Art. 7(3))",
			State:           "dpv:ConsentGiven", Seq: 7, Hash: "h",
		}},
		{"erased subject", erased, summary{
			Version: "KI-CR-v1.1.0", Principal: "ref:ab12", Controller: "24sessions.com B.V.", Timestamp: at.Unix(),
			Purpose:         c.Purpose("marketing.profiling").Reason,
			PurposeCategory: []string{"https://w3id.org/dpv#PersonalisedAdvertising"},
			PIICategory:     []string{"https://w3id.org/dpv/pd#EmailAddress"},
			Termination:     "withdrawal by the data subject at any time (GDPR Art. 7(3))",
			State:           "dpv:ConsentGiven", Seq: 7, Hash: "h",
		}},
		{"other controller, purpose's categories, individual recipient", guest, summary{
			Version: "KI-CR-v1.1.0", Principal: "u-1", Controller: "Acme B.V.", OnBehalf: true, Timestamp: at.Unix(),
			Purpose:         c.Purpose("referral").Reason,
			PurposeCategory: []string{"https://w3id.org/dpv#CommunicationManagement"},
			PIICategory:     []string{"https://w3id.org/dpv/pd#Username", "https://w3id.org/dpv/pd#EmailAddress"},
			ThirdParty:      true, ThirdPartyName: "individual",
			Termination: "withdrawal by the data subject at any time (GDPR Art. 7(3))",
			State:       "dpv:ConsentGiven", Seq: 7, Hash: "h",
		}},
		{"withdrawn", withdrawn, summary{
			Version: "KI-CR-v1.1.0", Principal: "u-1", Controller: "24sessions.com B.V.", Timestamp: at.Unix(),
			Purpose:         c.Purpose("marketing.profiling").Reason,
			PurposeCategory: []string{"https://w3id.org/dpv#PersonalisedAdvertising"},
			PIICategory:     []string{"https://w3id.org/dpv/pd#EmailAddress"},
			Termination:     "withdrawal by the data subject at any time (GDPR Art. 7(3))",
			State:           "dpv:ConsentWithdrawn", Seq: 7, Hash: "h",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc, err := consent.NewReceipt(tc.r, c)
			if err != nil {
				t.Fatalf("NewReceipt: %v", err)
			}
			p := rc.Services[0].Purposes[0]
			got := summary{
				Version: rc.Version, Principal: rc.PIIPrincipalID, Controller: rc.PIIControllers[0].PIIController,
				OnBehalf: rc.PIIControllers[0].OnBehalf, Timestamp: rc.ConsentTimestamp,
				Purpose: p.Purpose, PurposeCategory: p.PurposeCategory, PIICategory: p.PIICategory,
				ThirdParty: p.ThirdPartyDisclosure, ThirdPartyName: p.ThirdPartyName, Termination: p.Termination,
				State: rc.Event.State, Seq: rc.Proof.Seq, Hash: rc.Proof.Hash,
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("NewReceipt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMarshalReceiptKantaraFields checks the JSON field names a Kantara
// v1.1 consumer reads.
func TestMarshalReceiptKantaraFields(t *testing.T) {
	t.Parallel()
	r := consent.Record{
		RecordID: "r1", Seq: 1, SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given,
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, Jurisdiction: "NL",
		CollectedAt: time.Unix(1764331200, 0).UTC(), Hash: "h",
	}
	b, err := consent.MarshalReceipt(r, privacy.DefaultCatalog())
	if err != nil {
		t.Fatalf("MarshalReceipt: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("receipt is not JSON: %v", err)
	}
	for _, k := range []string{"version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID",
		"piiPrincipalId", "piiControllers", "policyUrl", "services", "sensitive", "spiCat", "event", "proof"} {
		if _, ok := m[k]; !ok {
			t.Errorf("receipt lacks %q:\n%s", k, b)
		}
	}
	if got := m["consentTimestamp"]; got != float64(1764331200) {
		t.Errorf("consentTimestamp = %v, want epoch seconds 1764331200", got)
	}
	purpose := m["services"].([]any)[0].(map[string]any)["purposes"].([]any)[0].(map[string]any)
	for _, k := range []string{"purpose", "purposeCategory", "consentType", "piiCategory", "primaryPurpose", "termination", "thirdPartyDisclosure"} {
		if _, ok := purpose[k]; !ok {
			t.Errorf("receipt purpose lacks %q", k)
		}
	}
}

func TestNewReceiptUnknownPurpose(t *testing.T) {
	t.Parallel()
	_, err := consent.NewReceipt(consent.Record{RecordID: "r1", Purpose: "nope"}, privacy.DefaultCatalog())
	var ve *privacy.ValidationError
	if !errors.As(err, &ve) || ve.Field != "purpose" {
		t.Errorf("NewReceipt with an undeclared purpose: got %v, want a ValidationError on purpose", err)
	}
}

// TestReceiptControllerAndJurisdiction checks the controller's contact
// fields and that a record without a jurisdiction gets the controller's
// country.
func TestReceiptControllerAndJurisdiction(t *testing.T) {
	t.Parallel()
	r := consent.Record{RecordID: "r-1", Seq: 1, SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given,
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	rc, err := consent.NewReceipt(r, privacy.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	ctrl := rc.PIIControllers[0]
	if rc.Jurisdiction != "NL" || ctrl.Contact != "support@24sessions.com" || ctrl.Email != "support@24sessions.com" || ctrl.Address == "" {
		t.Errorf("jurisdiction %q, controller %+v; want NL and the catalog's contact, email and address", rc.Jurisdiction, ctrl)
	}
	r.Jurisdiction = "BE"
	if rc, _ := consent.NewReceipt(r, privacy.DefaultCatalog()); rc.Jurisdiction != "BE" {
		t.Errorf("the record's own jurisdiction: %q, want BE", rc.Jurisdiction)
	}
}
