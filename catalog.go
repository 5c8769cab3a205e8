package privacy

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/privacykit/privacy/lawfulbasis"
)

// Catalog is a privacy policy as data: the subject kinds and categories of
// personal data a controller processes, the purposes it processes them for
// with their lawful bases and recipients, and the facts the decision needs
// about transfers and children. The policies engine hands it to Rego as
// data; documents (records of processing, notices) are generated from it.
//
// A catalog is written as YAML (or JSON, which is YAML) and loaded with
// LoadCatalog or ParseCatalog, which check it. The reference catalog of the
// 24sessions policy is embedded and returned by DefaultCatalog.
type Catalog struct {
	// PolicyVersion is the version of the published policy the catalog
	// encodes, such as "1.2"; decisions carry it.
	PolicyVersion string `json:"policy_version"`
	// Name names the policy.
	Name string `json:"name"`
	// Controller is the operator: the controller of its own subjects' data.
	Controller Party `json:"controller"`
	// DPO is the data protection officer, if one is designated (Art. 37);
	// Representative the controller's representative in the Union, if it
	// needs one (Art. 27). The record of processing names both (Art.
	// 30(1)(a)).
	DPO            *Party `json:"dpo,omitempty"`
	Representative *Party `json:"representative,omitempty"`
	// SubjectKinds lists the kinds of data subjects and the operator's role
	// for each.
	SubjectKinds []SubjectKindSpec `json:"subject_kinds"`
	// Categories lists the leaf categories of personal data. Parents are
	// implied by the dotted keys: "instance.financial" is the parent of
	// "instance.financial.card".
	Categories []Category `json:"categories"`
	// Purposes lists every purpose the policy declares.
	Purposes []Purpose `json:"purposes"`
	// Processor states what the operator may do with the data of subjects
	// for whom it is a processor.
	Processor ProcessorTerms `json:"processor"`
	// Transfers holds the facts for transfers outside the EEA.
	Transfers Transfers `json:"transfers"`
	// ConsentAge holds the ages of digital consent (Art. 8).
	ConsentAge ConsentAge `json:"consent_age"`
	// ConsentRenewal is the default maximum age of a consent; a purpose
	// may set its own (Purpose.ConsentMaxAge). Nil: consent lasts until
	// withdrawn or its record's own expiry.
	ConsentRenewal *ConsentRenewal `json:"consent_renewal,omitempty"`
	// Clauses maps a reason code to the heading of the policy section that
	// makes the promise, so that every reason cites the policy.
	Clauses map[string]string `json:"clauses,omitempty"`

	// Retention lists how long each category is kept, from which event,
	// and what happens after; see RetentionRule. Package retention
	// applies them.
	Retention []RetentionRule `json:"retention,omitempty"`

	leaves map[string][]string // key or parent -> sorted leaf keys
	hash   string
}

// Party names an organisation.
type Party struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	// Contact is how to reach the party about personal data: an email
	// address or a named contact.
	Contact string `json:"contact,omitempty"`
	// Phone is a telephone number, if the party publishes one.
	Phone string `json:"phone,omitempty"`
	// Country is where the party is established (ISO 3166-1 alpha-2): the
	// jurisdiction of its consent receipts.
	Country string `json:"country,omitempty"`
}

// Role is the operator's role for a kind of subject's data.
type Role string

// The roles of GDPR Art. 4(7) and 4(8).
const (
	RoleController Role = "controller"
	RoleProcessor  Role = "processor"
)

// SubjectKindSpec declares a kind of data subject.
type SubjectKindSpec struct {
	Kind SubjectKind `json:"kind"`
	// Role is the operator's role for this kind's data.
	Role        Role   `json:"role"`
	Description string `json:"description,omitempty"`
}

