package accountability

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// FindingKind classifies a difference between a notice text and a catalog.
type FindingKind string

// The kinds of finding DiffNotice reports.
const (
	// PurposeMissingInCatalog: the text promises a purpose (recognised by
	// the cue table below) that no catalog purpose declares. Key is the DPV
	// purpose IRI.
	PurposeMissingInCatalog FindingKind = "purpose_missing_in_catalog"
	// PurposeNotInText: a catalog purpose whose reason (a quote of the
	// policy) is not in the text, so the engine allows something the text
	// does not publish. Key is the purpose key.
	PurposeNotInText FindingKind = "purpose_not_in_text"
	// CategoryNotInText: a catalog category the text never mentions. Key is
	// the category key.
	CategoryNotInText FindingKind = "category_not_in_text"
	// RecipientNotInText: a recipient kind a catalog purpose uses that the
	// text never mentions. Key is the recipient kind.
	RecipientNotInText FindingKind = "recipient_not_in_text"
	// RightWithoutMechanism: a right the text states for which the module
	// has no mechanism. Key is the right.
	RightWithoutMechanism FindingKind = "right_without_mechanism"
	// RightNotInText: a right of Art. 13(2)/14(2) the text never states.
	// Key is the right.
	RightNotInText FindingKind = "right_not_in_text"
	// RightDenied: the text denies a right ("you may not object", "you
	// cannot withdraw your consent"). Key is the right.
	RightDenied FindingKind = "right_denied"
	// RightLimited: the text puts a condition on exercising rights that
	// the law does not allow: a fee (Art. 12(5)), a cap on how often, the
	// operator's discretion, or an answer later than a month (Art. 12(3)).
	// Key is "fee", "frequency", "discretion" or "response_time".
	RightLimited FindingKind = "right_limited"
	// SaleInText: the text sells, rents or trades personal data, gives it
	// for money or other value, or to others for their own marketing, in a
	// clause that is not negated. Key is "sale" or "third_party_marketing".
	SaleInText FindingKind = "sale_in_text"
	// SecurityPromiseMissing: the text no longer promises encryption
	// (where the catalog has financial data the engine only lets leave
	// encrypted) or security measures in general. Key is "encryption" or
	// "measures".
	SecurityPromiseMissing FindingKind = "security_promise_missing"
	// SecurityPromiseNegated: the text says data is not encrypted. Key is
	// "encryption".
	SecurityPromiseNegated FindingKind = "security_promise_negated"
	// RetentionNotInCatalog: the text states a retention period no catalog
	// rule for the data it speaks of has (longer or otherwise changed), or
	// keeps data without a time limit. Key is the period in words or
	// "indefinite".
	RetentionNotInCatalog FindingKind = "retention_not_in_catalog"
	// TransferNotInCatalog: the text sends data to a country or region
	// outside the EEA that the catalog does not name. Key is the ISO 3166-1
	// code or "region:…".
	TransferNotInCatalog FindingKind = "transfer_not_in_catalog"
	// TransferSafeguardNotInText: the text sends data outside the EEA but
	// names no adequacy decision or safeguard. Key is "safeguard".
	TransferSafeguardNotInText FindingKind = "transfer_safeguard_not_in_text"
	// CategoryMissingInCatalog: the text speaks of a kind of personal data
	// (from a lexicon: health, date of birth, government ids, …) that no
	// catalog category covers. Key names the kind.
	CategoryMissingInCatalog FindingKind = "category_missing_in_catalog"
	// ProcessorDataOwnPurpose: the text uses data the operator processes
	// for its customers (guests) for its own purposes. Key lists the
	// subject kinds the operator is processor for.
	ProcessorDataOwnPurpose FindingKind = "processor_data_own_purpose"
	// AutomatedDecisionNotInCatalog: the text makes decisions based solely
	// on automated processing and no catalog purpose allows them. Key is
	// "automated_decision".
	AutomatedDecisionNotInCatalog FindingKind = "automated_decision_not_in_catalog"
	// ChildrenDataInText: the text processes children's data. Key is
	// "children".
	ChildrenDataInText FindingKind = "children_data_in_text"
	// PurposeOpenEnded: the text reserves the use of data for purposes it
	// does not name ("for any other purpose we consider appropriate")
	// without asking the subject. Key is "further_use".
	PurposeOpenEnded FindingKind = "purpose_open_ended"
)

