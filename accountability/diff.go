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
)

// Finding is one difference between a notice text and a catalog.
type Finding struct {
	Kind FindingKind `json:"kind"`
	// Key names what the finding is about: a purpose or category key, a
	// DPV purpose IRI, a recipient kind or a right.
	Key string `json:"key"`
	// Message explains the finding in one sentence, quoting the text where
	// it can.
	Message string `json:"message"`
}

// String returns "kind key: message".
func (f Finding) String() string { return fmt.Sprintf("%s %s: %s", f.Kind, f.Key, f.Message) }

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
	{dpv + "AccountManagement", []string{"profile area", "manage your account", "managing your access", "create an account"}},
	{dpv + "ServiceProvision", []string{"deliver the services", "provide the services", "provide a requested product", "process your order"}},
	{dpv + "ServicePersonalisation", []string{"personalising and tailoring", "personalizing and tailoring", "tailor our products"}},
	{dpv + "CustomerCare", []string{"provide support", "customer support", "customer service"}},
	{dpv + "PaymentManagement", []string{"billing", "credit card transactions", "process payments", "processing payments"}},
	{dpv + "DeliveryOfGoods", []string{"shipping", "deliver your order", "delivery of goods"}},
	{dpv + "DirectMarketing", []string{"product announcements", "newsletter", "promotional email", "special offers"}},
	{dpv + "PersonalisedAdvertising", []string{"personalize newsletters", "personalise newsletters", "personalised advertising", "personalized advertising", "targeted advertising"}},
	{dpv + "Advertising", []string{"advertisements", "advertising partners"}},
	{dpv + "ServiceImprovement", []string{"questionnaires", "surveys", "improve our services", "improve our products"}},
	{dpv + "ServiceOptimisation", []string{"analytics", "usage statistics", "analyse how you use", "analyze how you use"}},
	{dpv + "CreditChecking", []string{"credit scoring", "credit score", "credit check", "creditworthiness"}},
	{dpv + "ResearchAndDevelopment", []string{"research and development", "scientific research", "machine learning", "train our models", "train models"}},
	{dpv + "CommunicationManagement", []string{"to another individual", "friend or co worker", "refer a friend"}},
	{dpv + "LegalCompliance", []string{"subpoenas", "court orders", "comply with our legal obligations", "required by law"}},
	{dpv + "DisputeManagement", []string{"legal claims", "resolve disputes", "enforce our agreements"}},
	{dpv + "FraudPreventionAndDetection", []string{"fraud", "illegal activities"}},
	{dpv + "SellDataToThirdParties", []string{"sell your", "rent your", "sell or rent", "data brokers"}},
}

// categoryTerms maps a DPV personal-data IRI to the words a notice uses for
// it. A category is mentioned when the text contains one of these terms,
// its description (or the part before a colon), or the last part of its
// key unless that is a generic word such as "data".
var categoryTerms = map[string][]string{
	"https://w3id.org/dpv/pd#EmailAddress":      {"email", "e mail"},
	"https://w3id.org/dpv/pd#IPAddress":         {"ip address"},
	"https://w3id.org/dpv/pd#PaymentCardNumber": {"credit card", "card details", "card number", "payment card"},
	"https://w3id.org/dpv/pd#BankAccount":       {"bank details", "bank account", "iban"},
	"https://w3id.org/dpv/pd#Name":              {"name"},
	"https://w3id.org/dpv/pd#Username":          {"user name", "username"},
	"https://w3id.org/dpv/pd#TelephoneNumber":   {"phone", "telephone"},
	"https://w3id.org/dpv/pd#UserAgent":         {"browser", "user agent"},
	"https://w3id.org/dpv/pd#Location":          {"location"},
}

