package accountability

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// basisWords says in plain language why a basis makes processing lawful.
var basisWords = map[lawfulbasis.Basis]string{
	lawfulbasis.Consent:               "your consent, which you can withdraw at any time",
	lawfulbasis.Contract:              "it is necessary to perform our contract with you",
	lawfulbasis.LegalObligation:       "the law requires it",
	lawfulbasis.VitalInterests:        "it is necessary to protect someone's life",
	lawfulbasis.PublicTask:            "it is necessary for a task in the public interest",
	lawfulbasis.LegitimateInterests:   "our legitimate interests, which we have weighed against yours",
	lawfulbasis.ControllerInstruction: "the instructions of the organisation that invited you",
}

// recipientNames names a recipient kind in a few plain words.
var recipientNames = map[privacy.RecipientKind]string{
	privacy.RecipientAffiliate:       "group companies",
	privacy.RecipientProcessor:       "service providers",
	privacy.RecipientPartner:         "business partners",
	privacy.RecipientThirdParty:      "other third parties",
	privacy.RecipientPublicAuthority: "public authorities",
	privacy.RecipientIndividual:      "people you name",
}

// recipientWords describes a recipient kind in plain language.
var recipientWords = map[privacy.RecipientKind]string{
	privacy.RecipientAffiliate:       "the other companies of our group",
	privacy.RecipientProcessor:       "they process data for us, only on our instructions and under a data-processing agreement",
	privacy.RecipientPartner:         "they help provide a product or transaction you asked for, and get only the data they need for it",
	privacy.RecipientThirdParty:      "such as courts and the other side's lawyers in a legal dispute",
	privacy.RecipientPublicAuthority: "such as courts, regulators and the tax authority, where the law requires it",
	privacy.RecipientIndividual:      "people you ask us to send information to",
}

