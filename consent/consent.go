package consent

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// Event is what a consent record records.
type Event string

// The consent events.
const (
	// Given: the subject gave consent (DPV ConsentGiven).
	Given Event = "given"
	// Refused: the subject was asked and said no (DPV ConsentRefused).
	Refused Event = "refused"
	// Withdrawn: the subject withdrew consent (Art. 7(3), DPV ConsentWithdrawn).
	Withdrawn Event = "withdrawn"
	// Expired: the consent's expiry passed or it was retired (DPV ConsentExpired).
	Expired Event = "expired"
)

func (e Event) valid() bool {
	switch e {
	case Given, Refused, Withdrawn, Expired:
		return true
	}
	return false
}

// Methods of collecting consent. Method is free text; these are the usual ones.
const (
	MethodCheckbox      = "checkbox"
	MethodDoubleOptIn   = "double_opt_in"
	MethodGuardian      = "guardian"
	MethodAPI           = "api"
	MethodCLI           = "cli"
	MethodPreferencesUI = "preference_center"
)

// Act is the affirmative act by which the subject gave (or refused or
// withdrew) consent: GDPR Art. 4(11) asks for "a statement or a clear
// affirmative action". Record.Act holds it; grants with an act that is
// not affirmative are refused by Validate, and so by every store.
type Act string

// The acts a record may name. The first five are affirmative; the last
// four are not consent (Art. 4(11), Recital 32, CJEU C-673/17 Planet49)
// and a given consent naming one is refused.
const (
	// ActUntickedBox: the subject ticked a box that was not ticked for them.
	ActUntickedBox Act = "unticked_box"
	// ActButton: the subject pressed a button that says what it does.
	ActButton Act = "button"
	// ActSignedForm: the subject signed a form, on paper or electronically.
	ActSignedForm Act = "signed_form"
	// ActRecordedVerbal: a verbal statement, recorded.
	ActRecordedVerbal Act = "recorded_verbal"
	// ActAPI: a system collected it and passed it on by API; CollectedBy
	// must name that system.
	ActAPI Act = "api"

	// ActPreTickedBox: a box ticked in advance. Not consent.
	ActPreTickedBox Act = "preticked_box"
	// ActSilence: the subject said nothing. Not consent.
	ActSilence Act = "silence"
	// ActImplied: consent inferred from conduct. Not consent.
	ActImplied Act = "implied"
	// ActContinuedUse: "by continuing to use the site you agree". Not
	// consent.
	ActContinuedUse Act = "continued_use"
)

// affirmativeActs and notConsentActs list the acts in the order messages
// name them.
var (
	affirmativeActs = []Act{ActUntickedBox, ActButton, ActSignedForm, ActRecordedVerbal, ActAPI}
	notConsentActs  = []Act{ActPreTickedBox, ActSilence, ActImplied, ActContinuedUse}
)

// Affirmative reports whether a is one of the affirmative acts.
func (a Act) Affirmative() bool { return slices.Contains(affirmativeActs, a) }

// checkAct returns a *privacy.ValidationError for an act a record with
// event e may not name; "" is accepted (records before acts were kept).
func checkAct(a Act, e Event, collectedBy string) error {
	bad := func(msg string) error { return &privacy.ValidationError{Field: "act", Message: msg} }
	switch {
	case a == "":
		return nil
	case slices.Contains(notConsentActs, a):
		if e == Given {
			return bad(fmt.Sprintf("%q is not consent: consent needs an affirmative act (Art. 4(11), Recital 32, CJEU C-673/17 Planet49), one of %s", a, actList(affirmativeActs)))
		}
		return nil
	case !a.Affirmative():
		return bad(fmt.Sprintf("must be one of %s, got %q", actList(affirmativeActs), a))
	case a == ActAPI && strings.TrimSpace(collectedBy) == "":
		return &privacy.ValidationError{Field: "collected_by", Message: "must name the system that collected the consent when act is api"}
	}
	return nil
}