// Finding is one difference between a notice text and a catalog.
type Finding struct {
	Kind FindingKind `json:"kind"`
	// Key names what the finding is about: a purpose or category key, a
	// DPV purpose IRI, a recipient kind or a right.
	Key string `json:"key"`
	// Message explains the finding in one sentence: what changed against
	// the catalog.
	Message string `json:"message"`
	// Article cites the GDPR articles the finding is about.
	Article string `json:"article,omitempty"`
	// Section is the heading of the part of the text the finding is in,
	// and Quote the sentence, where the finding is about a sentence
	// rather than about something missing.
	Section string `json:"section,omitempty"`
	Quote   string `json:"quote,omitempty"`
}

// String returns "kind key: message (article) in "section": "quote"",
// leaving out what is empty.
func (f Finding) String() string {
	s := fmt.Sprintf("%s %s: %s", f.Kind, f.Key, f.Message)
	if f.Article != "" {
		s += " (" + f.Article + ")"
	}
	if f.Section != "" {
		s += fmt.Sprintf(" in %q", f.Section)
	}
	if f.Quote != "" {
		s += fmt.Sprintf(": %q", f.Quote)
	}
	return s
}

const dpv = "https://w3id.org/dpv#"

// purposeCues maps a DPV purpose IRI to phrases that, found in a sentence of
// a notice, promise a processing for that purpose. A sentence with a
// negation ("not", "never", "no") promises nothing. The phrases are matched
// after normalisation (see normalize), so they are written in lower case
// without punctuation.
var purposeCues = []struct {
	dpv  string
	cues []string
}{
	{dpv + "AccountManagement", []string{"profile area*", "manage your account", "managing your access", "create an account", "creat* your account"}},
	{dpv + "ServiceProvision", []string{"deliver the services", "provide the services", "provide a requested product", "process* your order*"}},
	{dpv + "ServicePersonalisation", []string{"personalising and tailoring", "personalizing and tailoring", "tailor our products"}},
	{dpv + "CustomerCare", []string{"provide support", "customer support", "customer service*"}},
	{dpv + "PaymentManagement", []string{"billing", "credit card transactions", "process* payments", "invoic*"}},
	{dpv + "DeliveryOfGoods", []string{"shipping", "ship your", "deliver your order*", "delivery of goods", "postal deliver*"}},
	{dpv + "DirectMarketing", []string{"product announcements", "newsletter*", "promotional email*", "promotional message*", "special offers", "marketing email*", "marketing messages", "marketing communications"}},
	{dpv + "PersonalisedAdvertising", []string{"personalize newsletters", "personalise newsletters", "personalis* advertis*", "personaliz* advertis*", "targeted advertis*", "personalis* ads", "personaliz* ads", "targeted ads", "retarget*", "remarketing", "behavio* advertis*", "interest based advertis*"}},
	{dpv + "Advertising", []string{"advertisements", "advertiser*", "advertising partners", "show you ads", "display ads", "third party ads", "ad networks", "ads on", "advertising on other", "on other websites", "on other sites", "across websites"}},
	{dpv + "ServiceImprovement", []string{"questionnaire*", "survey*", "improve our services", "improve our products", "improve the services"}},
	{dpv + "ServiceOptimisation", []string{"analytics", "usage statistics", "analys* how you use", "analyz* how you use"}},
	{dpv + "CreditChecking", []string{"credit scoring", "credit score", "credit check", "credit checks", "creditworthiness", "credit reference", "credit agenc*", "credit bureau*"}},
	{dpv + "ResearchAndDevelopment", []string{"research and development", "scientific research", "machine learning", "train our models", "train models", "artificial intelligence", "ai model*", "train* ai", "train* our ai", "model training", "train* algorithm*", "train* language model*", "large language model*", "develop new products"}},
	{dpv + "CommunicationManagement", []string{"to another individual", "friend or co worker", "refer a friend"}},
	{dpv + "LegalCompliance", []string{"subpoenas", "court orders", "comply with our legal obligations", "required by law"}},
	{dpv + "DisputeManagement", []string{"legal claims", "resolve disputes", "enforce our agreements"}},
	{dpv + "FraudPreventionAndDetection", []string{"fraud*", "illegal activities"}},
}