// WriteNotice writes a privacy notice in plain language (Markdown) with the
// information GDPR Art. 13 and 14 require, as far as the catalog holds it:
// who the controller is and how to reach them, what data is collected, each
// purpose with its lawful basis and, for legitimate interests, the interest
// pursued, the recipients, transfers outside the EEA and their safeguards,
// retention, the data subject's rights and how to exercise them, and
// automated decisions and profiling. For subject kinds whose data the
// operator only processes for another controller it says so and points to
// that controller.
func WriteNotice(w io.Writer, c *privacy.Catalog) error {
	var b strings.Builder
	ctrl := c.Controller
	fmt.Fprintf(&b, "# %s\n\n", c.Name)
	fmt.Fprintf(&b, "Version %s. This notice is generated from the catalog that our systems enforce: every use of your data described here is checked against it before it happens, and nothing else is allowed.\n\n", c.PolicyVersion)

	b.WriteString("## Who we are\n\n")
	fmt.Fprintf(&b, "%s is the controller of your personal data.", ctrl.Name)
	if ctrl.Address != "" {
		fmt.Fprintf(&b, " Address: %s.", ctrl.Address)
	}
	if ctrl.Contact != "" {
		fmt.Fprintf(&b, " Contact: %s.", ctrl.Contact)
	}
	b.WriteString("\n")

	b.WriteString("\n## What data we collect\n")
	for _, sk := range c.SubjectKinds {
		fmt.Fprintf(&b, "\n**%s**", titleCase(string(sk.Kind)))
		if sk.Description != "" {
			fmt.Fprintf(&b, ": %s", sk.Description)
		}
		b.WriteString(".")
		if sk.Role == privacy.RoleProcessor {
			b.WriteString(" We process this data only on behalf of, and on the instructions of, the organisation that controls it; that organisation's privacy notice applies and tells you how to exercise your rights.")
		}
		b.WriteString("\n\n")
		for _, cat := range c.Categories {
			if cat.Subject != sk.Kind {
				continue
			}
			opt := ""
			if cat.Optional {
				opt = " (optional: you choose whether to provide it)"
			}
			fmt.Fprintf(&b, "- %s%s\n", describe(cat), opt)
		}
	}

	b.WriteString("\n## What we use your data for, and why we may\n")
	var controlled []privacy.SubjectKind
	for _, sk := range c.SubjectKinds {
		if sk.Role == privacy.RoleController {
			controlled = append(controlled, sk.Kind)
		}
	}
	var profiling, automated []string
	for i := range c.Purposes {
		p := &c.Purposes[i]
		subjects := subjectsWithRole(c, p, privacy.RoleController)
		if len(subjects) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n**%s**", sentence(p.Reason))
		var why []string
		for _, bs := range basesFor(p, subjects) {
			why = append(why, basisWords[bs])
		}
		fmt.Fprintf(&b, "\n\n- Why we may: %s (%s).\n", strings.Join(why, "; or "), articles(basesFor(p, subjects)))
		if p.LIA != nil && lawfulbasis.Contains(basesFor(p, subjects), lawfulbasis.LegitimateInterests) {
			fmt.Fprintf(&b, "- Our legitimate interest: %s.\n", p.LIA.Interest)
		}
		var data []string
		for _, leaf := range leavesFor(c, p, subjects) {
			short, _, _ := strings.Cut(describe(*c.Category(leaf)), ":")
			data = append(data, short)
		}
		if !slices.ContainsFunc(subjects, func(k privacy.SubjectKind) bool { return !usesAll(c, p, k) }) {
			data = []string{"all the data above"}
		}
		fmt.Fprintf(&b, "- Data used: %s.\n", strings.Join(data, ", "))
		fmt.Fprintf(&b, "- Do you have to give it? %s\n", provisionWords[provisionOf(p, subjects)])
		if age, ok := c.ConsentMaxAge(p.Key); ok && lawfulbasis.Contains(basesFor(p, subjects), lawfulbasis.Consent) {
			fmt.Fprintf(&b, "- Your consent lasts %s: then we ask you again, and stop until you agree again.\n", plainPeriod(age))
		}
		if len(p.Recipients) > 0 {
			var to []string
			for _, r := range sortedRecipients(p.Recipients) {
				to = append(to, recipientNames[r])
			}
			fmt.Fprintf(&b, "- Shared with: %s (see below).\n", strings.Join(to, ", "))
		}
		switch {
		case p.DirectMarketing:
			b.WriteString("- This is direct marketing: you can object or unsubscribe at any time, and we stop at once.\n")
		case p.LegalClaims:
			b.WriteString("- You can object; we continue only where we need the data to establish, exercise or defend legal claims, and then we tell you why (Art. 21(1)).\n")
		case p.LIA != nil && !p.LIA.CompellingGrounds:
			b.WriteString("- You can object at any time, and we stop.\n")
		case p.LIA != nil && p.LIA.CompellingGrounds:
			b.WriteString("- You can object, and we stop, unless we have assessed your particular situation and found compelling legitimate grounds that override your interests, and then we tell you why (Art. 21(1)).\n")
		}
		if p.Profiling {
			profiling = append(profiling, strconv.Quote(strings.TrimSpace(p.Reason)))
		}
		if p.AutomatedDecision {
			automated = append(automated, strconv.Quote(strings.TrimSpace(p.Reason)))
		}
	}
	if len(controlled) > 0 {
		b.WriteString("\nWe will not use your data for any other purpose without asking for your consent first.\n")
	}

	writeProvision(&b, c)

	b.WriteString("\n## Who receives your data\n\n")
	used := map[privacy.RecipientKind]bool{}
	for _, p := range c.Purposes {
		for _, r := range p.Recipients {
			used[r] = true
		}
	}
	for _, r := range privacy.RecipientKinds() {
		if used[r] {
			fmt.Fprintf(&b, "- **%s**: %s.\n", titleCase(recipientNames[r]), recipientWords[r])
		}
	}
	b.WriteString("\nWe do not sell or rent your personal data, and we never give it to third parties for their own marketing.\n")

	b.WriteString("\n## Transfers outside the European Economic Area\n\n")
	b.WriteString("We send your data outside the EEA only to a country the European Commission has found to protect it adequately, or to a recipient bound by one of these safeguards, a copy of which you can ask us for:\n\n")
	for _, s := range safeguards {
		b.WriteString("- " + s + "\n")
	}
	if d := derogationWords(c); d != "" {
		b.WriteString("\nExceptionally, for an occasional transfer and never as a routine, we may instead rely on " + d + " (Art. 49(1)).\n")
	}
	var adequate []string
	for _, a := range c.Transfers.Adequacy {
		adequate = append(adequate, adequacyName(a))
	}
	if len(adequate) > 0 {
		fmt.Fprintf(&b, "\nCountries and organisations with an adequacy decision (checked %s): %s.\n", plainDate(c.Transfers.Checked), strings.Join(adequate, "; "))
	}

	b.WriteString("\n## How long we keep your data\n\n")
	if len(c.Retention) == 0 {
		b.WriteString("The catalog states no retention periods yet; ask us how long we keep your data.\n")
	}
	for i := range c.Retention {
		r := &c.Retention[i]
		fmt.Fprintf(&b, "- %s: %s.\n", titleCase(retentionName(c, r)), plainRetention(r))
	}

	b.WriteString("\n## How we protect your data\n\n")
	b.WriteString(plainSecurity(c) + "\n")

	b.WriteString("\n## Your rights\n\n")
	for _, rt := range rights {
		if rt.only != nil && !rt.only(c) {
			continue
		}
		fmt.Fprintf(&b, "- **%s** (%s): %s\n", rt.title, rt.article, rt.words)
	}
	if ctrl.Contact != "" {
		fmt.Fprintf(&b, "\nTo exercise a right, write to %s. We answer within one month; for complex or numerous requests we may extend this by two further months, and if so we tell you within the first month (Art. 12(3)).\n", ctrl.Contact)
	}

	b.WriteString("\n## Automated decisions and profiling\n\n")
	if len(automated) == 0 {
		b.WriteString("We make no decisions about you based solely on automated processing that have legal or similarly significant effects.\n")
	} else {
		fmt.Fprintf(&b, "We make decisions based solely on automated processing only for: %s. You can ask for a person to review such a decision, express your point of view and contest it (Art. 22(3)).\n", strings.Join(automated, ", "))
	}
	if len(profiling) > 0 {
		fmt.Fprintf(&b, "\nWe use profiling (automated evaluation of personal aspects of you) only for: %s. Above you can see on which basis, and how to stop it.\n", strings.Join(profiling, "; "))
	}

	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write notice: %w", err)
	}
	return nil
}

