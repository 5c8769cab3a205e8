package accountability

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// NotSpecified is what the record and the notice say where the catalog has
// no data yet, such as retention periods.
const NotSpecified = "not specified in catalog"

// Record is the record of processing activities of GDPR Art. 30, built from
// a catalog: the activities of the operator as controller (Art. 30(1)) and
// as processor (Art. 30(2)). It marshals to the JSON that WriteJSON writes.
type Record struct {
	// Name names the policy the catalog encodes.
	Name string `json:"name"`
	// PolicyVersion is the catalog's policy version.
	PolicyVersion string `json:"policy_version"`
	// CatalogHash is the catalog's Hash, so that a record can be traced to
	// the catalog that produced it.
	CatalogHash string `json:"catalog_hash"`
	// Controller names the operator (Art. 30(1)(a), 30(2)(a)).
	Controller privacy.Party `json:"controller"`
	// DPO and Representative say who the data protection officer and the
	// representative in the Union are, or why there is none (Art.
	// 30(1)(a), 30(2)(a)).
	DPO            string `json:"dpo"`
	Representative string `json:"representative"`
	// Activities are the processing activities under the operator's own
	// control, one per purpose that applies to a subject kind the operator
	// controls (Art. 30(1)(b)-(g)).
	Activities []Activity `json:"controller_activities"`
	// ProcessorActivities are the categories of processing the operator
	// carries out on behalf of each controller (Art. 30(2)(b)-(d)).
	ProcessorActivities []ProcessorActivity `json:"processor_activities"`
	// Customers are the controllers on whose behalf the operator processes
	// (Art. 30(2)(a)), each with the categories of processing it
	// instructs (Art. 30(2)(b)): those the catalog names and those given
	// in the RecordInput, by name.
	Customers []ProcessorCustomer `json:"customers"`
	// Transfers states the rules for transfers outside the EEA that every
	// activity follows (Art. 30(1)(e), 30(2)(c)).
	Transfers TransferRules `json:"transfers"`
	// Security is the general description of technical and organisational
	// security measures (Art. 30(1)(g), 30(2)(d), 32(1)).
	Security string `json:"security_measures"`
}

// Activity is one processing activity of the operator as controller: a
// catalog purpose, restricted to the subject kinds the operator controls.
type Activity struct {
	// Purpose is the catalog key of the purpose.
	Purpose string `json:"purpose"`
	// Description quotes the policy text that declares the purpose.
	Description string `json:"description"`
	// DPV is the purpose's W3C DPV IRI, if any.
	DPV string `json:"dpv,omitempty"`
	// Bases lists the lawful bases in order of preference.
	Bases []lawfulbasis.Basis `json:"lawful_bases"`
	// LegitimateInterest is the interest pursued, for an activity on
	// legitimate interests (Art. 13(1)(d)).
	LegitimateInterest string `json:"legitimate_interest,omitempty"`
	// Subjects lists the categories of data subjects.
	Subjects []privacy.SubjectKind `json:"data_subjects"`
	// Categories lists the leaf categories of personal data.
	Categories []string `json:"personal_data"`
	// Recipients lists the categories of recipients.
	Recipients []privacy.RecipientKind `json:"recipients"`
	// Transfers says whether and how data may leave the EEA.
	Transfers string `json:"transfers"`
	// ThirdCountries names the countries outside the EEA the activity's
	// data goes to, from the transfers given to BuildRecordWith (declared
	// or read from the decision log), with the adequacy decision,
	// safeguard or derogation of each (Art. 30(1)(e)).
	ThirdCountries []ThirdCountry `json:"third_countries"`
	// Retention is the time limit for erasure (Art. 30(1)(f)).
	Retention string `json:"retention"`
	// ConsentRenewal says, for an activity on consent, after how long
	// consent is asked again (the purpose's consent_max_age, else the
	// catalog's consent_renewal default, with its source).
	ConsentRenewal string `json:"consent_renewal,omitempty"`
	// DirectMarketing, Profiling and AutomatedDecision copy the purpose's
	// flags.
	DirectMarketing   bool `json:"direct_marketing,omitempty"`
	Profiling         bool `json:"profiling,omitempty"`
	AutomatedDecision bool `json:"automated_decision,omitempty"`
}