// genericWords are last parts of category keys too common in any notice
// to show that the category is mentioned ("instance.meeting.data").
var genericWords = map[string]bool{"data": true, "info": true, "information": true, "other": true}

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
	// cues are phrases by which a text states the right.
	cues []string
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
		cues:      []string{"access", "whether we hold"},
		mechanism: "dsar.Desk: access requests (Art. 15 export with the catalog information)"},
	{key: "rectification", title: "Rectification", article: "Art. 16",
		words:     "you can have incorrect data corrected and incomplete data completed.",
		cues:      []string{"correct", "rectif"},
		mechanism: "dsar.Desk: rectification requests sent to every Source"},
	{key: "erasure", title: "Erasure", article: "Art. 17",
		words:     "you can have your data deleted, unless the law requires us to keep it or we need it for a court case.",
		cues:      []string{"delet", "eras"},
		mechanism: "dsar.Desk: erasure requests (Art. 17(3) exemptions kept and restricted); subject.deactivated in decisions"},
	{key: "restriction", title: "Restriction", article: "Art. 18",
		words:     "you can ask us to stop using your data, other than storing it, while a dispute about it is resolved.",
		cues:      []string{"restrict"},
		mechanism: "subject.SetRestricted; the engine denies with restriction.active"},
	{key: "objection", title: "Objection", article: "Art. 21",
		words:     "you can object to processing based on our legitimate interests, and to direct marketing at any time, which then stops.",
		cues:      []string{"object"},
		mechanism: "subject.Object, subject.ObjectToDirectMarketing and the GPC signal; the engine denies with objection.active"},
	{key: "portability", title: "Data portability", article: "Art. 20",
		words:     "you can receive the data you gave us, on the basis of consent or contract, in a machine-readable format, or have it sent to another controller.",
		cues:      []string{"portab", "machine readable"},
		mechanism: "dsar.Desk: portability requests (export of data on consent or contract)"},
	{key: "withdraw_consent", title: "Withdrawing consent", article: "Art. 7(3)",
		words:     "where we rely on your consent you can withdraw it at any time, as easily as you gave it; this does not affect what we did before.",
		cues:      []string{"withdraw"},
		mechanism: "consent ledger: a withdrawn event; the engine denies with consent.withdrawn",
		only:      func(c *privacy.Catalog) bool { return usesBasis(c, lawfulbasis.Consent) }},
	{key: "complaint", title: "Complaint to a supervisory authority", article: "Art. 77",
		words:     "you can lodge a complaint with a data protection supervisory authority, in particular in the EU member state where you live or work or where you think the infringement took place.",
		cues:      []string{"supervisory authority", "data protection authority"},
		misstated: []string{"complain"},
		mechanism: "none needed: the supervisory authority handles complaints; the notice must name the right"},
	{key: "human_intervention", title: "Human review of automated decisions", article: "Art. 22(3)",
		words:     "you can ask for a person to review a decision made solely by automated means, express your point of view and contest the decision.",
		cues:      []string{"human intervention"},
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
// what does not match, sorted by kind and key:
//
//   - each purpose the text promises that the catalog lacks
//     (PurposeMissingInCatalog), recognised by a table of cue phrases per
//     DPV purpose IRI and compared with the DPV IRIs of the catalog's
//     purposes; a purpose without a DPV IRI covers the sentences its reason
//     quotes instead;
//   - each catalog purpose whose reason quote is not in the text
//     (PurposeNotInText);
//   - each catalog category the text never mentions (CategoryNotInText);
//   - each recipient kind the catalog's purposes use that the text never
//     mentions (RecipientNotInText);
//   - each right the text states without a mechanism in the module
//     (RightWithoutMechanism), and each right a notice must state that the
//     text does not (RightNotInText).
//
// Matching ignores case, punctuation and spacing: "IP-address" matches
// "ip address" and "User name" matches "username". It recognises words, not
// meaning; see the package documentation.
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
	var out []Finding

	declared := map[string]bool{}
	var untyped []string // normalised reasons of purposes without a DPV IRI
	for _, p := range c.Purposes {
		if p.DPV != "" {
			declared[p.DPV] = true
		} else if r := normalize(p.Reason); r != "" {
			untyped = append(untyped, r)
		}
		if !mentions(p.Reason) {
			out = append(out, Finding{PurposeNotInText, p.Key,
				fmt.Sprintf("the catalog declares %s (%q) but the text does not contain its reason", p.Key, p.Reason)})
		}
	}
	sentences := splitSentences(text)
	for _, pc := range purposeCues {
		if declared[pc.dpv] {
			continue
		}
	search:
		for _, s := range sentences {
			ns := normalize(s)
			if negated(ns) || slices.ContainsFunc(untyped, func(r string) bool {
				return strings.Contains(ns, r) || strings.Contains(r, ns)
			}) {
				continue
			}
			for _, cue := range pc.cues {
				if strings.Contains(ns, cue) {
					out = append(out, Finding{PurposeMissingInCatalog, pc.dpv,
						fmt.Sprintf("the text promises %q (%q) but no catalog purpose has DPV purpose %s",
							cue, strings.TrimSpace(s), strings.TrimPrefix(pc.dpv, dpv))})
					break search
				}
			}
		}
	}

	for _, cat := range c.Categories {
		terms := slices.Clone(categoryTerms[cat.DPV])
		if cat.Description != "" {
			d, _, _ := strings.Cut(cat.Description, ":")
			terms = append(terms, cat.Description, d)
		}
		if leaf := cat.Key[strings.LastIndexByte(cat.Key, '.')+1:]; !genericWords[leaf] {
			terms = append(terms, leaf)
		}
		if !slices.ContainsFunc(terms, mentions) {
			out = append(out, Finding{CategoryNotInText, cat.Key,
				fmt.Sprintf("the catalog processes %s (%s) but the text never mentions it", cat.Key, describe(cat))})
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
			out = append(out, Finding{RecipientNotInText, string(kind),
				fmt.Sprintf("purposes %s disclose to %s but the text never mentions such recipients", strings.Join(users, ", "), kind)})
		}
	}

	for _, rt := range rights {
		stated := slices.ContainsFunc(rt.cues, mentions)
		misstated := !stated && slices.ContainsFunc(rt.misstated, mentions)
		switch {
		case stated && rt.mechanism == "":
			out = append(out, Finding{RightWithoutMechanism, rt.key,
				fmt.Sprintf("the text states the right (%s, %s) but the module has no mechanism for it", rt.title, rt.article)})
		case misstated:
			out = append(out, Finding{RightWithoutMechanism, rt.key,
				fmt.Sprintf("the text offers %q in the place of the right (%s, %s), and no mechanism of the module stands behind that",
					sentenceWith(sentences, rt.misstated), rt.title, rt.article)})
		case !stated && (rt.only == nil || rt.only(c)):
			out = append(out, Finding{RightNotInText, rt.key,
				fmt.Sprintf("a notice must state the right (%s, %s) but the text does not", rt.title, rt.article)})
		}
	}

	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Kind != b.Kind {
			return strings.Compare(string(a.Kind), string(b.Kind))
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// sentenceWith returns the first sentence that contains one of the
// phrases, trimmed.
func sentenceWith(sentences, phrases []string) string {
	for _, s := range sentences {
		ns := normalize(s)
		for _, p := range phrases {
			if strings.Contains(ns, normalize(p)) {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

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
// breaks, bullets and semicolons, and at a full stop, question or
// exclamation mark followed by a space (so "support@24sessions.com" stays
// whole).
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
		case '\n', '•', ';':
			flush(i)
		case '.', '!', '?':
			if i+1 == len(rs) || unicode.IsSpace(rs[i+1]) {
				flush(i)
			}
		}
	}
	if start < len(rs) {
		flush(len(rs))
	}
	return out
}

// negated reports whether a normalised sentence contains a negation, in
// which case it promises nothing ("We do not sell or rent …").
func negated(ns string) bool {
	ns = " " + ns + " "
	return strings.Contains(ns, " not ") || strings.Contains(ns, " never ") || strings.Contains(ns, " no ")
}