// Category is a leaf category of personal data.
type Category struct {
	// Key is a dotted lower-case key such as "instance.contact.email".
	Key string `json:"key"`
	// Subject is the kind of subject the data is about.
	Subject     SubjectKind `json:"subject"`
	Description string      `json:"description,omitempty"`
	// DPV is the W3C DPV personal-data IRI, where one fits.
	DPV string `json:"dpv,omitempty"`
	// Financial marks payment data: it must be encrypted in transit
	// whenever it leaves the system.
	Financial bool `json:"financial,omitempty"`
	// Optional marks data the subject may choose not to provide.
	Optional bool `json:"optional,omitempty"`
	// Transit is the minimum protection the category needs whenever it
	// leaves the system (Art. 32(1)(a)): "encrypted", or "" for the
	// operator's general measures. Financial implies "encrypted" (reason
	// security.unencrypted_financial); any other category marked
	// "encrypted" sent without encryption is denied with
	// security.unencrypted_in_transit.
	Transit string `json:"transit,omitempty"`
	// Derived marks data the operator derives from other data (a
	// marketing profile, survey answers) rather than collects as given;
	// Source says from what.
	Derived bool   `json:"derived,omitempty"`
	Source  string `json:"source,omitempty"`
	// Special states whether the category may hold special categories of
	// personal data (Art. 9(1)): "possible" (a meeting recording may show
	// a participant's health, religion or beliefs) or "" for no. Where it
	// is possible, the purposes that may use the category are limited to
	// those serving the subject's own request and legal purposes (see
	// Purpose.SpecialCategories), unless the controller of the data has
	// attested that its recordings hold none
	// (ProcessorTerms.NoSpecialCategories).
	Special string `json:"special,omitempty"`
}

// TransitEncrypted is the Category.Transit of data that must be encrypted
// in transit.
const TransitEncrypted = "encrypted"

// SpecialPossible is the Category.Special of data that may hold special
// categories of personal data (Art. 9(1)).
const SpecialPossible = "possible"

// Purpose is a purpose of processing the policy declares.
type Purpose struct {
	// Key is a dotted lower-case key such as "marketing.announcements".
	Key         string `json:"key"`
	Description string `json:"description,omitempty"`
	// Reason quotes or paraphrases, in one line, the policy text that
	// declares the purpose.
	Reason string `json:"reason"`
	// Clause is the heading of the policy section that declares it.
	Clause string `json:"clause,omitempty"`
	// DPV is the W3C DPV purpose IRI, where one fits.
	DPV string `json:"dpv,omitempty"`
	// Subjects lists the subject kinds the purpose applies to.
	Subjects []SubjectKind `json:"subjects"`
	// Categories lists the categories the purpose may use; a parent key
	// permits all its children.
	Categories []string `json:"categories"`
	// Bases lists the lawful bases in order of preference.
	Bases []lawfulbasis.Basis `json:"bases"`
	// SubjectBases overrides Bases for a subject kind, such as
	// controller_instruction for the data of a processor's subjects.
	SubjectBases map[SubjectKind][]lawfulbasis.Basis `json:"subject_bases,omitempty"`
	// Recipients lists the recipient kinds the purpose may disclose to.
	Recipients []RecipientKind `json:"recipients"`
	// DirectMarketing marks direct marketing: objection is absolute
	// (Art. 21(2)-(3)) and messages must carry an unsubscribe link.
	DirectMarketing bool `json:"direct_marketing,omitempty"`
	// Profiling marks profiling (Art. 4(4)): the subject must be informed.
	Profiling bool `json:"profiling,omitempty"`
	// AutomatedDecision marks a purpose that may take decisions based solely
	// on automated processing with legal or similar effect (Art. 22(2)).
	AutomatedDecision bool `json:"automated_decision,omitempty"`
	// Legal marks a legal purpose (legal obligations, legal claims): it
	// survives deactivation and restriction (Art. 17(3)(b),(e), 18(2)).
	Legal bool `json:"legal,omitempty"`
	// LIA is the legitimate-interest assessment, required when Bases holds
	// legitimate_interests.
	LIA *lawfulbasis.Assessment `json:"lia,omitempty"`
	// ConsentVersion is the policy version of the purpose's last material
	// change: consent given under an older version is stale.
	ConsentVersion string `json:"consent_version,omitempty"`
	// ConsentMaxAge is how long a consent to the purpose lasts before it
	// must be renewed, counted from when it was given; zero means the
	// catalog's ConsentRenewal.Default. The GDPR sets no expiry; the EDPB
	// (Guidelines 05/2020 on consent, para. 110) recommends refreshing
	// consent at appropriate intervals.
	ConsentMaxAge *Period `json:"consent_max_age,omitempty"`
	// LegalClaims marks a purpose that serves the establishment, exercise
	// or defence of legal claims: an objection does not stop it (Art.
	// 21(1)) and a transfer for it may rest on Art. 49(1)(e).
	LegalClaims bool `json:"legal_claims,omitempty"`
	// SpecialCategories marks a purpose that may use categories that may
	// hold special categories of data (Category.Special) without the
	// controller's attestation: the purpose serves the subject's own
	// request (delivering the recording they made) or a legal duty, under
	// Art. 9(2)(e)-(f) or the controller's instructions.
	SpecialCategories bool `json:"special_categories,omitempty"`
}