// ProcessorActivity is one category of processing the operator carries out
// as processor on behalf of a controller (Art. 30(2)(b)).
type ProcessorActivity struct {
	// Controller names the controller on whose behalf the operator acts;
	// AnyController for the default instructions every customer gives.
	Controller string `json:"controller"`
	// Purpose is the catalog key of the instructed purpose.
	Purpose     string `json:"purpose"`
	Description string `json:"description"`
	// Subjects lists the subject kinds for whom the operator is processor.
	Subjects []privacy.SubjectKind `json:"data_subjects"`
	// Categories lists the leaf categories processed.
	Categories []string `json:"personal_data"`
	// Recipients lists the kinds of recipient (sub-processors,
	// authorities) the data may be disclosed to.
	Recipients []privacy.RecipientKind `json:"recipients"`
	Transfers  string                  `json:"transfers"`
	// ThirdCountries names the countries outside the EEA the data goes to
	// for this controller (Art. 30(2)(c)).
	ThirdCountries []ThirdCountry `json:"third_countries"`
	Retention      string         `json:"retention"`
}

// ThirdCountry is a country outside the EEA that an activity's data is
// transferred to, with what makes the transfer lawful.
type ThirdCountry struct {
	// Country is the ISO 3166-1 alpha-2 code and Name its English name.
	Country string `json:"country"`
	Name    string `json:"name"`
	// Recipients names the recipients ("processor mailer.example").
	Recipients []string `json:"recipients"`
	// Basis says what makes the transfer lawful: the adequacy decision,
	// the Art. 46 safeguard or the Art. 49 derogation, or that none is
	// recorded.
	Basis string `json:"transfer_basis"`
	// LoggedTransfers counts the transfers the decision log holds; 0 for
	// declared ones.
	LoggedTransfers int `json:"logged_transfers,omitempty"`
}

// ProcessorCustomer is a controller on whose behalf the operator
// processes, with the categories of processing it instructs (Art.
// 30(2)(a), (b)).
type ProcessorCustomer struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
	Country string `json:"country,omitempty"`
	// Processing lists the instructed purposes, as "key: reason".
	Processing []string `json:"processing"`
	// Categories lists the leaf categories those purposes use.
	Categories []string `json:"personal_data"`
}

// AnyController is the Controller of a ProcessorActivity done on the
// default instructions of every controller (the catalog's
// processor.default_instructions).
const AnyController = "each customer (default instructions)"

// TransferRules are the rules every transfer outside the EEA follows, as the
// engine enforces them.
type TransferRules struct {
	// Checked is when the facts were last checked (YYYY-MM).
	Checked string `json:"checked"`
	// EEA lists the EEA countries.
	EEA []string `json:"eea"`
	// Adequacy lists the adequacy decisions relied on (Art. 45).
	Adequacy []privacy.Adequacy `json:"adequacy"`
	// Safeguards lists the Art. 46 safeguards a recipient elsewhere must
	// show.
	Safeguards []string `json:"safeguards"`
}

// safeguards are the Art. 46 transfer tools the engine accepts, in words.
var safeguards = []string{
	"standard contractual clauses, Implementing Decision (EU) 2021/914 (Art. 46(2)(c))",
	"binding corporate rules (Art. 46(2)(b), 47)",
	"an approved code of conduct (Art. 46(2)(e))",
	"an approved certification (Art. 46(2)(f))",
}