func articles(bases []lawfulbasis.Basis) string {
	var s []string
	for _, b := range bases {
		if a := b.Article(); a != "" && !slices.Contains(s, a) {
			s = append(s, a)
		}
	}
	return strings.Join(s, ", ")
}

// describe names a category for a reader: its description, or its key.
func describe(cat privacy.Category) string {
	if cat.Description != "" {
		return cat.Description
	}
	return cat.Key
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	s = titleCase(s)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// provision says whether a subject must give the data a purpose uses (Art.
// 13(2)(e)), derived from the purpose's bases.
type provision int

const (
	// voluntary: consent or legitimate interests; nothing follows from not
	// giving the data but that the purpose is not served.
	voluntary provision = iota
	// contractual: needed to enter into or perform the contract.
	contractual
	// statutory: the law requires it (and, for the reference catalog's
	// billing, the contract too).
	statutory
	// held: a legal purpose that uses data already held and asks the
	// subject for nothing; it never makes a category required.
	held provision = -1
	// voluntaryInterest: legitimate interests or another basis that asks
	// nothing of the subject; voluntary like consent.
	voluntaryInterest provision = -2
)

// provisionOf derives a purpose's provision requirement from its bases. A
// legal purpose (legal obligations to disclose, legal claims) uses data
// already held and asks the subject for nothing, so it is voluntary as far
// as giving data goes.
func provisionOf(p *privacy.Purpose, subjects []privacy.SubjectKind) provision {
	if p.Legal {
		return held
	}
	bases := basesFor(p, subjects)
	switch {
	case lawfulbasis.Contains(bases, lawfulbasis.LegalObligation):
		return statutory
	case lawfulbasis.Contains(bases, lawfulbasis.Contract):
		return contractual
	case lawfulbasis.Contains(bases, lawfulbasis.Consent):
		return voluntary
	}
	return voluntaryInterest
}

// provisionWords answers "do you have to give it?" for a purpose, with the
// consequence of not giving it (Art. 13(2)(e)).
var provisionWords = map[provision]string{
	voluntary:         "No. It is up to you: if you do not give it or do not consent, we do not do this, and nothing else changes for you.",
	voluntaryInterest: "No. You are not obliged to give it; if you do not, we cannot do this, and nothing else changes for you.",
	held:              "You are not asked for it: this uses data we already hold, where the law or a legal claim requires it.",
	contractual:       "It is needed to enter into and perform our contract with you. You are not obliged to give it, but without it we cannot provide this part of the service.",
	statutory:         "It is a statutory requirement: the law obliges us to process and keep it. Without it we cannot enter into the contract with you or provide what depends on it.",
}

// writeProvision writes the section of Art. 13(2)(e): which data the
// subject must give because a contract or the law requires it, and what
// follows if they do not. A category is required when a purpose on
// contract or legal obligation uses it and the catalog does not mark it
// optional; the strictest requirement wins.
func writeProvision(b *strings.Builder, c *privacy.Catalog) {
	need := map[string]provision{}
	for i := range c.Purposes {
		p := &c.Purposes[i]
		subjects := subjectsWithRole(c, p, privacy.RoleController)
		if len(subjects) == 0 {
			continue
		}
		pr := max(provisionOf(p, subjects), voluntary)
		for _, leaf := range leavesFor(c, p, subjects) {
			need[leaf] = max(need[leaf], pr)
		}
	}
	groups := map[provision][]string{}
	for _, cat := range c.Categories {
		if spec := c.SubjectKind(cat.Subject); spec == nil || spec.Role != privacy.RoleController {
			continue
		}
		pr := need[cat.Key]
		if cat.Optional {
			pr = voluntary
		}
		short, _, _ := strings.Cut(describe(cat), ":")
		groups[pr] = append(groups[pr], strings.TrimSpace(short))
	}
	if len(groups) == 0 {
		return
	}
	b.WriteString("\n## Do you have to give us your data?\n\n")
	if d := groups[statutory]; len(d) > 0 {
		fmt.Fprintf(b, "- **Statutory requirement**: %s. The law obliges us to process and keep this data (for example for tax and bookkeeping). If you do not give it, we cannot enter into a contract with you.\n", listWords(d))
	}
	if d := groups[contractual]; len(d) > 0 {
		fmt.Fprintf(b, "- **Needed for our contract with you**: %s. You are not obliged to give it, but without it we cannot enter into the contract or provide the service it covers.\n", listWords(d))
	}
	if d := groups[voluntary]; len(d) > 0 {
		fmt.Fprintf(b, "- **Up to you**: %s. If you do not give it, or withdraw your consent, you can still use the service; only the use it is for stops.\n", listWords(d))
	}
}

// plainSecurity describes the security measures for the notice in words
// (Art. 32), without the engine's codes that the record of processing
// cites.
func plainSecurity(c *privacy.Catalog) string {
	parts := []string{"We protect personal data with industry-standard security technologies, procedures and organisational measures against unauthorised access, use or disclosure."}
	if slices.ContainsFunc(c.Categories, func(cat privacy.Category) bool { return cat.Financial }) {
		parts = append(parts, "Payment and other financial data is always encrypted when it is sent over a network: our systems refuse to send it unencrypted.")
	}
	parts = append(parts,
		"Service providers and group companies receive data only under a data-processing agreement that binds them to our instructions.",
		"Every use and every disclosure of your data is checked against this notice's rules before it happens, and a record of each consent is kept that cannot be altered unnoticed.")
	return strings.Join(parts, " ")
}

// derogationWords lists, in plain words, the exceptions of Art. 49(1) the
// engine lets a transfer rest on for this catalog's purposes: explicit
// consent to the transfer (any purpose), a contract with the subject (a
// purpose on contract) and legal claims (a purpose marked for them).
func derogationWords(c *privacy.Catalog) string {
	words := []string{"your explicit consent to that transfer, given after we have told you its risks"}
	if slices.ContainsFunc(c.Purposes, func(p privacy.Purpose) bool {
		return slices.ContainsFunc(p.Subjects, func(k privacy.SubjectKind) bool {
			return lawfulbasis.Contains(p.BasesFor(k), lawfulbasis.Contract)
		})
	}) {
		words = append(words, "the transfer being necessary for our contract with you")
	}
	if slices.ContainsFunc(c.Purposes, func(p privacy.Purpose) bool { return p.LegalClaims }) {
		words = append(words, "the transfer being necessary to establish, exercise or defend legal claims")
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], "; ") + "; or " + words[len(words)-1]
}