// categoryTerms maps a DPV personal-data IRI to the words a notice uses for
// it. Words that a notice uses for other things ("send an email to",
// "a secure browser", "User name" for a company's name) are left out, so
// that dropping a category from the list of data collected is found. A category is mentioned when the text contains one of these terms,
// its description (or the part before a colon), or the last part of its
// key unless that is a generic word such as "data".
var categoryTerms = map[string][]string{
	"https://w3id.org/dpv/pd#EmailAddress":      {"email address", "e mail address", "email addresses"},
	"https://w3id.org/dpv/pd#IPAddress":         {"ip address"},
	"https://w3id.org/dpv/pd#PaymentCardNumber": {"credit card", "card details", "card number", "payment card"},
	"https://w3id.org/dpv/pd#BankAccount":       {"bank details", "bank account", "iban"},
	"https://w3id.org/dpv/pd#Username":          {"user name", "username"},
	"https://w3id.org/dpv/pd#TelephoneNumber":   {"phone number", "telephone number", "mobile number"},
	"https://w3id.org/dpv/pd#UserAgent":         {"browser data", "browser type", "browser version", "user agent"},
	"https://w3id.org/dpv/pd#Location":          {"location"},
}

// genericWords are last parts of category keys too common in any notice
// to show that the category is mentioned ("instance.meeting.data").
var genericWords = map[string]bool{"data": true, "info": true, "information": true, "other": true,
	"details": true, "address": true, "addresses": true, "name": true, "number": true}

// recipientTerms maps a recipient kind to the words a notice uses for it.
var recipientTerms = map[privacy.RecipientKind][]string{
	privacy.RecipientAffiliate:       {"affiliate", "group companies", "our group"},
	privacy.RecipientProcessor:       {"service provider", "processor", "vendor", "contractor", "hosting provider"},
	privacy.RecipientPartner:         {"business partner", "partners"},
	privacy.RecipientThirdParty:      {"third part"},
	privacy.RecipientPublicAuthority: {"authorit", "court", "subpoena", "law enforcement", "government", "regulator"},
	privacy.RecipientIndividual:      {"another individual", "friend", "co worker", "someone you"},
}

// right is a right of the data subject a notice must state (Art. 13(2)(b)
// to (d), 14(2)(c) to (e), 13(2)(f)) and what in this module implements it.
type right struct {
	key     string
	title   string
	article string
	// words says in plain language what the right is, for WriteNotice.
	words string
	// cues are phrases by which a text states the right (see phrase: a
	// word ending in "*" matches every word it begins); not are phrases
	// in which a cue means something else ("unauthorised access").
	cues, not []string
	// misstated are phrases by which a text offers something in the place
	// of the right that no mechanism stands behind, such as complaints
	// addressed only to the controller; they count when no cue is found.
	misstated []string
	// mechanism names the module's mechanism; "" means there is none.
	mechanism string
	// only limits the right to catalogs it applies to; nil means all.
	only func(*privacy.Catalog) bool
}