// partyLabel names a party with its contact details, or says none.
func partyLabel(p *privacy.Party, none string) string {
	if p == nil || p.Name == "" {
		return none
	}
	parts := []string{p.Name}
	for _, s := range []string{p.Address, p.Contact, p.Phone} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// representativeDefault says why a catalog names no representative.
func representativeDefault(c *privacy.Catalog) string {
	if slices.Contains(c.Transfers.EEA, c.Controller.Country) {
		return "not required: the controller is established in the EEA (Art. 27(1))"
	}
	return "none designated in the catalog (Art. 27)"
}

// BuildRecord builds the record of processing activities from a validated
// catalog alone; see BuildRecordWith.
func BuildRecord(c *privacy.Catalog) Record {
	r, err := BuildRecordWith(c, RecordInput{})
	if err != nil {
		// an empty input cannot fail its check
		panic(err)
	}
	return r
}

// BuildRecordWith builds the record of processing activities from a
// validated catalog and what the operator knows besides: the transfers to
// third countries (declared, or read from the decision log with
// ReadDecisionLog) and the controllers it processes for. Activities come
// in catalog order; categories are expanded to leaves and sorted;
// recipients are sorted. Transfers to the EEA are left out. An input that
// names a purpose, subject kind, recipient kind or safeguard the catalog
// does not know, or a malformed country, is an error naming the field
// (privacy.ErrInvalid).
func BuildRecordWith(c *privacy.Catalog, in RecordInput) (Record, error) {
	if err := in.check(c); err != nil {
		return Record{}, fmt.Errorf("record of processing: %w", err)
	}
	r := Record{
		Name:           c.Name,
		PolicyVersion:  c.PolicyVersion,
		CatalogHash:    c.Hash(),
		Controller:     c.Controller,
		DPO:            partyLabel(c.DPO, "none designated in the catalog (Art. 37)"),
		Representative: partyLabel(c.Representative, representativeDefault(c)),
		Transfers: TransferRules{
			Checked:    c.Transfers.Checked,
			EEA:        slices.Clone(c.Transfers.EEA),
			Adequacy:   slices.Clone(c.Transfers.Adequacy),
			Safeguards: slices.Clone(safeguards),
		},
		Security:            securityMeasures(c),
		Activities:          []Activity{},
		ProcessorActivities: []ProcessorActivity{},
		Customers:           []ProcessorCustomer{},
	}
	for i := range c.Purposes {
		p := &c.Purposes[i]
		subjects := subjectsWithRole(c, p, privacy.RoleController)
		if len(subjects) == 0 {
			continue
		}
		cats := leavesFor(c, p, subjects)
		a := Activity{
			Purpose:           p.Key,
			Description:       p.Reason,
			DPV:               p.DPV,
			Bases:             basesFor(p, subjects),
			Subjects:          subjects,
			Categories:        cats,
			Recipients:        sortedRecipients(p.Recipients),
			Transfers:         transfersFor(p, subjects),
			ThirdCountries:    thirdCountries(c, in.Transfers, p.Key, subjects, nil),
			Retention:         retention(c, p, cats),
			ConsentRenewal:    consentRenewal(c, p, subjects),
			DirectMarketing:   p.DirectMarketing,
			Profiling:         p.Profiling,
			AutomatedDecision: p.AutomatedDecision,
		}
		if p.LIA != nil && lawfulbasis.Contains(a.Bases, lawfulbasis.LegitimateInterests) {
			a.LegitimateInterest = p.LIA.Interest
		}
		r.Activities = append(r.Activities, a)
	}
	type instr struct {
		controller string
		purposes   []string
	}
	instructions := []instr{{AnyController, c.Processor.DefaultInstructions}}
	names := make([]string, 0, len(c.Processor.Controllers))
	for name := range c.Processor.Controllers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		instructions = append(instructions, instr{name, c.Processor.Controllers[name]})
	}
	for _, ins := range instructions {
		// the default instructions' activities carry the transfers of
		// every customer without instructions of its own in the catalog
		var only func(string) bool
		if ins.controller == AnyController {
			only = func(name string) bool { _, own := c.Processor.Controllers[name]; return !own }
		} else {
			only = func(name string) bool { return name == ins.controller }
		}
		for _, key := range ins.purposes {
			p := c.Purpose(key)
			if p == nil {
				continue
			}
			subjects := subjectsWithRole(c, p, privacy.RoleProcessor)
			if len(subjects) == 0 {
				continue
			}
			cats := leavesFor(c, p, subjects)
			r.ProcessorActivities = append(r.ProcessorActivities, ProcessorActivity{
				Controller:     ins.controller,
				Purpose:        p.Key,
				Description:    p.Reason,
				Subjects:       subjects,
				Categories:     cats,
				Recipients:     sortedRecipients(p.Recipients),
				Transfers:      transfersFor(p, subjects),
				ThirdCountries: thirdCountries(c, in.Transfers, p.Key, subjects, only),
				Retention:      retention(c, p, cats),
			})
		}
	}
	r.Customers = customersOf(c, in.Customers)
	return r, nil
}