// BasesFor returns the purpose's lawful bases for a subject kind, in order.
func (p *Purpose) BasesFor(kind SubjectKind) []lawfulbasis.Basis {
	if b, ok := p.SubjectBases[kind]; ok {
		return b
	}
	return p.Bases
}

// Declares reports whether the purpose may rest on basis b for any of the
// subject kinds it covers.
func (p *Purpose) Declares(b lawfulbasis.Basis) bool {
	for _, k := range p.Subjects {
		if lawfulbasis.Contains(p.BasesFor(k), b) {
			return true
		}
	}
	return false
}

// ProcessorTerms are the instructions under which the operator processes
// the data of subjects for whom it is a processor (Art. 28(3)(a)).
type ProcessorTerms struct {
	// DefaultInstructions lists the purposes every controller instructs.
	DefaultInstructions []string `json:"default_instructions"`
	// Controllers overrides the instructions for a named controller.
	Controllers map[string][]string `json:"controllers,omitempty"`
	// NoSpecialCategories lists the controllers (customers) that have
	// attested that the data they have the operator process holds no
	// special categories of data (Art. 9(1)), so that the stricter rules
	// for categories marked Special do not apply to their subjects.
	NoSpecialCategories []string `json:"no_special_categories,omitempty"`
}

// Transfers holds the facts that decide whether a disclosure outside the
// EEA needs a safeguard (GDPR Chapter V).
type Transfers struct {
	// Checked is when the facts were last checked (YYYY-MM).
	Checked string `json:"checked"`
	// EEA lists the EEA countries, ISO 3166-1 alpha-2.
	EEA []string `json:"eea"`
	// Adequacy lists the adequacy decisions of Art. 45.
	Adequacy []Adequacy `json:"adequacy"`
}

// Adequacy is an adequacy decision of the Commission (Art. 45).
type Adequacy struct {
	// Country is the ISO 3166-1 alpha-2 code; empty for an international
	// organisation, which Name then names.
	Country  string `json:"country,omitempty"`
	Name     string `json:"name,omitempty"`
	Decision string `json:"decision"`
	// Scope limits the decision, in words.
	Scope string `json:"scope,omitempty"`
	// Source cites where the decision, its scope and dates are published
	// (the Official Journal reference) and when that was checked.
	Source string `json:"source,omitempty"`
	// From is the first day ("2026-01-27") the decision covers, if it is
	// recent enough for a replayed decision to predate it; see Start.
	From string `json:"from,omitempty"`
	// Until is the last month ("2031-12") or day ("2031-12-31") the
	// decision covers, if it expires; see End.
	Until string `json:"until,omitempty"`
	// Requires names the safeguard or certification a recipient must show
	// for the decision to cover it (dpf for the United States): the
	// request's recipient.safeguard or one of its recipient.certifications.
	Requires Safeguard `json:"requires,omitempty"`
	// Sectors, when not empty, limits the decision to recipients that
	// state one of these sectors (recipient.sector): Canada's covers
	// organisations under PIPEDA, "commercial"; Japan's business operators
	// under the APPI, "commercial".
	Sectors []string `json:"sectors,omitempty"`
	// ExcludedSectors lists sectors the decision does not cover even where
	// it covers the rest: Korea's excludes personal credit information
	// under the Credit Information Act ("credit_information").
	ExcludedSectors []string `json:"excluded_sectors,omitempty"`
}