// rights lists the rights in the order a notice states them.
var rights = []right{
	{key: "access", title: "Access", article: "Art. 15",
		words:     "you can ask whether we hold data about you and for a copy of it.",
		cues:      []string{"access*", "whether we hold", "copy of your", "obtain a copy"},
		not:       []string{"unauthori* access*", "your access to", "access to our", "access to the site", "access to the service*", "access control*", "access protected", "access our", "access the service*", "access the site", "access the current"},
		mechanism: "dsar.Desk: access requests (Art. 15 export with the catalog information)"},
	{key: "rectification", title: "Rectification", article: "Art. 16",
		words:     "you can have incorrect data corrected and incomplete data completed.",
		cues:      []string{"correct", "corrected", "correcting", "correction*", "rectif*", "update your", "amend your"},
		mechanism: "dsar.Desk: rectification requests sent to every Source"},
	{key: "erasure", title: "Erasure", article: "Art. 17",
		words:     "you can have your data deleted, unless the law requires us to keep it or we need it for a court case.",
		cues:      []string{"delet*", "eras*", "right to be forgotten", "remove your"},
		mechanism: "dsar.Desk: erasure requests (Art. 17(3) exemptions kept and restricted); subject.deactivated in decisions"},
	{key: "restriction", title: "Restriction", article: "Art. 18",
		words:     "you can ask us to stop using your data, other than storing it, while a dispute about it is resolved.",
		cues:      []string{"restrict*", "limit the processing", "limit processing", "limit our use"},
		mechanism: "subject.SetRestricted; the engine denies with restriction.active"},
	{key: "objection", title: "Objection", article: "Art. 21",
		words:     "you can object to processing based on our legitimate interests, and to direct marketing at any time, which then stops.",
		cues:      []string{"object", "objects", "objecting", "objection*"},
		mechanism: "subject.Object, subject.ObjectToDirectMarketing and the GPC signal; the engine denies with objection.active"},
	{key: "portability", title: "Data portability", article: "Art. 20",
		words:     "you can receive the data you gave us, on the basis of consent or contract, in a machine-readable format, or have it sent to another controller.",
		cues:      []string{"portab*", "machine readable", "another controller", "another provider", "another service provider"},
		mechanism: "dsar.Desk: portability requests (export of data on consent or contract)"},
	{key: "withdraw_consent", title: "Withdrawing consent", article: "Art. 7(3)",
		words:     "where we rely on your consent you can withdraw it at any time, as easily as you gave it; this does not affect what we did before.",
		cues:      []string{"withdraw*", "revok*", "revocation"},
		mechanism: "consent ledger: a withdrawn event; the engine denies with consent.withdrawn",
		only:      func(c *privacy.Catalog) bool { return usesBasis(c, lawfulbasis.Consent) }},
	{key: "complaint", title: "Complaint to a supervisory authority", article: "Art. 77",
		words:     "you can lodge a complaint with a data protection supervisory authority, in particular in the EU member state where you live or work or where you think the infringement took place.",
		cues:      []string{"supervisory authorit*", "data protection authorit*", "autoriteit persoonsgegevens", "information commissioner*", "data protection commission*", "data protection supervisor*"},
		misstated: []string{"complain*"},
		mechanism: "none needed: the supervisory authority handles complaints; the notice must name the right"},
	{key: "human_intervention", title: "Human review of automated decisions", article: "Art. 22(3)",
		words:     "you can ask for a person to review a decision made solely by automated means, express your point of view and contest the decision.",
		cues:      []string{"human intervention", "human review", "contest*", "challenge*"},
		mechanism: "the engine denies automated decisions the catalog does not allow (automated_decision.not_permitted) and obliges human_review",
		only: func(c *privacy.Catalog) bool {
			return slices.ContainsFunc(c.Purposes, func(p privacy.Purpose) bool { return p.AutomatedDecision })
		}},
}

func usesBasis(c *privacy.Catalog, b lawfulbasis.Basis) bool {
	for i := range c.Purposes {
		for _, k := range c.Purposes[i].Subjects {
			if lawfulbasis.Contains(c.Purposes[i].BasesFor(k), b) {
				return true
			}
		}
	}
	return false
}