// customersOf lists the controllers the operator processes for: those the
// catalog names (processor.controllers) and those given, each with the
// purposes it instructs and the categories they use.
func customersOf(c *privacy.Catalog, given []Customer) []ProcessorCustomer {
	all := slices.Clone(given)
	for name := range c.Processor.Controllers {
		if !slices.ContainsFunc(all, func(cu Customer) bool { return cu.Name == name }) {
			all = append(all, Customer{Name: name})
		}
	}
	slices.SortFunc(all, func(a, b Customer) int { return strings.Compare(a.Name, b.Name) })
	out := []ProcessorCustomer{}
	for _, cu := range all {
		purposes := cu.Instructions
		if len(purposes) == 0 {
			if own, ok := c.Processor.Controllers[cu.Name]; ok {
				purposes = own
			} else {
				purposes = c.Processor.DefaultInstructions
			}
		}
		pc := ProcessorCustomer{Name: cu.Name, Contact: cu.Contact, Country: cu.Country, Processing: []string{}, Categories: []string{}}
		for _, key := range purposes {
			p := c.Purpose(key)
			if p == nil {
				continue
			}
			subjects := subjectsWithRole(c, p, privacy.RoleProcessor)
			if len(subjects) == 0 {
				continue
			}
			pc.Processing = append(pc.Processing, p.Key+": "+strings.TrimSpace(p.Reason))
			for _, leaf := range leavesFor(c, p, subjects) {
				if !slices.Contains(pc.Categories, leaf) {
					pc.Categories = append(pc.Categories, leaf)
				}
			}
		}
		slices.Sort(pc.Categories)
		out = append(out, pc)
	}
	return out
}

// thirdCountries groups the transfers of a purpose outside the EEA by
// country and transfer basis. subjects limits them to the activity's
// subject kinds; customer, when not nil, to the customers whose data the
// activity covers.
func thirdCountries(c *privacy.Catalog, transfers []Transfer, purpose string, subjects []privacy.SubjectKind, customer func(string) bool) []ThirdCountry {
	out := []ThirdCountry{}
	for _, t := range transfers {
		if t.Purpose != purpose || slices.Contains(c.Transfers.EEA, t.Country) ||
			t.SubjectKind != "" && !slices.Contains(subjects, t.SubjectKind) ||
			customer != nil && t.Customer != "" && !customer(t.Customer) ||
			customer == nil && t.Customer != "" && t.SubjectKind == "" {
			continue
		}
		basis := transferBasis(c, t)
		i := slices.IndexFunc(out, func(tc ThirdCountry) bool { return tc.Country == t.Country && tc.Basis == basis })
		if i < 0 {
			out = append(out, ThirdCountry{Country: t.Country, Name: countryName(t.Country), Basis: basis, Recipients: []string{}})
			i = len(out) - 1
		}
		if who := strings.TrimSpace(string(t.RecipientKind) + " " + t.Recipient); who != "" && !slices.Contains(out[i].Recipients, who) {
			out[i].Recipients = append(out[i].Recipients, who)
		}
		out[i].LoggedTransfers += t.Count
	}
	for i := range out {
		slices.Sort(out[i].Recipients)
	}
	slices.SortFunc(out, func(a, b ThirdCountry) int {
		return cmp.Or(strings.Compare(a.Country, b.Country), strings.Compare(a.Basis, b.Basis))
	})
	return out
}

// safeguardNames says what each safeguard a request names is.
var safeguardNames = map[privacy.Safeguard]string{
	privacy.SafeguardSCC:           "standard contractual clauses, Implementing Decision (EU) 2021/914 (Art. 46(2)(c))",
	privacy.SafeguardBCR:           "binding corporate rules (Art. 46(2)(b), 47)",
	privacy.SafeguardCodeOfConduct: "an approved code of conduct (Art. 46(2)(e))",
	privacy.SafeguardCertification: "an approved certification (Art. 46(2)(f))",
	privacy.SafeguardDPF:           "certified under the EU-US Data Privacy Framework",
}