// Start returns the first instant the decision covers, the start of From
// in UTC; false when From is empty (the decision predates anything the
// engine judges).
func (a Adequacy) Start() (time.Time, bool, error) {
	if a.From == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.DateOnly, a.From)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("want YYYY-MM-DD, got %q", a.From)
	}
	if CheckTime("from", t) != nil {
		// The policy holds the start as nanoseconds since 1970.
		return time.Time{}, false, fmt.Errorf("want a date from 1970 to 2262, got %q", a.From)
	}
	return t, true, nil
}

// End returns the first instant the decision no longer covers: the start
// of the month after Until ("2031-12") or of the day after it
// ("2031-12-31"), in UTC; false when the decision does not expire. A
// transfer at or after End needs an Art. 46 safeguard.
func (a Adequacy) End() (time.Time, bool, error) {
	if a.Until == "" {
		return time.Time{}, false, nil
	}
	var end time.Time
	if t, err := time.Parse("2006-01", a.Until); err == nil {
		end = t.AddDate(0, 1, 0)
	} else if t, err := time.Parse(time.DateOnly, a.Until); err == nil {
		end = t.AddDate(0, 0, 1)
	} else {
		return time.Time{}, false, fmt.Errorf("want YYYY-MM or YYYY-MM-DD, got %q", a.Until)
	}
	if CheckTime("until", end) != nil {
		// The policy holds the end as nanoseconds since 1970.
		return time.Time{}, false, fmt.Errorf("want a date from 1970 to 2262, got %q", a.Until)
	}
	return end, true, nil
}

// ConsentMaxAge returns how long a consent to the purpose lasts before it
// must be renewed: the purpose's ConsentMaxAge, else the catalog's
// ConsentRenewal default; false when neither is set.
func (c *Catalog) ConsentMaxAge(purpose string) (Period, bool) {
	if p := c.Purpose(purpose); p != nil && p.ConsentMaxAge != nil {
		return *p.ConsentMaxAge, true
	}
	if c.ConsentRenewal != nil {
		return c.ConsentRenewal.Default, true
	}
	return Period{}, false
}

// ConsentRenewal says how long consent lasts before it must be asked
// again when a purpose states no ConsentMaxAge of its own.
type ConsentRenewal struct {
	// Default is the maximum age of a consent.
	Default Period `json:"default"`
	// Source cites why that default: the guidance or law it follows.
	Source string `json:"source"`
}

// ConsentAge holds the ages of digital consent of Art. 8(1).
type ConsentAge struct {
	Default   int            `json:"default"`
	Countries map[string]int `json:"countries,omitempty"`
}

// For returns the age of digital consent in a country.
func (a ConsentAge) For(country string) int {
	if v, ok := a.Countries[country]; ok {
		return v
	}
	return a.Default
}

//go:embed catalog/reference.yaml
var referenceCatalog []byte

// ReferenceCatalogYAML returns the embedded reference catalog file, the
// 24sessions privacy policy version 1.2 as data.
func ReferenceCatalogYAML() []byte { return bytes.Clone(referenceCatalog) }

// DefaultCatalog returns a fresh copy of the embedded reference catalog.
func DefaultCatalog() *Catalog {
	c, err := ParseCatalog("reference.yaml", referenceCatalog)
	if err != nil {
		panic("privacy: embedded reference catalog is invalid: " + err.Error())
	}
	return c
}

// LoadCatalog reads and checks a catalog file (YAML or JSON) of at most
// MaxCatalogBytes.
func LoadCatalog(path string) (*Catalog, error) {
	data, err := ReadFile(path, "catalog", MaxCatalogBytes, "MaxCatalogBytes")
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Kind = ErrInvalidCatalog
		}
		return nil, fmt.Errorf("load catalog %s: %w", path, err)
	}
	return ParseCatalog(filepath.Base(path), data)
}