// DiffNotice compares a published notice text with a catalog and returns
// what does not match, sorted by kind and key. It compares the purposes:
//
//   - each purpose the text promises that the catalog lacks
//     (PurposeMissingInCatalog), recognised by a table of cue phrases per
//     DPV purpose IRI and compared with the DPV IRIs of the catalog's
//     purposes; a purpose without a DPV IRI covers the sentences its reason
//     quotes instead;
//   - each catalog purpose whose reason the text does not state
//     (PurposeNotInText): no passage of the text holds most of the
//     reason's words (stems, with common synonyms), so that rewording and
//     reordering do not count;
//   - each catalog category the text never mentions (CategoryNotInText);
//   - each recipient kind the catalog's purposes use that the text never
//     mentions (RecipientNotInText);
//
// and the promises: rights stated, denied or limited (RightNotInText,
// RightWithoutMechanism, RightDenied, RightLimited), selling or renting
// data in any grammatical form or giving it for money (SaleInText), the
// security promises (SecurityPromiseMissing, SecurityPromiseNegated),
// retention periods (RetentionNotInCatalog), destinations outside the EEA
// and their safeguards (TransferNotInCatalog, TransferSafeguardNotInText),
// kinds of personal data the catalog lacks (CategoryMissingInCatalog), the
// data of a processor's subjects used for the operator's own purposes
// (ProcessorDataOwnPurpose), automated decisions
// (AutomatedDecisionNotInCatalog) and children's data
// (ChildrenDataInText).
//
// The text is read sentence by sentence under its headings, each sentence
// split into clauses; a negation counts in its own clause only ("We do not
// sell your data, but we rent it to partners" rents), and a conditional
// clause ("If we use automated decision-making …") promises nothing. It
// recognises words, not meaning; see the package documentation.
func DiffNotice(c *privacy.Catalog, text string) []Finding {
	norm := normalize(text)
	compact := strings.ReplaceAll(norm, " ", "")
	mentions := func(term string) bool {
		t := normalize(term)
		if t == "" {
			return false
		}
		return strings.Contains(norm, t) || strings.Contains(compact, strings.ReplaceAll(t, " ", ""))
	}
	doc := readText(text)
	var out []Finding

	declared := map[string]bool{}
	var untyped []*privacy.Purpose // purposes without a DPV IRI
	passages := passagesOf(doc)
	for i := range c.Purposes {
		p := &c.Purposes[i]
		if p.DPV != "" {
			declared[p.DPV] = true
		} else if strings.TrimSpace(p.Reason) != "" {
			untyped = append(untyped, p)
		}
		if !passages.statesReason(p.Reason) {
			out = append(out, Finding{Kind: PurposeNotInText, Key: p.Key, Article: "GDPR Art. 13(1)(c), 5(1)(b)",
				Message: fmt.Sprintf("the catalog declares %s (%q) but the text does not state it", p.Key, p.Reason)})
		}
	}
	for _, pc := range purposeCues {
		if declared[pc.dpv] {
			continue
		}
		cues := phrases(pc.cues...)
	search:
		for si := range doc {
			s := &doc[si]
			one := passages
			one.list = []stems{stemsOf(s.text)}
			if slices.ContainsFunc(untyped, func(p *privacy.Purpose) bool { return one.statesReason(p.Reason) }) {
				continue
			}
			for _, cl := range s.clauses {
				for _, cue := range cues {
					if i := cl.find(cue, 0); i >= 0 && !cl.negatedAt(i) {
						out = append(out, finding(PurposeMissingInCatalog, pc.dpv, "GDPR Art. 5(1)(b), 13(1)(c)", s,
							fmt.Sprintf("the text promises %q but no catalog purpose has DPV purpose %s",
								strings.Join(cue, " "), strings.TrimPrefix(pc.dpv, dpv))))
						break search
					}
				}
			}
		}
	}

	// A category counts as mentioned in a sentence that does not speak only
	// of another kind of subject: the user's IP address is not mentioned by
	// "Guest data: … IP addresses".
	kindsOf := func(s *section) []privacy.SubjectKind { return kindsNamed(c, s) }
	type normSentence struct {
		norm, compact string
		kinds         []privacy.SubjectKind
	}
	var sentences []normSentence
	for si := range doc {
		n := " " + normalize(doc[si].text) + " "
		sentences = append(sentences, normSentence{n, strings.ReplaceAll(n, " ", ""), kindsOf(&doc[si])})
	}
	mentionedFor := func(kind privacy.SubjectKind, term string) bool {
		t := normalize(term)
		if t == "" {
			return false
		}
		return slices.ContainsFunc(sentences, func(s normSentence) bool {
			if len(s.kinds) > 0 && !slices.Contains(s.kinds, kind) {
				return false
			}
			return strings.Contains(s.norm, t) || strings.Contains(s.compact, strings.ReplaceAll(t, " ", ""))
		})
	}
	for _, cat := range c.Categories {
		if !slices.ContainsFunc(categoryMentions(cat), func(t string) bool { return mentionedFor(cat.Subject, t) }) {
			out = append(out, Finding{Kind: CategoryNotInText, Key: cat.Key, Article: "GDPR Art. 13(1)(c), 14(1)(d)",
				Message: fmt.Sprintf("the catalog processes %s (%s) but the text never mentions it", cat.Key, describe(cat))})
		}
	}

	for _, kind := range privacy.RecipientKinds() {
		var users []string
		for _, p := range c.Purposes {
			if slices.Contains(p.Recipients, kind) {
				users = append(users, p.Key)
			}
		}
		if len(users) > 0 && !slices.ContainsFunc(recipientTerms[kind], mentions) {
			out = append(out, Finding{Kind: RecipientNotInText, Key: string(kind), Article: "GDPR Art. 13(1)(e)",
				Message: fmt.Sprintf("purposes %s disclose to %s but the text never mentions such recipients", strings.Join(users, ", "), kind)})
		}
	}

	out = append(out, checkRights(c, doc)...)
	out = append(out, checkResponseTime(doc)...)
	out = append(out, checkSale(doc)...)
	out = append(out, checkSecurity(c, doc)...)
	out = append(out, checkRetention(c, doc, func(s *section) []string { return mentionedCategories(c, s.text) })...)
	out = append(out, checkTransfers(c, doc)...)
	out = append(out, checkCategories(c, doc)...)
	out = append(out, checkProcessorData(c, doc)...)
	out = append(out, checkAutomated(c, doc)...)
	out = append(out, checkChildren(doc)...)
	out = append(out, checkFurtherUse(doc)...)

	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Kind != b.Kind {
			return strings.Compare(string(a.Kind), string(b.Kind))
		}
		return strings.Compare(a.Key, b.Key)
	})
	return slices.CompactFunc(out, func(a, b Finding) bool { return a.Kind == b.Kind && a.Key == b.Key })
}