// transferBasis says what makes a transfer lawful, from the catalog's
// adequacy decisions and the transfer's safeguard or derogation.
func transferBasis(c *privacy.Catalog, t Transfer) string {
	if t.Derogation != "" {
		return "derogation of Art. 49(1): " + strings.ReplaceAll(t.Derogation, "_", " ")
	}
	for _, a := range c.Transfers.Adequacy {
		if a.Country != t.Country {
			continue
		}
		s := "adequacy decision " + a.Decision + " (Art. 45)"
		if a.Scope != "" {
			s += ", " + a.Scope
		}
		if a.Until != "" {
			s += ", until " + a.Until
		}
		switch {
		case a.Requires == "":
			return s
		case t.Safeguard == a.Requires:
			return s + "; recipient " + safeguardNames[t.Safeguard]
		case safeguardNames[t.Safeguard] != "" && t.Safeguard != privacy.SafeguardDPF:
			return safeguardNames[t.Safeguard]
		}
		return s + "; the recipient's " + string(a.Requires) + " is not recorded"
	}
	if n := safeguardNames[t.Safeguard]; n != "" && t.Safeguard != privacy.SafeguardDPF {
		return n
	}
	return "no adequacy decision and no safeguard recorded"
}

// retention states the time limits for erasure (Art. 30(1)(f)) of the
// categories given (all the catalog's categories when cats is nil), one
// clause per retention rule that governs them, in catalog order.
func retention(c *privacy.Catalog, _ *privacy.Purpose, cats []string) string {
	if cats == nil {
		for _, cat := range c.Categories {
			cats = append(cats, cat.Key)
		}
	}
	used := map[string]bool{}
	unruled := false
	for _, key := range cats {
		for _, leaf := range c.Leaves(key) {
			if r := c.RetentionRule(leaf); r != nil {
				used[r.Category] = true
			} else {
				unruled = true
			}
		}
	}
	var parts []string
	for i := range c.Retention {
		if r := &c.Retention[i]; used[r.Category] {
			parts = append(parts, r.Category+": "+r.Describe())
		}
	}
	if len(parts) == 0 {
		return NotSpecified
	}
	if unruled {
		parts = append(parts, "other categories: "+NotSpecified)
	}
	return strings.Join(parts, "; ")
}

// consentRenewal says after how long consent to the purpose is asked
// again, for an activity on consent: the period and where it comes from.
func consentRenewal(c *privacy.Catalog, p *privacy.Purpose, subjects []privacy.SubjectKind) string {
	age, ok := c.ConsentMaxAge(p.Key)
	if !ok || !lawfulbasis.Contains(basesFor(p, subjects), lawfulbasis.Consent) {
		return ""
	}
	s := "consent asked again after " + plainPeriod(age) + " (" + age.String() + ")"
	switch {
	case p.ConsentMaxAge != nil:
		s += ", the purpose's own maximum"
	case c.ConsentRenewal != nil && c.ConsentRenewal.Source != "":
		s += ", the catalog's default: " + c.ConsentRenewal.Source
	}
	return s
}

// transfersFor says how the purpose's data of the subject kinds may leave
// the EEA. The catalog fixes no destination countries: every disclosure
// names its recipient's country and the engine checks it
// (transfer.no_safeguard). The derogations are those the engine admits
// for those kinds: (b) only where one of them is processed on contract.
func transfersFor(p *privacy.Purpose, subjects []privacy.SubjectKind) string {
	if len(p.Recipients) == 0 {
		return "none: no recipients"
	}
	if !slices.ContainsFunc(p.Recipients, func(k privacy.RecipientKind) bool { return k != privacy.RecipientIndividual }) {
		return "none: only to individuals the subject names, who are no importers under Chapter V"
	}
	derogations := []string{"(a) explicit consent to the transfer"}
	if lawfulbasis.Contains(basesFor(p, subjects), lawfulbasis.Contract) {
		derogations = append(derogations, "(b) a contract with the subject")
	}
	if p.LegalClaims {
		derogations = append(derogations, "(e) legal claims")
	}
	return "possible; only to the EEA, a country with an adequacy decision (Art. 45) or a recipient with an Art. 46 safeguard, checked per disclosure; an occasional transfer may rest on an Art. 49(1) derogation named with it and shown per third country: " +
		strings.Join(derogations, ", ")
}

