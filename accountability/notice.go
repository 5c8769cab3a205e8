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
		case p.LIA != nil && !p.LIA.CompellingGrounds:
			b.WriteString("- You can object at any time, and we stop.\n")
		case p.LIA != nil && p.LIA.CompellingGrounds:
			b.WriteString("- You can object; we continue only where compelling legitimate grounds override your interests, or where we need the data for a court case (Art. 21(1)).\n")
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
	var adequate []string
	for _, a := range c.Transfers.Adequacy {
		label := a.Country
		if a.Name != "" {
			label = a.Name
		}
		if a.Scope != "" {
			label += " (" + a.Scope + ")"
		}
		adequate = append(adequate, label)
	}
	if len(adequate) > 0 {
		fmt.Fprintf(&b, "\nCountries and organisations with an adequacy decision (checked %s): %s.\n", c.Transfers.Checked, strings.Join(adequate, ", "))
	}

	b.WriteString("\n## How long we keep your data\n\n")
	fmt.Fprintf(&b, "Retention periods: %s.\n", retention(c, nil, nil))

	b.WriteString("\n## How we protect your data\n\n")
	b.WriteString(securityMeasures(c) + "\n")

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