// kindsNamed returns the subject kinds a sentence names ("Guest data: …").
// A list item that names none is about the kinds its lead-in names.
func kindsNamed(c *privacy.Catalog, s *section) []privacy.SubjectKind {
	named := func(clauses []clause) []privacy.SubjectKind {
		var out []privacy.SubjectKind
		for _, sk := range c.SubjectKinds {
			if slices.ContainsFunc(clauses, func(cl clause) bool { return cl.find(phrase{string(sk.Kind) + "*"}, 0) >= 0 }) {
				out = append(out, sk.Kind)
			}
		}
		return out
	}
	out := named(s.clauses)
	if len(out) == 0 && s.lead != "" {
		out = named(splitClauses(tokenize(s.lead)))
	}
	return out
}

// categoryMentions are the terms by which a text mentions a category: the
// words of its DPV personal-data IRI, its description (or the part before
// a colon), and the last part of its key unless that is a generic word.
//
// A description also counts by its tail ("recordings" for "meeting
// recordings", "account details" for "billing account details") unless
// the tail is one generic word ("data", "address"); the key's last part
// counts only for a category without a description, since a key's word
// is often one a notice uses for something else ("email" in "send an
// email to").
func categoryMentions(cat privacy.Category) []string {
	terms := slices.Clone(categoryTerms[cat.DPV])
	if cat.Description == "" {
		if leaf := cat.Key[strings.LastIndexByte(cat.Key, '.')+1:]; !genericWords[leaf] {
			terms = append(terms, leaf)
		}
		return terms
	}
	d, _, _ := strings.Cut(cat.Description, ":")
	terms = append(terms, cat.Description, d)
	words := strings.Fields(normalize(d))
	for i := 1; i < len(words); i++ {
		if tail := words[i:]; len(tail) > 1 || !genericWords[tail[0]] {
			terms = append(terms, strings.Join(tail, " "))
		}
	}
	return terms
}