// securityMeasures describes the technical and organisational measures in
// general terms (Art. 30(1)(g)). The catalog has no field for them; the
// sentences state what the engine enforces for this catalog.
func securityMeasures(c *privacy.Catalog) string {
	parts := []string{"Industry-standard security technologies, procedures and organisational measures protect personal data from unauthorised access, use or disclosure (Art. 32)."}
	if slices.ContainsFunc(c.Categories, func(cat privacy.Category) bool { return cat.Financial }) {
		parts = append(parts, "Financial data is encrypted in transit (TLS) whenever it leaves the system: the decision engine denies an unencrypted disclosure (security.unencrypted_financial) and obliges encryption in transit (encrypt_in_transit).")
	}
	parts = append(parts,
		"Processors and affiliates receive data only under a data-processing agreement (Art. 28(3); disclosure.processor_without_dpa).",
		"Every disclosure and every use is decided against this catalog before it happens, and every consent is kept in a tamper-evident ledger.")
	return strings.Join(parts, " ")
}

// subjectsWithRole returns the purpose's subject kinds for which the
// operator has the role, in the purpose's order.
func subjectsWithRole(c *privacy.Catalog, p *privacy.Purpose, role privacy.Role) []privacy.SubjectKind {
	var out []privacy.SubjectKind
	for _, k := range p.Subjects {
		if spec := c.SubjectKind(k); spec != nil && spec.Role == role {
			out = append(out, k)
		}
	}
	return out
}

// leavesFor expands the purpose's categories to sorted leaves about the
// given subject kinds.
func leavesFor(c *privacy.Catalog, p *privacy.Purpose, subjects []privacy.SubjectKind) []string {
	out := []string{}
	for _, key := range p.Categories {
		for _, leaf := range c.Leaves(key) {
			cat := c.Category(leaf)
			if cat != nil && slices.Contains(subjects, cat.Subject) && !slices.Contains(out, leaf) {
				out = append(out, leaf)
			}
		}
	}
	slices.Sort(out)
	return out
}

// basesFor merges the purpose's bases for the subject kinds, keeping the
// order of preference.
func basesFor(p *privacy.Purpose, subjects []privacy.SubjectKind) []lawfulbasis.Basis {
	var out []lawfulbasis.Basis
	for _, k := range subjects {
		for _, b := range p.BasesFor(k) {
			if !lawfulbasis.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

// sortedRecipients returns the recipient kinds in the order of
// privacy.RecipientKinds.
func sortedRecipients(list []privacy.RecipientKind) []privacy.RecipientKind {
	out := []privacy.RecipientKind{}
	for _, k := range privacy.RecipientKinds() {
		if slices.Contains(list, k) {
			out = append(out, k)
		}
	}
	return out
}

func join[T ~string](list []T, sep string) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, sep)
}

// basisLabel names a basis with its article, such as
// "legitimate_interests (GDPR Art. 6(1)(f))".
func basisLabel(b lawfulbasis.Basis) string {
	if a := b.Article(); a != "" {
		return fmt.Sprintf("%s (%s)", b, a)
	}
	return string(b)
}

func basisLabels(list []lawfulbasis.Basis) string {
	s := make([]string, len(list))
	for i, b := range list {
		s[i] = basisLabel(b)
	}
	return strings.Join(s, "; ")
}

// WriteJSON writes the record as indented JSON.
func (r Record) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write record json: %w", err)
	}
	return nil
}

// csvHeader is the header row of WriteCSV.
var csvHeader = []string{"record", "controller", "controller_contact", "processor", "processor_contact", "dpo",
	"purpose", "description", "lawful_bases",
	"legitimate_interest", "data_subjects", "personal_data", "recipients", "transfers", "third_countries", "retention", "consent_renewal", "security_measures"}