func actList(as []Act) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Record is one entry of the consent ledger.
type Record struct {
	// RecordID is assigned by the store on append.
	RecordID string `json:"record_id"`
	// Seq is the record's position in the ledger, from 1, assigned on append.
	Seq int64 `json:"seq"`
	// SubjectID identifies the data subject. It is "" in a record whose
	// subject was erased (see Pseudonymiser); SubjectRef remains.
	SubjectID string `json:"subject_id"`
	// SubjectRef is the subject's pseudonym in the ledger,
	// HMAC-SHA256(ledger key, SubjectID) in hex, set by the store on
	// append. The hash covers it instead of SubjectID, so that erasing
	// SubjectID leaves the chain verifiable.
	SubjectRef string `json:"subject_ref,omitempty"`
	Controller string `json:"controller,omitempty"`
	Purpose    string `json:"purpose"`
	// Categories lists the personal-data categories the consent covers.
	Categories []string `json:"personal_data,omitempty"`
	Event      Event    `json:"event"`
	// PolicyVersion is the version of the policy the subject was shown.
	PolicyVersion string `json:"policy_version"`
	// NoticeHash is the SHA-256 (hex) of the notice text shown.
	NoticeHash string `json:"notice_hash,omitempty"`
	// Method is how consent was collected: checkbox, double opt-in …
	Method string `json:"method"`
	// Act is the affirmative act the subject took (Art. 4(11)); "" in
	// records written before acts were kept. Optional, and left out of
	// the JSON (and so of the digest) when empty.
	Act Act `json:"act,omitempty"`
	// CollectedBy names who or what collected it (a service, a form).
	CollectedBy  string `json:"collected_by,omitempty"`
	Language     string `json:"language,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// CollectedAt is the time of the event.
	CollectedAt time.Time `json:"collected_at"`
	// ExpiresAt is when a given consent lapses; zero means it does not.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Guardian reports that the holder of parental responsibility gave or
	// authorised the consent (Art. 8(1)).
	Guardian bool `json:"guardian"`
	// KeyID names the key the record was sealed with (SealWith); "" for a
	// record sealed without a key (Seal), as every record was before the
	// ledger had keys. Left out of the JSON, and so of the digest, when
	// empty.
	KeyID string `json:"key_id,omitempty"`
	// PrevHash is the Hash of the previous record in the ledger ("" for the
	// first).
	PrevHash string `json:"prev_hash"`
	// Hash is the SHA-256 (hex) of the record's canonical encoding,
	// PrevHash included and Hash excluded, or, when KeyID is set, the
	// HMAC-SHA256 of that encoding under the key.
	Hash string `json:"hash"`
}

// Validate checks the fields a caller supplies, naming the first at fault:
// ids and times in range, a known event, a version, an affirmative act,
// and the optional text fields and categories as ids (privacy.CheckID).
func (r *Record) Validate() error {
	bad := func(field, msg string) error {
		return &privacy.ValidationError{Field: field, Message: msg}
	}
	if err := cmp.Or(privacy.CheckID("subject_id", r.SubjectID), privacy.CheckID("purpose", r.Purpose),
		privacy.CheckTime("collected_at", r.CollectedAt), privacy.CheckTime("expires_at", r.ExpiresAt)); err != nil {
		return err
	}
	switch {
	case !r.Event.valid():
		return bad("event", fmt.Sprintf("must be given, refused, withdrawn or expired, got %q", r.Event))
	case r.PolicyVersion != "" && !privacy.ValidVersion(r.PolicyVersion):
		return bad("policy_version", fmt.Sprintf("must be a dotted version such as 1.2, got %q", r.PolicyVersion))
	case r.Event == Given && r.PolicyVersion == "":
		return bad("policy_version", "is required for a given consent")
	case r.NoticeHash != "" && !isSHA256Hex(r.NoticeHash):
		return bad("notice_hash", fmt.Sprintf("must be the SHA-256 of the notice as 64 lowercase hex digits, got %q", r.NoticeHash))
	case r.CollectedAt.IsZero():
		return bad("collected_at", "is required")
	case !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(r.CollectedAt):
		return bad("expires_at", "must be after collected_at")
	}
	if err := checkAct(r.Act, r.Event, r.CollectedBy); err != nil {
		return err
	}
	// The optional text fields are ids too: bounded, and UTF-8 without NUL,
	// which PostgreSQL refuses and which a store keeping text would give
	// back as other bytes than the hash covers.
	for _, f := range [...]struct{ name, value string }{
		{"controller", r.Controller}, {"method", r.Method}, {"collected_by", r.CollectedBy},
		{"language", r.Language}, {"jurisdiction", r.Jurisdiction},
	} {
		if f.value != "" {
			if err := privacy.CheckID(f.name, f.value); err != nil {
				return err
			}
		}
	}
	if len(r.Categories) > privacy.MaxDataKeys {
		return bad("personal_data", fmt.Sprintf("names %d categories, more than %d", len(r.Categories), privacy.MaxDataKeys))
	}
	for i, c := range r.Categories {
		if err := privacy.CheckID("", c); err != nil {
			err.(*privacy.ValidationError).Field = fmt.Sprintf("personal_data[%d]", i)
			return err
		}
	}
	return nil
}

// checkStored returns what makes r, as a store returned it, a record no
// store would have appended: Validate's findings, a Seq or RecordID
// missing, a blank SubjectID without the SubjectRef that pseudonymised
// records keep, a SubjectRef or Hash that is not a SHA-256.
func (r *Record) checkStored() error {
	bad := func(field, msg string) error { return &privacy.ValidationError{Field: field, Message: msg} }
	switch {
	case r.Seq < 1:
		return bad("seq", fmt.Sprintf("must be 1 or more, got %d", r.Seq))
	case r.SubjectID == "" && r.SubjectRef == "":
		return bad("subject_id", "is blank in a record that has no subject_ref: only pseudonymised records, which keep their subject_ref, have no subject id")
	case r.SubjectRef != "" && !isSHA256Hex(r.SubjectRef):
		return bad("subject_ref", fmt.Sprintf("must be 64 lowercase hex digits, got %q", r.SubjectRef))
	case !isSHA256Hex(r.Hash):
		return bad("hash", fmt.Sprintf("must be 64 lowercase hex digits, got %q", r.Hash))
	case r.PrevHash != "" && !isSHA256Hex(r.PrevHash):
		return bad("prev_hash", fmt.Sprintf("must be 64 lowercase hex digits, got %q", r.PrevHash))
	case r.KeyID != "" && !validKeyID(r.KeyID):
		return bad("key_id", fmt.Sprintf("must be 1 to 64 letters, digits, '.', '_' or '-', got %q", r.KeyID))
	}
	if err := privacy.CheckID("record_id", r.RecordID); err != nil {
		return err
	}
	c := *r
	if c.SubjectID == "" {
		c.SubjectID = "pseudonymised" // its subject_ref stands for it
	}
	return c.Validate()
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	// Byte by byte through a table: Verify checks three per record, and
	// comparing each byte with two ranges mispredicts a branch on about
	// every third digit of a hash.
	for i := range len(s) {
		if !lowerHex[s[i]] {
			return false
		}
	}
	return true
}

// lowerHex holds true for the bytes 0-9 and a-f.
var lowerHex = func() (t [256]bool) {
	for _, c := range "0123456789abcdef" {
		t[c] = true
	}
	return t
}()

// validKeyID reports whether id matches keyIDPattern, without the regular
// expression: Verify checks the key id of every keyed record.
func validKeyID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := range len(id) {
		switch c := id[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Digest returns the SHA-256 (hex) of the record's canonical encoding: its
// JSON (encoding/json, fields in declaration order) with Hash empty, times
// in UTC with nanoseconds, and SubjectID empty when SubjectRef is set. Seal
// and Verify use it.
//
// A record without SubjectRef (written before the ledger had keys) is
// hashed with its SubjectID, as it was sealed.
func (r Record) Digest() string {
	sum := sha256.Sum256(r.canonical())
	return hex.EncodeToString(sum[:])
}

// MAC returns the HMAC-SHA256 (hex) of the record's canonical encoding,
// the encoding Digest hashes, under secret: the Hash of a record sealed
// with a key.
func (r Record) MAC(secret []byte) string { return mac(secret, r.canonical()) }

// Seal links r to its predecessor without a key: it sets PrevHash to
// prevHash, clears KeyID and sets Hash to the record's digest. Stores
// without a KeyProvider call it inside the transaction that appends.
func (r *Record) Seal(prevHash string) {
	r.PrevHash, r.KeyID = prevHash, ""
	r.Hash = r.Digest()
}

// SealWith links r to its predecessor under k: it sets PrevHash to
// prevHash, KeyID to k.ID and Hash to the record's MAC under k.Secret; a
// nil k seals without a key, as Seal does.
func (r *Record) SealWith(prevHash string, k *Key) {
	if k == nil {
		r.Seal(prevHash)
		return
	}
	r.PrevHash, r.KeyID = prevHash, k.ID
	r.Hash = r.MAC(k.Secret)
}

// State is the consent a subject has for a purpose at a moment: the latest
// event at or before that moment. A zero Event means no consent on record.
type State struct {
	SubjectID string `json:"subject_id"`
	Purpose   string `json:"purpose"`
	// Event is the latest event, or "" when there is none.
	Event         Event     `json:"event,omitempty"`
	RecordID      string    `json:"record_id,omitempty"`
	PolicyVersion string    `json:"policy_version,omitempty"`
	Guardian      bool      `json:"guardian"`
	CollectedAt   time.Time `json:"collected_at,omitzero"`
	ExpiresAt     time.Time `json:"expires_at,omitzero"`
	// Act is the latest record's Act ("" when it names none).
	Act Act `json:"act,omitempty"`
}

// StateAt returns the state of the subject's consent to the purpose at t
// read from records in ledger order: the latest record of the subject and
// purpose collected at or before t, ties broken by ledger order, as
// Reader.State returns it. An erased subject ("") has no state. Stores and
// caches that hold records in memory use it, so that all of them answer
// alike.
func StateAt(records []Record, subjectID, purpose string, t time.Time) State {
	st := State{SubjectID: subjectID, Purpose: purpose}
	if subjectID == "" {
		return st
	}
	var latest *Record
	for i := range records {
		r := &records[i]
		if r.SubjectID != subjectID || r.Purpose != purpose || r.CollectedAt.After(t) {
			continue
		}
		if latest == nil || !r.CollectedAt.Before(latest.CollectedAt) {
			latest = r
		}
	}
	if latest != nil {
		st.Event = latest.Event
		st.RecordID = latest.RecordID
		st.PolicyVersion = latest.PolicyVersion
		st.Guardian = latest.Guardian
		st.CollectedAt = latest.CollectedAt
		st.ExpiresAt = latest.ExpiresAt
		st.Act = latest.Act
	}
	return st
}

// Errors stores return.
var (
	// ErrNotFound: no record with that id.
	ErrNotFound = fmt.Errorf("consent record %w", privacy.ErrNotFound)
)

// SubjectRef returns the pseudonym of subjectID under key:
// HMAC-SHA256(key, subjectID), hex encoded. Stores set Record.SubjectRef
// with it on append; with the same key, anyone who knows a subject's id can
// find that subject's records after erasure, and no one can turn a
// pseudonym back into an id without guessing and the key.
func SubjectRef(key []byte, subjectID string) string { return mac(key, []byte(subjectID)) }

// Reader answers the consent state of a subject for a purpose. It is all the
// policies engine needs.
type Reader interface {
	// State returns the latest record for the subject and purpose collected
	// at or before at, as a State; a zero Event when there is none. It
	// returns an error only when the store fails.
	State(ctx context.Context, subjectID, purpose string, at time.Time) (State, error)
}

// Store is the consent ledger.
//
// Guarantees every implementation gives, and the conformance suite checks:
// Append is atomic and serialised: concurrent appends, for one subject or
// many, each get a distinct Seq with no gaps, and every record's PrevHash is
// the Hash of the record with the preceding Seq. A record, once appended, is
// never changed, but for the blanking of its SubjectID on erasure
// (Pseudonymiser), which its Hash does not cover. A successful Append is
// visible to the next State and History on the same store, and, for shared
// stores such as PostgreSQL, to every other process using it.
type Store interface {
	Reader
	// Append validates r, assigns RecordID and Seq, seals it to the last
	// record and stores it. It returns the stored record, or a
	// *privacy.ValidationError for a bad record.
	Append(ctx context.Context, r Record) (Record, error)
	// History returns every record of the subject in ledger order, or an
	// empty slice.
	History(ctx context.Context, subjectID string) ([]Record, error)
	// Record returns the record with the id, or ErrNotFound.
	Record(ctx context.Context, recordID string) (Record, error)
}

// Grant records that the subject gave consent to a purpose the catalog
// declares, filling CollectedAt with now when it is zero and Event with
// Given. It refuses, with a *privacy.ValidationError naming the field, a
// purpose the catalog does not declare, a purpose that no subject kind
// processes on consent, a policy version newer than the catalog's (no
// subject can have been shown a policy not yet published), a category the
// catalog does not declare, and an act that is not affirmative (Act, and
// CollectedBy naming the collecting system when the act is api). This is the
// edge where a grant meets the catalog; Store.Append checks only what a
// record needs on its own.
func Grant(ctx context.Context, s Store, cat *privacy.Catalog, r Record) (Record, error) {
	if s == nil || cat == nil {
		return Record{}, errors.New("grant consent: a store and a catalog are required")
	}
	if err := CheckGrant(cat, r); err != nil {
		return Record{}, fmt.Errorf("grant consent: %w", err)
	}
	r.Event = Given
	if r.CollectedAt.IsZero() {
		r.CollectedAt = time.Now().UTC()
	}
	return s.Append(ctx, r)
}

// CheckGrant returns the error Grant returns for a grant of r under cat,
// without appending it: nil when cat declares r.Purpose on consent, r's
// policy version is not newer than cat's, every category is declared and
// r names, if any, an affirmative act.
func CheckGrant(cat *privacy.Catalog, r Record) error {
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if err := privacy.CheckID("purpose", r.Purpose); err != nil {
		return err
	}
	if base, _, ok := privacy.ParseTransferConsentPurpose(r.Purpose); ok {
		// The explicit consent to a transfer (Art. 49(1)(a)) is recorded
		// for a declared purpose whatever that purpose's own basis.
		if cat.Purpose(base) == nil {
			return bad("purpose", "transfer consent for %q: the catalog declares no purpose %q%s", r.Purpose, base, privacy.DidYouMean(base, cat.PurposeKeys()))
		}
	} else {
		p := cat.Purpose(r.Purpose)
		if p == nil {
			return bad("purpose", "the catalog declares no purpose %q%s", r.Purpose, privacy.DidYouMean(r.Purpose, cat.PurposeKeys()))
		}
		onConsent := false
		for _, k := range p.Subjects {
			onConsent = onConsent || lawfulbasis.Contains(p.BasesFor(k), lawfulbasis.Consent)
		}
		if !onConsent {
			return bad("purpose", "%s is not processed on consent (its bases: %v): consent to it is not asked and not recorded", p.Key, p.Bases)
		}
	}
	if r.Event != "" && r.Event != Given {
		return bad("event", "a grant records a given consent, got %q", r.Event)
	}
	if r.PolicyVersion != "" {
		// A version that does not parse is an error here, not an old
		// version: CheckGrant stands alone, before Append validates.
		rv, err := privacy.ParsePolicyVersion(r.PolicyVersion)
		if err != nil {
			return privacy.FieldError("policy_version", err)
		}
		cv, err := privacy.ParsePolicyVersion(cat.PolicyVersion)
		if err != nil {
			return privacy.FieldError("catalog.policy_version", err)
		}
		if rv.Compare(cv) > 0 {
			return bad("policy_version", "%s is newer than the catalog's policy version %s", r.PolicyVersion, cat.PolicyVersion)
		}
	}
	for i, c := range r.Categories {
		if cat.Leaves(c) == nil {
			return bad(fmt.Sprintf("personal_data[%d]", i), "the catalog declares no category %q", c)
		}
	}
	r.Event = Given
	return checkAct(r.Act, r.Event, r.CollectedBy)
}

// Withdraw records that the subject withdrew consent for r.Purpose
// (Art. 7(3): as easy as giving it). It takes effect on the next
// decision. r names the subject, the purpose, how the withdrawal was
// received (Method, Act) and the system that received it (CollectedBy);
// Controller, Language and Jurisdiction are kept as given. CollectedAt, if zero, is now; Event is set to Withdrawn.
// A grant on record dated after CollectedAt gets a withdrawal of its own
// at its time (in one batch where the store is a Batcher), so that it
// does not come back into force then; the record returned is the
// withdrawal dated CollectedAt.
// A purpose removed from the catalog can still be withdrawn from, so no
// catalog is needed.
func Withdraw(ctx context.Context, s Store, r Record) (Record, error) {
	if r.Event != "" && r.Event != Withdrawn {
		return Record{}, fmt.Errorf("withdraw consent: %w", &privacy.ValidationError{Field: "event", Message: fmt.Sprintf("a withdrawal records a withdrawn consent, got %q", r.Event)})
	}
	if err := cmp.Or(privacy.CheckID("subject_id", r.SubjectID), privacy.CheckID("purpose", r.Purpose)); err != nil {
		return Record{}, fmt.Errorf("withdraw consent: %w", err)
	}
	r.Event = Withdrawn
	if r.CollectedAt.IsZero() {
		r.CollectedAt = time.Now().UTC()
	}
	// A grant dated ahead of the withdrawal (a replica's clock running
	// fast, a grant dated in the future) would come back into force at its
	// time. Dating the withdrawal as late as that grant would leave an
	// earlier grant in force until then: the withdrawal is dated as asked
	// and repeated at the time of each grant dated later, where ledger
	// order breaks the tie in its favour.
	hist, err := s.History(ctx, r.SubjectID)
	if err != nil {
		return Record{}, fmt.Errorf("withdraw consent: %w", err)
	}
	rs := []Record{r}
	for _, h := range hist {
		if h.Purpose == r.Purpose && h.Event == Given && h.CollectedAt.After(r.CollectedAt) {
			again := r
			again.CollectedAt = h.CollectedAt
			rs = append(rs, again)
		}
	}
	if len(rs) == 1 {
		return s.Append(ctx, r)
	}
	slices.SortStableFunc(rs[1:], func(a, b Record) int { return a.CollectedAt.Compare(b.CollectedAt) })
	rs = slices.CompactFunc(rs, func(a, b Record) bool { return a.CollectedAt.Equal(b.CollectedAt) })
	if b, ok := s.(Batcher); ok {
		stored, err := b.AppendBatch(ctx, rs)
		if err != nil {
			return Record{}, err
		}
		return stored[0], nil
	}
	first, err := s.Append(ctx, rs[0])
	if err != nil {
		return Record{}, err
	}
	for _, again := range rs[1:] {
		if _, err := s.Append(ctx, again); err != nil {
			return Record{}, fmt.Errorf("withdraw consent: the withdrawal is recorded, but not again at %s, the time of a grant dated later: %w", again.CollectedAt.Format(time.RFC3339Nano), err)
		}
	}
	return first, nil
}

// Expire records that the subject's consent for the purpose lapsed at at
// (DPV ConsentExpired), so that the ledger shows the end of a consent
// whose ExpiresAt passed, or one retired for another reason. State treats
// a given consent past its ExpiresAt as not live with or without it.
func Expire(ctx context.Context, s Store, subjectID, purpose string, at time.Time) (Record, error) {
	return s.Append(ctx, Record{
		SubjectID:   subjectID,
		Purpose:     purpose,
		Event:       Expired,
		Method:      MethodAPI,
		CollectedAt: at,
	})
}

// IsNotFound reports whether err means a record was not found.
func IsNotFound(err error) bool { return errors.Is(err, privacy.ErrNotFound) }