// mentionedCategories returns the catalog categories a sentence names by
// their description or DPV words; a key's last part ("account") is too
// common a word to tie a sentence to a category.
func mentionedCategories(c *privacy.Catalog, sentence string) []string {
	ns := " " + normalize(sentence) + " "
	var out []string
	for _, cat := range c.Categories {
		terms := slices.Clone(categoryTerms[cat.DPV])
		if cat.Description != "" {
			d, _, _ := strings.Cut(cat.Description, ":")
			terms = append(terms, d)
		}
		if slices.ContainsFunc(terms, func(t string) bool {
			t = normalize(t)
			return t != "" && strings.Contains(ns, " "+t)
		}) {
			out = append(out, cat.Key)
		}
	}
	return out
}

// checkRights finds each right the text states, denies, states without a
// mechanism, or does not state, and fees for exercising them.
func checkRights(c *privacy.Catalog, doc []section) []Finding {
	var out []Finding
	for _, rt := range rights {
		article := "GDPR " + rt.article + ", 13(2)(b)-(d)"
		var stated, misstated, denied *section
		excluded := phrases(rt.not...)
		for _, m := range findAll(doc, phrases(rt.cues...)) {
			if slices.ContainsFunc(excluded, func(p phrase) bool {
				for i := m.c.find(p, 0); i >= 0; i = m.c.find(p, i+1) {
					if m.at >= i && m.at < i+len(p) {
						return true
					}
				}
				return false
			}) {
				continue
			}
			switch {
			case m.negated && !m.c.cond && m.c.has(addressed):
				if denied == nil {
					denied = m.s
				}
			case !m.negated && stated == nil:
				stated = m.s
			}
		}
		if stated == nil {
			for _, m := range findAll(doc, phrases(rt.misstated...)) {
				if !m.negated {
					misstated = m.s
					break
				}
			}
		}
		switch {
		case denied != nil:
			out = append(out, finding(RightDenied, rt.key, article, denied,
				fmt.Sprintf("the text denies or restricts the right (%s, %s)", rt.title, rt.article)))
		case stated != nil && rt.mechanism == "":
			out = append(out, finding(RightWithoutMechanism, rt.key, article, stated,
				fmt.Sprintf("the text states the right (%s, %s) but the module has no mechanism for it", rt.title, rt.article)))
		case misstated != nil:
			out = append(out, Finding{Kind: RightWithoutMechanism, Key: rt.key, Article: article, Section: misstated.heading,
				Message: fmt.Sprintf("the text offers %q in the place of the right (%s, %s), and no mechanism of the module stands behind that",
					misstated.text, rt.title, rt.article)})
		case stated == nil && (rt.only == nil || rt.only(c)):
			out = append(out, Finding{Kind: RightNotInText, Key: rt.key, Article: article,
				Message: fmt.Sprintf("a notice must state the right (%s, %s) but the text does not", rt.title, rt.article)})
		}
	}
	// A fee for exercising a right (Art. 12(5): free of charge).
	var allCues []phrase
	for _, rt := range rights {
		allCues = append(allCues, phrases(rt.cues...)...)
	}
	allCues = append(allCues, phrases("request*", "your rights", "right*")...)
	for si := range doc {
		s := &doc[si]
		for _, cl := range s.clauses {
			i := firstOf(cl, feeWords)
			if i < 0 || cl.negatedAt(i) || cl.has(freeWords) || !cl.has(allCues) || !cl.has(addressed) {
				continue
			}
			out = append(out, finding(RightLimited, "fee", "GDPR Art. 12(5)", s,
				"the text charges for exercising a right; the law makes it free of charge, save for manifestly unfounded or excessive requests"))
			break
		}
	}
	// A right left to the operator's discretion.
	for _, m := range findAll(doc, phrases("at our discretion", "at our sole discretion", "in our discretion", "as we see fit", "if we agree", "where we agree")) {
		if !m.negated && m.c.has(allCues) {
			out = append(out, finding(RightLimited, "discretion", "GDPR Art. 12(2), 12(4)", m.s,
				"the text leaves a right to the operator's discretion; a request may be refused only on the grounds the GDPR sets, with reasons and the right to complain"))
			break
		}
	}
	// A cap on how often a right may be exercised.
	for _, m := range findAll(doc, frequencyWords) {
		if !m.negated && m.c.has(allCues) {
			out = append(out, finding(RightLimited, "frequency", "GDPR Art. 12(2), 12(5)", m.s,
				"the text limits how often a right may be exercised; the law allows refusing only manifestly unfounded or excessive requests"))
			break
		}
	}
	return out
}

