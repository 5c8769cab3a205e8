package policies

import (
	"strconv"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
)

// catalogData turns a validated catalog into the document Rego reads as
// data.catalog: sets as objects of true, parents expanded to leaves,
// versions as number arrays, and the few facts of the law the rules need.
// Rules never hold lists of their own.
func catalogData(c *privacy.Catalog) map[string]any {
	kinds := map[string]any{}
	for _, k := range c.SubjectKinds {
		kinds[string(k.Kind)] = string(k.Role)
	}
	categories := map[string]any{}
	leaves := map[string]any{}
	for _, cat := range c.Categories {
		categories[cat.Key] = map[string]any{"subject": string(cat.Subject), "financial": cat.Financial,
			"transit": cat.Transit, "special": cat.Special}
		for p := cat.Key; ; {
			leaves[p] = stringsToAny(c.Leaves(p))
			i := strings.LastIndexByte(p, '.')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	purposes := map[string]any{}
	for i := range c.Purposes {
		p := &c.Purposes[i]
		subjects := map[string]any{}
		bases := map[string]any{}
		for _, k := range p.Subjects {
			subjects[string(k)] = true
			list := []any{}
			for _, b := range p.BasesFor(k) {
				list = append(list, string(b))
			}
			bases[string(k)] = list
		}
		cats := map[string]any{}
		for _, key := range p.Categories {
			for _, leaf := range c.Leaves(key) {
				cats[leaf] = true
			}
		}
		recipients := map[string]any{}
		for _, r := range p.Recipients {
			recipients[string(r)] = true
		}
		entry := map[string]any{
			"subjects":           subjects,
			"categories":         cats,
			"bases":              bases,
			"recipients":         recipients,
			"direct_marketing":   p.DirectMarketing,
			"profiling":          p.Profiling,
			"automated_decision": p.AutomatedDecision,
			"legal":              p.Legal,
			"legal_claims":       p.LegalClaims,
			"special_categories": p.SpecialCategories,
		}
		if p.LIA != nil {
			entry["lia"] = map[string]any{
				"covers_children":    p.LIA.CoversChildren,
				"compelling_grounds": p.LIA.CompellingGrounds,
			}
		}
		if age, ok := c.ConsentMaxAge(p.Key); ok {
			entry["consent_max_age"] = periodData(age)
		}
		if p.ConsentVersion != "" {
			// Validate parsed it. Rego compares the keys as strings
			// (privacy.Version.Key), the one comparison of versions.
			entry["consent_version_key"] = privacy.MustParsePolicyVersion(p.ConsentVersion).Key()
			entry["consent_version_text"] = p.ConsentVersion
		}
		purposes[p.Key] = entry
	}
	// The same facts keyed the other way round, for OPA's rule index: a
	// rule whose first condition is purposes_where.profiling[input.request.purpose]
	// is skipped for every other purpose without running its body.
	where := map[string]map[string]any{}
	for _, flag := range []string{"direct_marketing", "profiling", "automated_decision", "special_categories"} {
		where[flag] = map[string]any{}
	}
	byBasis := map[string]any{}
	for i := range c.Purposes {
		p := &c.Purposes[i]
		for flag, on := range map[string]bool{"direct_marketing": p.DirectMarketing, "profiling": p.Profiling,
			"automated_decision": p.AutomatedDecision, "special_categories": p.SpecialCategories} {
			if on {
				where[flag][p.Key] = true
			}
		}
		for _, k := range p.Subjects {
			for _, b := range p.BasesFor(k) {
				set, _ := byBasis[string(b)].(map[string]any)
				if set == nil {
					set = map[string]any{}
					byBasis[string(b)] = set
				}
				set[p.Key] = true
			}
		}
	}
	purposesWhere := map[string]any{}
	for flag, set := range where {
		purposesWhere[flag] = set
	}
	processorKinds := map[string]any{}
	for _, k := range c.SubjectKinds {
		if k.Role == privacy.RoleProcessor {
			processorKinds[string(k.Kind)] = true
		}
	}
	eea := map[string]any{}
	for _, cc := range c.Transfers.EEA {
		eea[cc] = true
	}
	adequacy := map[string]any{}
	for _, a := range c.Transfers.Adequacy {
		if a.Country == "" {
			continue
		}
		entry := map[string]any{
			"decision":         a.Decision,
			"requires":         string(a.Requires),
			"sectors":          stringsToAny(a.Sectors),
			"excluded_sectors": stringsToAny(a.ExcludedSectors),
		}
		if end, ok, _ := a.End(); ok {
			entry["end_ns"] = end.UnixNano()
			entry["until"] = a.Until
		}
		if start, ok, _ := a.Start(); ok {
			entry["start_ns"] = start.UnixNano()
			entry["from"] = a.From
		}
		adequacy[a.Country] = entry
	}
	ages := map[string]any{}
	for cc, age := range c.ConsentAge.Countries {
		ages[cc] = age
	}
	controllers := map[string]any{}
	for ctrl, list := range c.Processor.Controllers {
		controllers[ctrl] = setOf(list)
	}
	recipientKinds := map[string]any{}
	for _, k := range privacy.RecipientKinds() {
		recipientKinds[string(k)] = true
	}
	// Art. 21(1) lets a subject object to processing on public task or
	// legitimate interests. An objection to processing on consent is taken
	// as what it means, a withdrawal (Art. 7(3)); contract and legal
	// obligation are not objectionable.
	objectionable := map[string]any{string(lawfulbasis.Consent): true}
	for _, b := range lawfulbasis.All() {
		if b.Objectionable() {
			objectionable[string(b)] = true
		}
	}
	// Retention: the rule of every leaf that has one,
	// its period in the calendar units time.add_date takes.
	retention := map[string]any{}
	for _, cat := range c.Categories {
		r := c.RetentionRule(cat.Key)
		if r == nil {
			continue
		}
		entry := periodData(r.Period)
		entry["rule"], entry["trigger"] = r.Category, string(r.Trigger)
		if len(r.Also) > 0 {
			// Further clocks: the retention ends at the earliest
			// (retention.End).
			also := make([]any, len(r.Also))
			for i, a := range r.Also {
				clock := periodData(a.Period)
				clock["trigger"] = string(a.Trigger)
				also[i] = clock
			}
			entry["also"] = also
		}
		if r.Adjustable() && r.Min != nil && r.Max != nil {
			// The bounds of a controller's choice (retention.Due).
			entry["min"], entry["max"] = periodData(*r.Min), periodData(*r.Max)
		}
		if h := r.StatutoryHold; h != nil {
			// The legal duty to keep the records (Art. 17(3)(b)): processing
			// on legal_obligation survives the rule's period until the duty
			// ends, counted from the end of the book year when it says so
			// (privacy.StatutoryHold.End).
			hold := periodData(h.Period)
			hold["trigger"], hold["law"] = string(h.Trigger), h.Law
			if h.BookYearEnd != "" {
				// Validate checked the MM-DD form.
				m, _ := strconv.Atoi(h.BookYearEnd[:2])
				d, _ := strconv.Atoi(h.BookYearEnd[3:])
				hold["book_year_end"] = map[string]any{"month": m, "day": d}
			}
			entry["statutory_hold"] = hold
		}
		retention[cat.Key] = entry
	}
	return map[string]any{
		"retention":             retention,
		"policy_version":        c.PolicyVersion,
		"subject_kinds":         kinds,
		"categories":            categories,
		"leaves":                leaves,
		"purposes":              purposes,
		"purposes_where":        purposesWhere,
		"purposes_by_basis":     byBasis,
		"processor_kinds":       processorKinds,
		"eea":                   eea,
		"adequacy":              adequacy,
		"consent_age":           map[string]any{"default": c.ConsentAge.Default, "countries": ages},
		"no_special_categories": setOf(c.Processor.NoSpecialCategories),
		"instructions": map[string]any{
			"default":     setOf(c.Processor.DefaultInstructions),
			"controllers": controllers,
		},
		"recipient_kinds": recipientKinds,
		// Facts of the law, not of the company.
		"age_of_majority":     18,
		"objectionable_bases": objectionable, // Art. 21(1), and consent (Art. 7(3))
		// Art. 22(2): contract, authorised by law, explicit consent.
		"automated_decision_bases": setOf([]string{string(lawfulbasis.Contract), string(lawfulbasis.LegalObligation), string(lawfulbasis.Consent)}),
		// Art. 22(4): on special categories, only explicit consent (Art.
		// 9(2)(a)) or a substantial public interest laid down in law
		// (9(2)(g)).
		"special_automated_decision_bases": setOf([]string{string(lawfulbasis.LegalObligation), string(lawfulbasis.Consent)}),
		// Art. 46(2): transfer tools that need no authorisation.
		"art46_safeguards": setOf([]string{string(privacy.SafeguardSCC), string(privacy.SafeguardBCR), string(privacy.SafeguardCodeOfConduct), string(privacy.SafeguardCertification)}),
		// Art. 49(1)(a)-(g): the derogations; the first three serve
		// neither public authorities in the exercise of their public
		// powers (49(3)) nor, as read here, disclosures to them (a
		// contract with the subject or the subject's consent cannot make
		// an authority's demand necessary or free, Recital 43).
		"art49_derogations": setOf([]string{string(privacy.DerogationExplicitConsent), string(privacy.DerogationContract),
			string(privacy.DerogationContractInInterest), string(privacy.DerogationPublicInterest), string(privacy.DerogationLegalClaims),
			string(privacy.DerogationVitalInterests), string(privacy.DerogationPublicRegister)}),
		"art49_private_only": setOf([]string{string(privacy.DerogationExplicitConsent), string(privacy.DerogationContract),
			string(privacy.DerogationContractInInterest)}),
		// Art. 6(1)(b) and (c): a basis that cannot serve a disclosure to a
		// kind of recipient. Disclosing to a public authority is never
		// necessary for a contract with the subject (it is a legal
		// obligation, or legitimate interests); a legal obligation never
		// runs to a business partner or a private individual.
		"basis_excludes_recipient": map[string]any{
			string(lawfulbasis.Contract):        setOf([]string{string(privacy.RecipientPublicAuthority)}),
			string(lawfulbasis.LegalObligation): setOf([]string{string(privacy.RecipientPartner), string(privacy.RecipientIndividual)}),
		},
		// Art. 4(11), Recital 32, CJEU C-673/17 Planet49: acts that are
		// not consent, as the ledger names them (consent.Record.Act).
		"not_consent_acts": setOf([]string{string(consent.ActPreTickedBox), string(consent.ActSilence), string(consent.ActImplied), string(consent.ActContinuedUse)}),
		"basis_recipient_why": map[string]any{
			string(lawfulbasis.Contract):        "a disclosure to a public authority is never necessary for a contract with the subject; a legally required disclosure rests on legal_obligation (Art. 6(1)(c))",
			string(lawfulbasis.LegalObligation): "a legal obligation runs to an authority or a party the law names, not to a business partner or an individual the subject chose (Art. 6(1)(c), 6(3))",
		},
		// Art. 28(3): recipients that process on the operator's behalf.
		"dpa_required": setOf([]string{string(privacy.RecipientProcessor), string(privacy.RecipientAffiliate)}),
		// Art. 28(2), 28(4): where the operator is itself a processor, a
		// business partner that helps deliver the service processes the
		// controller's data on its behalf too: a sub-processor.
		"subprocessor_kinds": setOf([]string{string(privacy.RecipientPartner)}),
	}
}

func setOf(list []string) map[string]any {
	m := make(map[string]any, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

func stringsToAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// periodData gives a period in the calendar units time.add_date takes,
// and as text for messages.
func periodData(p privacy.Period) map[string]any {
	return map[string]any{
		"period": p.String(),
		"years":  p.Years,
		"months": p.Months,
		"days":   7*p.Weeks + p.Days,
		"hours":  p.Hours,
	}
}