// WriteCSV writes the record as one CSV table with a header row: first the
// controller activities (record "art30_1"), then the processor activities
// (record "art30_2"), then one row per controller the operator processes
// for (record "art30_2_controller", with the purposes it instructs). Lists
// are joined with "; ".
func (r Record) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{csvHeader}
	operator := partyLabel(&r.Controller, "")
	for _, a := range r.Activities {
		rows = append(rows, []string{"art30_1", r.Controller.Name, operator, "", "", r.DPO, a.Purpose, a.Description,
			join(a.Bases, "; "), a.LegitimateInterest, join(a.Subjects, "; "), strings.Join(a.Categories, "; "),
			join(a.Recipients, "; "), a.Transfers, thirdCountriesText(a.ThirdCountries, "; "), a.Retention, a.ConsentRenewal, r.Security})
	}
	for _, a := range r.ProcessorActivities {
		rows = append(rows, []string{"art30_2", a.Controller, "", r.Controller.Name, operator, r.DPO, a.Purpose, a.Description,
			string(lawfulbasis.ControllerInstruction), "", join(a.Subjects, "; "), strings.Join(a.Categories, "; "),
			join(a.Recipients, "; "), a.Transfers, thirdCountriesText(a.ThirdCountries, "; "), a.Retention, "", r.Security})
	}
	for _, cu := range r.Customers {
		var keys []string
		for _, p := range cu.Processing {
			k, _, _ := strings.Cut(p, ":")
			keys = append(keys, k)
		}
		rows = append(rows, []string{"art30_2_controller", cu.Name, strings.Join(nonEmpty(cu.Contact, countryLabel(cu.Country)), ", "),
			r.Controller.Name, operator, r.DPO, strings.Join(keys, "; "), "", string(lawfulbasis.ControllerInstruction), "", "",
			strings.Join(cu.Categories, "; "), "", "", "", "", "", ""})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write record csv: %w", err)
	}
	return nil
}

// WriteMarkdown writes the record as a Markdown document: the controller's
// identity, one section per controller activity, one per processor
// activity, the transfer rules and the security measures.
func (r Record) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Record of processing activities (GDPR Art. 30)\n\n")
	fmt.Fprintf(&b, "Generated from the catalog %q, policy version %s (catalog SHA-256 `%s`).\n\n", r.Name, r.PolicyVersion, r.CatalogHash)
	fmt.Fprintf(&b, "| | |\n| --- | --- |\n")
	operator := partyLabel(&r.Controller, "")
	row(&b, "Controller", r.Controller.Name)
	row(&b, "Address", r.Controller.Address)
	row(&b, "Contact", r.Controller.Contact)
	row(&b, "Phone", r.Controller.Phone)
	row(&b, "Data protection officer", r.DPO)
	row(&b, "Representative in the Union", r.Representative)
	b.WriteString("\n## Art. 30(1): processing as controller\n")
	if len(r.Activities) == 0 {
		b.WriteString("\nNone.\n")
	}
	for _, a := range r.Activities {
		fmt.Fprintf(&b, "\n### %s\n\n| | |\n| --- | --- |\n", a.Purpose)
		row(&b, "Purpose", a.Description)
		row(&b, "DPV purpose", a.DPV)
		row(&b, "Lawful basis", basisLabels(a.Bases))
		row(&b, "Legitimate interest", a.LegitimateInterest)
		row(&b, "Data subjects", join(a.Subjects, ", "))
		row(&b, "Personal data", "`"+strings.Join(a.Categories, "`, `")+"`")
		row(&b, "Recipients", join(a.Recipients, ", "))
		row(&b, "Transfers outside the EEA", a.Transfers)
		row(&b, "Third countries (Art. 30(1)(e))", thirdCountriesRow(a.ThirdCountries, a.Recipients))
		row(&b, "Retention", a.Retention)
		if a.ConsentRenewal != "" {
			row(&b, "Consent renewal", a.ConsentRenewal)
		}
		var flags []string
		if a.DirectMarketing {
			flags = append(flags, "direct marketing (objection is absolute, Art. 21(2)-(3))")
		}
		if a.Profiling {
			flags = append(flags, "profiling (Art. 4(4))")
		}
		if a.AutomatedDecision {
			flags = append(flags, "automated decisions (Art. 22)")
		}
		row(&b, "Notes", strings.Join(flags, "; "))
	}
	b.WriteString("\n## Art. 30(2): processing as processor\n")
	if len(r.ProcessorActivities) == 0 {
		b.WriteString("\nNone.\n")
	}
	for _, a := range r.ProcessorActivities {
		fmt.Fprintf(&b, "\n### %s for %s\n\n| | |\n| --- | --- |\n", a.Purpose, a.Controller)
		row(&b, "Processor", operator)
		row(&b, "Data protection officer", r.DPO)
		row(&b, "On behalf of", a.Controller)
		row(&b, "Processing", a.Description)
		row(&b, "Data subjects", join(a.Subjects, ", "))
		row(&b, "Personal data", "`"+strings.Join(a.Categories, "`, `")+"`")
		row(&b, "Recipients", join(a.Recipients, ", "))
		row(&b, "Transfers outside the EEA", a.Transfers)
		row(&b, "Third countries (Art. 30(2)(c))", thirdCountriesRow(a.ThirdCountries, a.Recipients))
		row(&b, "Retention", a.Retention)
	}
	b.WriteString("\n### Controllers on whose behalf we process (Art. 30(2)(a), (b))\n\n")
	if len(r.Customers) == 0 {
		fmt.Fprintf(&b, "Every customer, on the default instructions above; no customer is named in the catalog or the input.\n")
	} else {
		b.WriteString("| controller | contact | categories of processing | personal data |\n| --- | --- | --- | --- |\n")
		for _, cu := range r.Customers {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(cu.Name), cell(strings.Join(nonEmpty(cu.Contact, countryLabel(cu.Country)), ", ")),
				cell(strings.Join(cu.Processing, "; ")), cell("`"+strings.Join(cu.Categories, "`, `")+"`"))
		}
	}
	fmt.Fprintf(&b, "\n## Transfers outside the EEA\n\n")
	fmt.Fprintf(&b, "Facts checked %s. No transfer is needed for the EEA (%s).\n\n", r.Transfers.Checked, strings.Join(r.Transfers.EEA, ", "))
	b.WriteString("Adequacy decisions relied on (Art. 45):\n\n")
	for _, a := range r.Transfers.Adequacy {
		b.WriteString("- " + adequacyLabel(a) + "\n")
	}
	b.WriteString("\nAny other destination needs one of these safeguards (Art. 46):\n\n")
	for _, s := range r.Transfers.Safeguards {
		b.WriteString("- " + s + "\n")
	}
	fmt.Fprintf(&b, "\n## Security measures (Art. 30(1)(g), 32)\n\n%s\n", r.Security)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write record markdown: %w", err)
	}
	return nil
}