// ParseCatalog parses a catalog (YAML or JSON, at most MaxCatalogBytes)
// and checks it with Check. name is used in error messages. Unknown
// fields, duplicate keys (also keys differing only by case), an explicit
// zero time or one CheckTime refuses are errors. Every error wraps
// ErrInvalidCatalog and names the file, the entry and the field.
func ParseCatalog(name string, data []byte) (*Catalog, error) {
	if len(data) > MaxCatalogBytes {
		return nil, &CatalogError{File: name, Message: TooLarge("the catalog", MaxCatalogBytes, "bytes", "MaxCatalogBytes").Message}
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		// A YAML error (syntax, a duplicate key): its message has the line.
		return nil, &CatalogError{File: name, Message: yamlMessage(err)}
	}
	var c Catalog
	if err := decodeValue(js, reflect.ValueOf(&c).Elem(), ""); err != nil {
		ce := locateCatalogError(js, err)
		ce.File = name
		return nil, ce
	}
	if err := c.Check(); err != nil {
		var ce *CatalogError
		if errors.As(err, &ce) {
			ce.File = name
		}
		return nil, err
	}
	return &c, nil
}

// locateCatalogError names the entry and field of the decoding error err
// of the catalog js (as JSON).
func locateCatalogError(js []byte, err error) *CatalogError {
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field == "" {
		return &CatalogError{Message: err.Error()}
	}
	// Name list entries as Check does: "purpose referral", "category
	// instance.contact.email"; the rest of the path is the field.
	top, field, _ := strings.Cut(ve.Field, ".")
	entry := top
	if list, idx, ok := listIndex(top); ok {
		var doc struct{ Purposes, Categories []struct{ Key string } }
		_ = json.Unmarshal(js, &doc) // best effort: only the keys are read
		entries, singular := doc.Purposes, "purpose"
		if list == "categories" {
			entries, singular = doc.Categories, "category"
		}
		if (list == "purposes" || list == "categories") && idx < len(entries) && entries[idx].Key != "" {
			entry = singular + " " + entries[idx].Key
		}
	}
	return &CatalogError{Entry: entry, Field: field, Message: ve.Message}
}

// listIndex splits "purposes[3]" into "purposes" and 3.
func listIndex(s string) (string, int, bool) {
	name, rest, ok := strings.Cut(s, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return "", 0, false
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return name, i, err == nil
}

func yamlMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: ")
	msg = strings.TrimPrefix(msg, "json: ")
	return msg
}

// CatalogError is a catalog that fails to parse or validate. It names the
// file, the entry (such as "purpose marketing.profiling") and the field.
type CatalogError struct {
	File    string
	Entry   string
	Field   string
	Message string
}