var (
	// addressed are words by which a clause speaks to or of the subject.
	addressed = phrases("you", "your", "yours", "data subject*", "user*", "individual*", "right*", "entitled", "request*")
	feeWords  = phrases("fee", "fees", "charge", "charges", "charged", "charging", "cost", "costs", "pay", "payment of",
		"euro*", "eur", "dollar*", "usd")
	freeWords = phrases("free", "no fee", "no charge", "no cost", "without charge", "without cost", "at no", "freely")
	// frequencyWords cap requests.
	frequencyWords = phrases("once a year", "once per year", "once every", "once a month", "once per month", "one request per",
		"per calendar year", "per year", "a year only", "maximum of", "no more than", "not more than", "at most")
)

// normalize lower-cases s and turns every run of characters that are not
// letters or digits into one space, so that matching ignores punctuation,
// typographic quotes, line breaks and bullets.
func normalize(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// splitSentences splits a text into sentences and list items: at line
// breaks and bullets, and at a full stop, question or exclamation mark
// followed by a space (so "support@24sessions.com" stays whole), but not
// after an abbreviation ("Art. 52", "e.g. cookies").
func splitSentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	flush := func(end int) {
		if s := strings.TrimSpace(string(rs[start:end])); s != "" {
			out = append(out, s)
		}
		start = end + 1
	}
	for i, r := range rs {
		switch r {
		case '\n', '•':
			flush(i)
		case '.', '!', '?':
			if (i+1 == len(rs) || unicode.IsSpace(rs[i+1])) && !(r == '.' && abbreviated(rs[start:i])) {
				flush(i)
			}
		}
	}
	if start < len(rs) {
		flush(len(rs))
	}
	return out
}

// abbreviations end in a full stop without ending the sentence.
var abbreviations = map[string]bool{"art": true, "arts": true, "e.g": true, "i.e": true, "no": true, "nr": true,
	"para": true, "sec": true, "cf": true, "vs": true, "incl": true, "approx": true, "mr": true, "ms": true, "dr": true, "st": true}

// abbreviated reports whether the text before a full stop ends in an
// abbreviation.
func abbreviated(before []rune) bool {
	s := strings.ToLower(string(before))
	i := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	return abbreviations[s[i+1:]]
}