func adequacyLabel(a privacy.Adequacy) string {
	s := a.Country
	if a.Name != "" {
		s = a.Name
	}
	s += ": " + a.Decision
	if a.Scope != "" {
		s += "; " + a.Scope
	}
	if a.Until != "" {
		s += "; until " + a.Until
	}
	return s
}

// row writes a Markdown table row, leaving out empty values and escaping
// the pipe character.
func row(b *strings.Builder, k, v string) {
	if v == "" || v == "``" {
		return
	}
	fmt.Fprintf(b, "| %s | %s |\n", k, strings.ReplaceAll(v, "|", `\|`))
}

// thirdCountriesText lists third countries with their recipients, basis
// and logged count.
func thirdCountriesText(list []ThirdCountry, sep string) string {
	var parts []string
	for _, tc := range list {
		s := fmt.Sprintf("%s (%s)", tc.Name, tc.Country)
		if len(tc.Recipients) > 0 {
			s += ", to " + strings.Join(tc.Recipients, ", ")
		}
		s += ": " + tc.Basis
		if tc.LoggedTransfers > 0 {
			s += fmt.Sprintf("; %d logged transfers", tc.LoggedTransfers)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, sep)
}

// thirdCountriesRow is the record's cell for third countries: the list,
// or for an activity with recipients that could receive a transfer, that
// none is recorded.
func thirdCountriesRow(list []ThirdCountry, recipients []privacy.RecipientKind) string {
	if len(list) > 0 {
		return thirdCountriesText(list, "; ")
	}
	if slices.ContainsFunc(recipients, func(k privacy.RecipientKind) bool { return k != privacy.RecipientIndividual }) {
		return "none recorded (no transfer declared or logged)"
	}
	return ""
}

// countryLabel names a country with its code, or "" for none.
func countryLabel(code string) string {
	if code == "" {
		return ""
	}
	return countryName(code) + " (" + code + ")"
}

func nonEmpty(list ...string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return s == "" })
}

// cell escapes a Markdown table cell.
func cell(s string) string {
	if s == "``" {
		return ""
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