// Error returns "catalog FILE: ENTRY: FIELD: MESSAGE", leaving out the
// parts that are empty.
func (e *CatalogError) Error() string {
	parts := []string{"catalog"}
	if e.File != "" {
		parts[0] += " " + e.File
	}
	for _, s := range []string{e.Entry, e.Field, e.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns ErrInvalidCatalog.
func (e *CatalogError) Unwrap() error { return ErrInvalidCatalog }

var keyPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// Validate checks that the catalog is consistent enough to decide on: keys
// well formed and unique, every reference known (categories, subject kinds,
// bases, recipient kinds, instructed purposes), countries well formed. It
// builds the index behind Leaves. A catalog built in Go must pass Validate
// before an engine uses it; policies.New calls it.
func (c *Catalog) Validate() error {
	bad := func(entry, field, format string, args ...any) error {
		return &CatalogError{Entry: entry, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if _, err := ParsePolicyVersion(c.PolicyVersion); err != nil {
		return bad("", "policy_version", "%s", err.(*ValidationError).Message)
	}
	if len(c.SubjectKinds) == 0 {
		return bad("", "subject_kinds", "must declare at least one subject kind")
	}
	kinds := map[SubjectKind]bool{}
	for i, k := range c.SubjectKinds {
		entry := fmt.Sprintf("subject_kinds[%d]", i)
		if !keyPattern.MatchString(string(k.Kind)) {
			return bad(entry, "kind", "must be a lower-case key, got %q", k.Kind)
		}
		if kinds[k.Kind] {
			return bad("subject kind "+string(k.Kind), "kind", "duplicate subject kind")
		}
		if k.Role != RoleController && k.Role != RoleProcessor {
			return bad("subject kind "+string(k.Kind), "role", "must be controller or processor, got %q", k.Role)
		}
		kinds[k.Kind] = true
	}
	if len(c.Categories) == 0 {
		return bad("", "categories", "must declare at least one category")
	}
	leafSet := map[string]bool{}
	for i, cat := range c.Categories {
		entry := "category " + cat.Key
		if !keyPattern.MatchString(cat.Key) {
			return bad(fmt.Sprintf("categories[%d]", i), "key", "must be a dotted lower-case key, got %q", cat.Key)
		}
		if leafSet[cat.Key] {
			return bad(entry, "key", "duplicate category")
		}
		if !kinds[cat.Subject] {
			return bad(entry, "subject", "unknown subject kind %q%s", cat.Subject, DidYouMean(string(cat.Subject), names(kinds)))
		}
		leafSet[cat.Key] = true
	}
	leaves := map[string][]string{}
	for k := range leafSet {
		leaves[k] = append(leaves[k], k)
		for p := k; ; {
			i := strings.LastIndexByte(p, '.')
			if i < 0 {
				break
			}
			p = p[:i]
			if leafSet[p] {
				return bad("category "+p, "key", "is both a category and the parent of %q", k)
			}
			leaves[p] = append(leaves[p], k)
		}
	}
	for k := range leaves {
		sort.Strings(leaves[k])
	}
	purposes := map[string]bool{}
	for i, p := range c.Purposes {
		entry := "purpose " + p.Key
		if !keyPattern.MatchString(p.Key) {
			return bad(fmt.Sprintf("purposes[%d]", i), "key", "must be a dotted lower-case key, got %q", p.Key)
		}
		if purposes[p.Key] {
			return bad(entry, "key", "duplicate purpose")
		}
		purposes[p.Key] = true
		if len(p.Subjects) == 0 {
			return bad(entry, "subjects", "must name at least one subject kind")
		}
		for _, s := range p.Subjects {
			if !kinds[s] {
				return bad(entry, "subjects", "unknown subject kind %q%s", s, DidYouMean(string(s), names(kinds)))
			}
		}
		if len(p.Categories) == 0 {
			return bad(entry, "categories", "must name at least one category")
		}
		for _, cat := range p.Categories {
			if _, ok := leaves[cat]; !ok {
				return bad(entry, "categories", "unknown category %q%s", cat, DidYouMean(cat, names(leaves)))
			}
		}
		if err := checkBases(p.Bases); err != nil {
			return bad(entry, "bases", "%v", err)
		}
		for kind, b := range p.SubjectBases {
			if !slices.Contains(p.Subjects, kind) {
				return bad(entry, "subject_bases", "subject kind %q is not in subjects", kind)
			}
			if err := checkBases(b); err != nil {
				return bad(entry, "subject_bases."+string(kind), "%v", err)
			}
		}
		for _, r := range p.Recipients {
			if !r.valid() {
				return bad(entry, "recipients", "unknown recipient kind %q%s", r, DidYouMean(string(r), strs(RecipientKinds())))
			}
		}
		if p.ConsentVersion != "" {
			if _, err := ParsePolicyVersion(p.ConsentVersion); err != nil {
				return bad(entry, "consent_version", "%s", err.(*ValidationError).Message)
			}
		}
	}
	for _, cat := range c.Categories {
		entry := "category " + cat.Key
		switch {
		case cat.Transit != "" && cat.Transit != TransitEncrypted:
			return bad(entry, "transit", "must be %q or empty, got %q", TransitEncrypted, cat.Transit)
		case cat.Special != "" && cat.Special != SpecialPossible:
			return bad(entry, "special", "must be %q or empty, got %q", SpecialPossible, cat.Special)
		case cat.Derived && strings.TrimSpace(cat.Source) == "":
			return bad(entry, "source", "a derived category must say what it is derived from")
		}
	}
	for _, p := range c.Purposes {
		if p.ConsentMaxAge != nil && p.ConsentMaxAge.IsZero() {
			return bad("purpose "+p.Key, "consent_max_age", "must be a period longer than zero, such as P24M")
		}
	}
	if r := c.ConsentRenewal; r != nil {
		if r.Default.IsZero() {
			return bad("consent_renewal", "default", "must be a period longer than zero, such as P24M")
		}
		if strings.TrimSpace(r.Source) == "" {
			return bad("consent_renewal", "source", "must cite the guidance the default follows")
		}
	}
	for i, ctrl := range c.Processor.NoSpecialCategories {
		if strings.TrimSpace(ctrl) == "" {
			return bad("processor", fmt.Sprintf("no_special_categories[%d]", i), "must name a customer")
		}
	}
	for _, p := range c.Processor.DefaultInstructions {
		if !purposes[p] {
			return bad("processor", "default_instructions", "unknown purpose %q%s", p, DidYouMean(p, names(purposes)))
		}
	}
	for ctrl, list := range c.Processor.Controllers {
		for _, p := range list {
			if !purposes[p] {
				return bad("processor", "controllers."+ctrl, "unknown purpose %q%s", p, DidYouMean(p, names(purposes)))
			}
		}
	}
	if checkCountry("", c.Controller.Country) != nil {
		return bad("controller", "country", "not an ISO 3166-1 alpha-2 code: %q", c.Controller.Country)
	}
	for i, cc := range c.Transfers.EEA {
		if checkCountry("", cc) != nil || cc == "" {
			return bad("transfers", fmt.Sprintf("eea[%d]", i), "not an ISO 3166-1 alpha-2 code: %q", cc)
		}
	}
	for i, a := range c.Transfers.Adequacy {
		if a.Country == "" && a.Name == "" {
			return bad("transfers", fmt.Sprintf("adequacy[%d]", i), "needs a country or a name")
		}
		if checkCountry("", a.Country) != nil {
			return bad("transfers", fmt.Sprintf("adequacy[%d].country", i), "not an ISO 3166-1 alpha-2 code: %q", a.Country)
		}
		if !a.Requires.valid() {
			return bad("transfers", fmt.Sprintf("adequacy[%d].requires", i), "unknown safeguard %q%s", a.Requires, DidYouMean(string(a.Requires), strs(safeguards())))
		}
		if _, _, err := a.End(); err != nil {
			return bad("transfers", fmt.Sprintf("adequacy[%d].until", i), "%v", err)
		}
		start, hasStart, err := a.Start()
		if err != nil {
			return bad("transfers", fmt.Sprintf("adequacy[%d].from", i), "%v", err)
		}
		if end, hasEnd, _ := a.End(); hasStart && hasEnd && !start.Before(end) {
			return bad("transfers", fmt.Sprintf("adequacy[%d].from", i), "%s is not before until %s", a.From, a.Until)
		}
		for j, sec := range append(slices.Clone(a.Sectors), a.ExcludedSectors...) {
			if !keyPattern.MatchString(sec) {
				field := fmt.Sprintf("adequacy[%d].sectors[%d]", i, j)
				if j >= len(a.Sectors) {
					field = fmt.Sprintf("adequacy[%d].excluded_sectors[%d]", i, j-len(a.Sectors))
				}
				return bad("transfers", field, "must be a lower-case key such as \"commercial\", got %q", sec)
			}
		}
	}
	if c.ConsentAge.Default < 13 || c.ConsentAge.Default > 16 {
		return bad("consent_age", "default", "must be between 13 and 16 (Art. 8(1)), got %d", c.ConsentAge.Default)
	}
	for cc, age := range c.ConsentAge.Countries {
		if checkCountry("", cc) != nil || cc == "" {
			return bad("consent_age", "countries", "not an ISO 3166-1 alpha-2 code: %q", cc)
		}
		if age < 13 || age > 16 {
			return bad("consent_age", "countries."+cc, "must be between 13 and 16 (Art. 8(1)), got %d", age)
		}
	}
	roles := map[SubjectKind]Role{}
	for _, k := range c.SubjectKinds {
		roles[k.Kind] = k.Role
	}
	if err := c.validateRetention(leaves, roles); err != nil {
		return err
	}
	c.leaves = leaves
	c.hash = ""
	return nil
}

func checkBases(bases []lawfulbasis.Basis) error {
	if len(bases) == 0 {
		return errors.New("must name at least one lawful basis")
	}
	seen := map[lawfulbasis.Basis]bool{}
	for _, b := range bases {
		if !b.Valid() {
			return fmt.Errorf("unknown lawful basis %q%s", b, DidYouMean(string(b), strs(append(lawfulbasis.All(), lawfulbasis.ControllerInstruction))))
		}
		if seen[b] {
			return fmt.Errorf("duplicate lawful basis %q", b)
		}
		seen[b] = true
	}
	return nil
}

// Check runs Validate and then the accountability checks a published
// catalog must pass: every purpose quotes the policy (reason), every purpose
// on legitimate interests has a complete assessment (Art. 5(2)), every
// purpose on consent states the version of its last material change. The
// file loaders call Check; a catalog built in Go that skips it is still
// enforced safely (an LI purpose without an assessment is always denied).
func (c *Catalog) Check() error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, p := range c.Purposes {
		entry := "purpose " + p.Key
		if strings.TrimSpace(p.Reason) == "" {
			return &CatalogError{Entry: entry, Field: "reason", Message: "must quote the policy text that declares the purpose"}
		}
		li, consent := p.Declares(lawfulbasis.LegitimateInterests), p.Declares(lawfulbasis.Consent)
		if li {
			if p.LIA == nil {
				return &CatalogError{Entry: entry, Field: "lia", Message: "legitimate_interests needs a legitimate-interest assessment"}
			}
			if err := p.LIA.Validate(); err != nil {
				return &CatalogError{Entry: entry, Field: "lia", Message: err.Error()}
			}
		}
		if consent && p.ConsentVersion == "" {
			return &CatalogError{Entry: entry, Field: "consent_version", Message: "a consent purpose must state the policy version of its last material change"}
		}
	}
	return nil
}

// Leaves returns the leaf categories a key stands for: itself for a leaf,
// all its children for a parent, nil for an unknown key. It needs a
// validated catalog.
func (c *Catalog) Leaves(key string) []string { return c.leaves[key] }

// Purpose returns the purpose with the key, or nil.
func (c *Catalog) Purpose(key string) *Purpose {
	for i := range c.Purposes {
		if c.Purposes[i].Key == key {
			return &c.Purposes[i]
		}
	}
	return nil
}

// PurposeKeys lists the keys of the declared purposes, in catalog order
// (for "did you mean" suggestions and listings).
func (c *Catalog) PurposeKeys() []string {
	keys := make([]string, len(c.Purposes))
	for i := range c.Purposes {
		keys[i] = c.Purposes[i].Key
	}
	return keys
}

// Category returns the leaf category with the key, or nil.
func (c *Catalog) Category(key string) *Category {
	for i := range c.Categories {
		if c.Categories[i].Key == key {
			return &c.Categories[i]
		}
	}
	return nil
}

// SubjectKind returns the declaration of a subject kind, or nil.
func (c *Catalog) SubjectKind(kind SubjectKind) *SubjectKindSpec {
	for i := range c.SubjectKinds {
		if c.SubjectKinds[i].Kind == kind {
			return &c.SubjectKinds[i]
		}
	}
	return nil
}

// Hash returns the SHA-256 of the catalog's canonical JSON, hex encoded. A
// decision log records it so that an auditor can tell which catalog
// decided.
func (c *Catalog) Hash() string {
	if c.hash == "" {
		b, err := yaml.Marshal(c) // canonical: sorted map keys, fixed field order
		if err != nil {
			return ""
		}
		sum := sha256.Sum256(b)
		c.hash = hex.EncodeToString(sum[:])
	}
	return c.hash
}
