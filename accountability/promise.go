package accountability

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/privacykit/privacy"
)

// This file holds the promise checks of DiffNotice: what a notice says
// about selling data, security, retention, transfers, categories, the data
// of a processor's subjects, rights, automated decisions and children,
// compared with what the catalog makes the engine enforce. Each check is a
// lexicon (the words English uses for the promise, in their grammatical
// forms) read clause by clause with the negation and condition rules of
// text.go.

// finding builds a Finding that quotes the sentence and names its section.
func finding(kind FindingKind, key, article string, s *section, msg string) Finding {
	f := Finding{Kind: kind, Key: key, Message: msg, Article: article}
	if s != nil {
		f.Section = s.heading
		f.Quote = s.text
	}
	return f
}

// dataWords are words by which a clause speaks of personal data, so that
// "we sell subscriptions" is no sale of data but "we sell it" is.
var dataWords = phrases("data", "information", "info", "details", "personal", "it", "them", "profile*",
	"email*", "address*", "contact*", "record*", "list*", "name*")

// --- sale -------------------------------------------------------------

// saleVerbs are the words for selling, renting or otherwise trading data
// for value, in every inflection.
var saleVerbs = phrases("sell", "sells", "selling", "sold", "resell*", "resold", "sale of", "for sale",
	"rent", "rents", "renting", "rented", "rental of", "lease", "leases", "leasing", "leased",
	"monetis*", "monetiz*", "commercialis*", "commercializ*", "commercially exploit*", "trade", "trades", "trading", "traded",
	"barter*", "license your", "licence your", "licensing your", "license it", "licensed to", "licenced to")

// saleNot are phrases in which a sale word means something else ("trade
// union membership", "trading name").
var saleNot = phrases("trade union*", "trade mark*", "trade fair*", "trade secret*", "trading name*", "trade name*",
	"point of sale", "sale of goods", "sale of our business", "sale of the business", "sale of 24sessions")

// shareVerbs are the words for giving data to someone; with a price
// (moneyWords) in the same clause they are a sale.
var shareVerbs = phrases("share*", "disclos*", "provid*", "give", "gives", "giving", "given", "gave",
	"transfer*", "pass", "passes", "passed", "passing", "make available", "made available", "makes available",
	"supply", "supplies", "supplied", "hand*", "send*", "sent", "exchang*", "offer*", "sell*")

// moneyWords say that something is given for value.
var moneyWords = phrases("for money", "for cash", "for a fee", "for fees", "for payment", "against payment",
	"in exchange for", "in return for", "for compensation", "for remuneration", "for consideration",
	"for monetary", "for valuable", "for financial", "for commercial gain", "for profit", "for a profit",
	"pay us", "pays us", "paid us", "paying us", "paid by", "we are paid by", "we get paid by",
	"we earn", "revenue", "for a commission", "monetary", "valuable consideration", "against a fee", "a small fee",
	"compensat* us", "remunerat* us", "reward* us", "receive compensation", "receive remuneration",
	"financial benefit", "financial gain", "commercial gain", "for value", "something of value")

// buyers are recipients whose business is buying data.
var buyers = phrases("data broker*", "list broker*", "buyer*", "purchaser*", "data reseller*", "data marketplace*")

// thirdMarketing are the words for a disclosure to others for their
// marketing, which the reference policy also rules out ("We do not sell
// or rent your Personal Information to third parties for marketing
// purposes") and the engine denies (disclosure.sale_prohibited).
var (
	outsiders      = phrases("third part*", "partner*", "advertiser*", "other companies", "data broker*", "brokers", "marketers")
	theirMarketing = phrases("for their own", "for its own", "their own purposes", "their own use", "market", "markets",
		"marketing", "advertis*", "promot*", "newsletter*", "special offers", "their offers", "their products")
)

func checkSale(text []section) []Finding {
	var out []Finding
	seen := map[*section]bool{}
	report := func(s *section, key, what string) {
		if seen[s] {
			return
		}
		seen[s] = true
		out = append(out, finding(SaleInText, key, "GDPR Art. 5(1)(a), 6(1), 13(1)(e), 21(2)", s,
			fmt.Sprintf("the text %s; the catalog allows no sale, renting or disclosure for a recipient's own marketing, and the engine denies them (disclosure.sale_prohibited)", what)))
	}
	for si := range text {
		s := &text[si]
		if !s.has(dataWords) {
			continue
		}
		for _, c := range s.clauses {
			for _, p := range saleVerbs {
				for i := c.find(p, 0); i >= 0; i = c.find(p, i+1) {
					if c.within(saleNot, i) {
						continue
					}
					if !c.negatedAt(i) {
						report(s, "sale", fmt.Sprintf("says personal data is sold, rented or traded (%q)", strings.Join(c.toks[i:min(i+len(p)+3, len(c.toks))], " ")))
					} else if c.exceptedAfter(i) {
						report(s, "sale", "rules out selling or renting personal data only with an exception")
					}
				}
			}
			// A price for data: "in exchange for payment", "partners pay
			// us", whatever the verb of giving.
			if i := firstOf(c, moneyWords); i >= 0 && !c.negatedAt(i) {
				if j := firstOf(c, shareVerbs); j < 0 || !c.negatedAt(j) {
					report(s, "sale", "says personal data is given for money or other value")
				}
			}
		}
		// A disclosure to those who buy data is a sale, whatever the verb.
		for _, c := range s.clauses {
			if i := firstOf(c, buyers); i >= 0 && !c.negatedAt(i) {
				if j := firstOf(c, shareVerbs); j >= 0 && !c.negatedAt(j) {
					report(s, "sale", "says personal data goes to data brokers or buyers")
				}
			}
		}
		// A disclosure to others for their marketing: the giving and the
		// marketing may stand in different clauses of one sentence ("we pass
		// your email to partners so that they can market to you").
		var give, market, others bool
		for _, c := range s.clauses {
			if i := firstOf(c, shareVerbs); i >= 0 && !c.negatedAt(i) {
				give = true
			}
			if i := firstOf(c, theirMarketing); i >= 0 && !c.negatedAt(i) {
				market = true
			}
			if i := firstOf(c, outsiders); i >= 0 && !c.negatedAt(i) {
				others = true
			}
		}
		if give && market && others {
			report(s, "third_party_marketing", "says personal data is given to others for their marketing")
		}
	}
	return out
}

// firstOf returns the index of the first match of any of the phrases.
func firstOf(c clause, ps []phrase) int {
	first := -1
	for _, p := range ps {
		if i := c.find(p, 0); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// --- security ---------------------------------------------------------

var (
	encryptionWords = phrases("encrypt*", "ssl", "tls", "https", "secure sockets", "cryptograph*", "transport layer security")
	// plainWords say data goes unprotected.
	plainWords = phrases("unencrypted", "without encryption", "plain text", "plaintext", "in the clear", "not encrypted")
	// securityWords and meansWords together state security measures in
	// other words ("we use industry-standard security tools and
	// procedures"); a commitment alone ("we are committed to protecting
	// your data") states none.
	securityWords = phrases("secur*", "protect*", "safeguard*")
	meansWords    = phrases("technolog*", "measure*", "procedure*", "tool*", "control*", "standard*",
		"firewall*", "safeguards", "policies and", "practices")
	// hedges make a promise optional.
	hedges = phrases("where possible", "when possible", "if possible", "where feasible", "when feasible", "if feasible",
		"technically feasible", "where practicable", "where practical", "if practical", "where appropriate", "in some cases",
		"may use", "might use", "try to", "tries to", "attempt to", "endeavour*", "endeavor*", "reasonable efforts",
		"best efforts", "sometimes", "occasionally", "at our discretion")
	// measureWords state security measures in general (Art. 32).
	measureWords = phrases("security technolog*", "security measures", "organi* measures", "technical measures",
		"technical and organi*", "security procedures", "security controls", "security standards", "industry standard security",
		"appropriate security", "safeguards to protect", "protect your personal", "protect your data", "protect personal")
)

func checkSecurity(c *privacy.Catalog, text []section) []Finding {
	var out []Finding
	affirmed := func(ps []phrase) bool {
		for _, m := range findAll(text, ps) {
			if !m.negated && !m.c.cond {
				return true
			}
		}
		return false
	}
	financial := slices.ContainsFunc(c.Categories, func(cat privacy.Category) bool { return cat.Financial })
	hedged := true // every affirmed encryption promise is hedged ("where possible")
	var hedgedAt *section
	for _, m := range findAll(text, encryptionWords) {
		if m.negated || m.c.cond {
			continue
		}
		if !m.s.has(hedges) {
			hedged = false
		} else if hedgedAt == nil {
			hedgedAt = m.s
		}
	}
	if financial && hedged && hedgedAt != nil {
		out = append(out, finding(SecurityPromiseNegated, "encryption", "GDPR Art. 32(1)(a)", hedgedAt,
			"the text promises encryption only where possible; the engine requires encryption in transit for financial data whenever it leaves the system"))
	}
	if financial && !affirmed(encryptionWords) {
		out = append(out, finding(SecurityPromiseMissing, "encryption", "GDPR Art. 32(1)(a), 13(1)(e)", nil,
			"the text no longer promises encryption; the catalog marks financial data that the engine only lets leave the system encrypted (encrypt_in_transit)"))
	}
	if !affirmed(measureWords) && !slices.ContainsFunc(text, func(s section) bool {
		return slices.ContainsFunc(s.clauses, func(c clause) bool {
			i := firstOf(c, securityWords)
			// encryption is its own promise, checked above
			return i >= 0 && !c.cond && !c.negatedAt(i) && c.has(meansWords) && !c.has(encryptionWords)
		})
	}) {
		out = append(out, finding(SecurityPromiseMissing, "measures", "GDPR Art. 32, 5(1)(f)", nil,
			"the text no longer states the security measures that protect personal data"))
	}
	for _, m := range findAll(text, encryptionWords) {
		if m.negated && !m.c.cond {
			out = append(out, finding(SecurityPromiseNegated, "encryption", "GDPR Art. 32(1)(a)", m.s,
				"the text says data is not encrypted; the engine requires encryption in transit for financial data"))
			break
		}
	}
	for _, m := range findAll(text, plainWords) {
		if !m.negated && !m.c.cond {
			out = append(out, finding(SecurityPromiseNegated, "encryption", "GDPR Art. 32(1)(a)", m.s,
				"the text says data is sent or kept unencrypted; the engine requires encryption in transit for financial data"))
			break
		}
	}
	return out
}

// --- retention --------------------------------------------------------

var (
	keepWords = phrases("retain*", "retention", "keep", "keeps", "keeping", "kept", "store", "stores", "stored", "storing",
		"hold", "holds", "held", "preserv*", "archiv*", "delet*", "eras*", "anonymi*", "destroy*", "remove*", "purge*")
	indefinite = phrases("indefinite*", "forever", "permanent*", "perpetu*", "unlimited", "no time limit", "without time limit",
		"without any time limit", "without limit", "no limit", "even after", "as long as we like", "as long as we want",
		"as long as we wish", "as long as we see fit", "as long as we consider", "as long as we deem", "as long as we choose",
		"as long as we decide", "as long as we think", "as long as it is useful", "as long as it is commercially",
		"as long as we find", "as long as may be useful", "for our business purposes", "for business purposes",
		"for our commercial purposes", "for commercial purposes", "as long as it is commercially", "as long as we have a business",
		"as long as it has value", "as long as it is valuable")
	// lawWords mark a retention a law imposes, which may be a statutory
	// hold of the catalog.
	lawWords     = phrases("law*", "legal*", "statutory", "tax*", "fiscal", "bookkeeping", "accounting", "regulat*")
	respondWords = phrases("respond*", "reply", "replies", "answer*", "handle*", "deal with", "process your request*", "fulfil*", "comply with your")
	requestWords = phrases("request*")
)

// numberWords are the numbers a notice writes in words.
var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"eighteen": 18, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}

// periodsIn returns the periods a clause states ("7 years", "ninety
// days", "a year"), in tokens order.
func periodsIn(c clause) []privacy.Period {
	var out []privacy.Period
	for i := 1; i < len(c.toks); i++ {
		unit := strings.TrimSuffix(c.toks[i], "s")
		if unit != "year" && unit != "month" && unit != "week" && unit != "day" && unit != "hour" {
			continue
		}
		n, err := strconv.Atoi(c.toks[i-1])
		if err != nil {
			var ok bool
			if n, ok = numberWords[c.toks[i-1]]; !ok {
				continue
			}
			// "twenty four months", "one hundred days"
			if i >= 2 {
				if m, ok := numberWords[c.toks[i-2]]; ok && m > 1 && n < 10 {
					n += m
				}
			}
		}
		var p privacy.Period
		switch unit {
		case "year":
			p.Years = n
		case "month":
			p.Months = n
		case "week":
			p.Weeks = n
		case "day":
			p.Days = n
		case "hour":
			p.Hours = n
		}
		out = append(out, p)
	}
	return out
}

// catalogPeriods returns the periods the catalog's retention rules state
// for the categories a sentence mentions, or for all of them when it
// mentions none: each rule's periods (its own and Also), its statutory
// hold and a controller's bounds. A statutory hold counts for data in general only
// where the sentence cites the law ("seven years, as tax law requires"):
// "we keep your data for 7 years" lengthens the retention of everything
// but invoices.
func catalogPeriods(c *privacy.Catalog, cats []string, law bool) []privacy.Period {
	var out []privacy.Period
	add := func(r *privacy.RetentionRule) {
		for _, c := range r.Clocks() {
			out = append(out, c.Period)
		}
		if r.StatutoryHold != nil && (law || len(cats) > 0) {
			out = append(out, r.StatutoryHold.Period)
		}
		if r.Min != nil {
			out = append(out, *r.Min)
		}
		if r.Max != nil {
			out = append(out, *r.Max)
		}
	}
	if len(cats) == 0 {
		for i := range c.Retention {
			add(&c.Retention[i])
		}
		return out
	}
	for _, key := range cats {
		if r := c.RetentionRule(key); r != nil {
			add(r)
		}
		// a rule on a child is also a period the category states
		for i := range c.Retention {
			if strings.HasPrefix(c.Retention[i].Category, key+".") {
				add(&c.Retention[i])
			}
		}
	}
	return out
}

func checkRetention(c *privacy.Catalog, text []section, mentioned func(*section) []string) []Finding {
	var out []Finding
	for si := range text {
		s := &text[si]
		for _, cl := range s.clauses {
			if !cl.has(keepWords) || cl.has(respondWords) && cl.has(requestWords) {
				continue
			}
			if i := firstOf(cl, indefinite); i >= 0 && !cl.negatedAt(i) {
				out = append(out, finding(RetentionNotInCatalog, "indefinite", "GDPR Art. 5(1)(e), 13(2)(a)", s,
					"the text keeps data without a time limit; every retention rule of the catalog has a period"))
				continue
			}
			known := catalogPeriods(c, mentioned(s), s.has(lawWords))
			for _, p := range periodsIn(cl) {
				if slices.ContainsFunc(known, func(q privacy.Period) bool { return p.Compare(q) == 0 }) {
					continue
				}
				longest := slices.MaxFunc(append(known, privacy.Period{}), privacy.Period.Compare)
				what := "changed"
				if p.Compare(longest) > 0 {
					what = "lengthened"
				}
				out = append(out, finding(RetentionNotInCatalog, plainPeriod(p), "GDPR Art. 5(1)(e), 13(2)(a)", s,
					fmt.Sprintf("the text states a retention of %s that no catalog rule for this data has (%s; the longest is %s)", plainPeriod(p), what, plainPeriod(longest))))
			}
		}
	}
	return out
}

// checkResponseTime finds a deadline for answering a subject's request
// longer than Art. 12(3) allows (one month).
func checkResponseTime(text []section) []Finding {
	var out []Finding
	month := privacy.Period{Months: 1}
	for si := range text {
		s := &text[si]
		for _, cl := range s.clauses {
			if !cl.has(respondWords) || !cl.has(requestWords) {
				continue
			}
			for _, p := range periodsIn(cl) {
				if p.Compare(month) > 0 && p.Compare(privacy.Period{Days: 31}) > 0 {
					out = append(out, finding(RightLimited, "response_time", "GDPR Art. 12(3)", s,
						fmt.Sprintf("the text answers requests within %s; the law allows one month, extendable by two only for complex or numerous requests with notice", plainPeriod(p))))
				}
			}
		}
	}
	return out
}

// --- transfers --------------------------------------------------------

// countryTerms are the names English uses for countries outside the EEA,
// and for regions, as a notice may name them as destinations.
var countryTerms = []struct {
	code  string
	terms []phrase
}{
	{"US", phrases("united states", "usa", "u s", "u s a", "america", "american servers")},
	{"GB", phrases("united kingdom", "uk", "great britain", "britain", "england", "scotland", "wales", "northern ireland")},
	{"CH", phrases("switzerland", "swiss")},
	{"CA", phrases("canada")},
	{"JP", phrases("japan")},
	{"KR", phrases("south korea", "republic of korea", "korea")},
	{"IL", phrases("israel")},
	{"NZ", phrases("new zealand")},
	{"AR", phrases("argentina")},
	{"UY", phrases("uruguay")},
	{"BR", phrases("brazil")},
	{"AD", phrases("andorra")},
	{"CN", phrases("china", "chinese", "prc")},
	{"HK", phrases("hong kong")},
	{"TW", phrases("taiwan")},
	{"IN", phrases("india", "indian")},
	{"RU", phrases("russia", "russian federation")},
	{"SG", phrases("singapore")},
	{"AU", phrases("australia")},
	{"TR", phrases("turkey", "türkiye", "turkiye")},
	{"AE", phrases("united arab emirates", "uae", "dubai")},
	{"SA", phrases("saudi arabia")},
	{"UA", phrases("ukraine")},
	{"BY", phrases("belarus")},
	{"PH", phrases("philippines")},
	{"VN", phrases("vietnam", "viet nam")},
	{"ID", phrases("indonesia")},
	{"MY", phrases("malaysia")},
	{"TH", phrases("thailand")},
	{"PK", phrases("pakistan")},
	{"BD", phrases("bangladesh")},
	{"ZA", phrases("south africa")},
	{"NG", phrases("nigeria")},
	{"EG", phrases("egypt")},
	{"KE", phrases("kenya")},
	{"MX", phrases("mexico")},
	{"CL", phrases("chile")},
	{"CO", phrases("colombia")},
	{"RS", phrases("serbia")},
	{"IR", phrases("iran")},
	{"region:asia", phrases("asia", "asian", "asia pacific", "apac")},
	{"region:africa", phrases("africa")},
	{"region:americas", phrases("south america", "latin america", "north america")},
	{"region:middle_east", phrases("middle east")},
	{"region:worldwide", phrases("anywhere in the world", "around the world", "all over the world", "any country",
		"every country", "globally", "worldwide")},
}

// transferWords show that a clause speaks of where data goes or is kept.
var transferWords = phrases("transfer*", "store*", "stored", "storing", "host*", "server*", "data cent*", "process*",
	"locat*", "send*", "sent", "move*", "moving", "access*", "kept", "keep*", "maintain*", "replicat*", "back up*", "backup*",
	"cloud", "outsourc*", "subcontract*", "team*", "staff", "offices", "affiliat*", "provider*", "vendor*", "processor*")

// safeguardWords name a transfer tool of Chapter V.
var safeguardWords = phrases("contractual clauses", "contractual terms", "contract clauses", "binding corporate rules",
	"adequacy", "adequate", "safeguard*", "data privacy framework", "code of conduct", "certification", "article 46", "art 46", "article 45", "art 45")

// outsideWords speak of data leaving the EEA without naming a country.
var outsideWords = phrases("outside the european", "outside of the european", "outside the eea", "outside of the eea",
	"outside the eu", "outside of the eu", "outside europe", "outside of europe", "third countr*", "international transfer*",
	"other countries", "internationally", "abroad")

func checkTransfers(c *privacy.Catalog, text []section) []Finding {
	var out []Finding
	seen := map[string]bool{}
	abroad := false
	for si := range text {
		s := &text[si]
		if !s.has(transferWords) {
			continue
		}
		for _, cl := range s.clauses {
			if i := firstOf(cl, outsideWords); i >= 0 && !cl.negatedAt(i) {
				abroad = true
			}
			for _, ct := range countryTerms {
				i := firstOf(cl, ct.terms)
				if i < 0 || cl.negatedAt(i) || seen[ct.code] {
					continue
				}
				seen[ct.code] = true
				abroad = true
				out = append(out, finding(TransferNotInCatalog, ct.code, "GDPR Art. 13(1)(f), 30(1)(e), 44-46", s, transferMessage(c, ct.code)))
			}
		}
	}
	for _, m := range findAll(text, phrases("privacy shield", "safe harbo*")) {
		if !m.negated {
			out = append(out, finding(TransferSafeguardNotInText, "invalid_safeguard", "GDPR Art. 45, 46; CJEU C-311/18 (Schrems II), C-362/14", m.s,
				"the text relies on the EU-US Privacy Shield or Safe Harbor, which the Court of Justice invalidated; US recipients need the Data Privacy Framework or an Art. 46 safeguard"))
			break
		}
	}
	if abroad && !slices.ContainsFunc(text, func(s section) bool { return s.has(safeguardWords) }) {
		out = append(out, finding(TransferSafeguardNotInText, "safeguard", "GDPR Art. 13(1)(f), 46", nil,
			"the text sends data outside the EEA but names no adequacy decision or safeguard (standard contractual clauses, binding corporate rules …)"))
	}
	return out
}

// transferMessage says what the catalog's transfer facts make of a
// destination the text names.
func transferMessage(c *privacy.Catalog, code string) string {
	if region, ok := strings.CutPrefix(code, "region:"); ok {
		return fmt.Sprintf("the text sends data to %s; the catalog names no such destination, and every recipient outside the EEA needs an adequacy decision or an Art. 46 safeguard the record must name",
			strings.ReplaceAll(region, "_", " "))
	}
	name := countryName(code)
	for _, a := range c.Transfers.Adequacy {
		if a.Country == code {
			cond := ""
			if a.Scope != "" {
				cond = ", for " + a.Scope
			}
			return fmt.Sprintf("the text sends data to %s, a new destination; it has an adequacy decision (%s%s), and the record of processing must name the country (Art. 30(1)(e))", name, a.Decision, cond)
		}
	}
	return fmt.Sprintf("the text sends data to %s, a new destination without an adequacy decision in the catalog: only with an Art. 46 safeguard or an Art. 49 derogation, named in the notice and the record", name)
}

// --- categories the catalog lacks ------------------------------------

// categoryLexicon lists kinds of personal data a notice may add. Each is
// covered when a catalog category's description, key or DPV IRI has one of
// its cover words.
var categoryLexicon = []struct {
	key     string
	article string
	terms   []phrase
	covers  []string
}{
	{"date_of_birth", "Art. 13, 14", phrases("date of birth", "birth date", "birthdate", "birthday", "your age"), []string{"birth", "age"}},
	{"postal_address", "Art. 13, 14", phrases("home address*", "postal address*", "street address*", "physical address*", "mailing address*",
		"residential address*", "delivery address*", "shipping address*", "billing address*"),
		[]string{"postal", "home address", "street", "delivery address", "shipping address", "billing address", "residential", "mailing address"}},
	{"government_id", "Art. 87", phrases("passport*", "identity card*", "id card*", "national id*", "national identification",
		"social security", "national insurance", "citizen service number", "bsn", "driver s licen*", "drivers licen*", "driving licen*",
		"tax identification", "tax id"), []string{"passport", "identity", "national", "social security", "licen"}},
	{"gender", "Art. 13, 14", phrases("gender", "your sex"), []string{"gender", "sex"}},
	{"nationality", "Art. 13, 14", phrases("nationality", "citizenship"), []string{"nationality", "citizenship"}},
	{"health", "Art. 9(1)", phrases("health*", "medical", "disabilit*", "illness*", "diagnos*"), []string{"health", "medical"}},
	{"biometric", "Art. 9(1)", phrases("biometric*", "fingerprint*", "facial recognition", "face recognition", "face scan*",
		"facial geometry", "voiceprint*", "voice print*", "iris scan*"), []string{"biometric", "fingerprint", "facial"}},
	{"genetic", "Art. 9(1)", phrases("genetic", "dna"), []string{"genetic"}},
	{"racial_or_ethnic_origin", "Art. 9(1)", phrases("racial", "ethnic*", "race"), []string{"racial", "ethnic"}},
	{"political_opinions", "Art. 9(1)", phrases("political*"), []string{"political"}},
	{"religious_beliefs", "Art. 9(1)", phrases("religio*", "philosophical belief*", "beliefs"), []string{"religio", "belief"}},
	{"trade_union_membership", "Art. 9(1)", phrases("trade union*", "union membership"), []string{"union"}},
	{"sex_life_or_orientation", "Art. 9(1)", phrases("sexual orientation", "sex life", "sexual life", "sexuality"), []string{"sexual"}},
	{"criminal_offences", "Art. 10", phrases("criminal record*", "criminal conviction*", "criminal histor*", "criminal background*",
		"conviction*", "police record*"), []string{"criminal", "conviction"}},
	{"precise_location", "Art. 13, 14", phrases("gps", "geolocation", "geo location", "precise location"), []string{"gps", "geolocation", "precise"}},
	{"contacts", "Art. 13, 14", phrases("address book*", "contact list*", "contacts list*", "phone contacts"), []string{"address book", "contacts"}},
	{"social_media", "Art. 13, 14", phrases("social media", "facebook", "linkedin", "twitter", "instagram"), []string{"social"}},
	{"device_identifiers", "Art. 13, 14", phrases("device id*", "device identifier*", "imei", "advertising id*", "idfa", "mac address*"), []string{"device"}},
	{"income", "Art. 13, 14", phrases("salary", "salaries", "income", "credit score*", "credit histor*", "creditworthiness", "financial situation"), []string{"salary", "income", "credit score"}},
	{"employment", "Art. 13, 14", phrases("job title*", "employer*", "employment histor*", "occupation*"), []string{"job", "employ", "occupation"}},
	{"message_content", "Art. 13, 14", phrases("chat*", "message content*", "content of your message*", "contents of your message*",
		"transcri*", "what you say", "content of your meetings", "content of meetings", "what is said"), []string{"chat", "message", "transcri"}},
	{"voice_and_video", "Art. 13, 14", phrases("voice recording*", "audio recording*", "video recording*", "camera", "microphone",
		"webcam", "your voice", "your face", "your image", "images of you"), []string{"recording", "video", "audio", "voice"}},
	{"browsing_history", "Art. 13, 14", phrases("browsing histor*", "search histor*", "websites you visit*", "sites you visit*"), []string{"browsing", "navigation", "search"}},
	{"phone_number", "Art. 13, 14", phrases("phone number*", "telephone number*", "mobile number*"), []string{"phone", "telephone"}},
}

func checkCategories(c *privacy.Catalog, text []section) []Finding {
	catalogWords := map[privacy.SubjectKind][]string{}
	var controlled []privacy.SubjectKind
	for _, sk := range c.SubjectKinds {
		if sk.Role == privacy.RoleController {
			controlled = append(controlled, sk.Kind)
		}
	}
	for _, cat := range c.Categories {
		catalogWords[cat.Subject] = append(catalogWords[cat.Subject], " "+normalize(cat.Description+" "+cat.Key+" "+strings.TrimPrefix(cat.DPV, "https://w3id.org/dpv/pd#")))
	}
	// A cover word counts at the start of a word ("age" is not in
	// "usage"), in the categories of the subjects the sentence is about:
	// the kinds it names, else those the operator controls (the reader
	// of the notice), so that the guests' phone number does not cover
	// "we collect your phone number".
	covered := func(covers []string, s *section) bool {
		kinds := kindsNamed(c, s)
		if len(kinds) == 0 {
			kinds = controlled
		}
		return slices.ContainsFunc(kinds, func(k privacy.SubjectKind) bool {
			return slices.ContainsFunc(catalogWords[k], func(w string) bool {
				return slices.ContainsFunc(covers, func(cv string) bool { return strings.Contains(w, " "+cv) })
			})
		})
	}
	var out []Finding
	for _, e := range categoryLexicon {
		for _, m := range findAll(text, e.terms) {
			if m.negated || covered(e.covers, m.s) {
				continue
			}
			special := ""
			if strings.HasPrefix(e.article, "Art. 9") {
				special = "; it is a special category of Art. 9(1), which needs an Art. 9(2) condition"
			}
			out = append(out, finding(CategoryMissingInCatalog, e.key, "GDPR "+e.article+", 13(1)(c), 30(1)(c)", m.s,
				fmt.Sprintf("the text speaks of %s (%q) but no catalog category covers it%s",
					strings.ReplaceAll(e.key, "_", " "), strings.Join(m.c.toks[m.at:min(m.at+3, len(m.c.toks))], " "), special)))
			break
		}
	}
	return out
}

// --- data processed for a controller ---------------------------------

var (
	// processorSubjects name the subjects whose data the operator
	// processes for its customers.
	processorSubjects = phrases("guest*", "invitee*", "attendee*", "participant*", "invited", "people you invite",
		"persons you invite", "client data", "customer data", "customers data", "your customers", "your clients",
		"your end users", "your users", "your visitors", "data you upload", "data you store", "content you upload")
	// ownPurposes are the operator's own purposes, which it may never
	// pursue with data it processes for a controller.
	ownPurposes = phrases("our own", "for ourselves", "market*", "advertis*", "newsletter*", "promot*", "improve our",
		"improving our", "develop*", "train", "trains", "training", "trained", "analytic*", "analys*", "analyz*", "research*",
		"profil*", "personalis*", "personaliz*", "statistic*", "benchmark*", "commercial*", "offers", "upsell*", "cross sell*",
		"product improvement", "machine learning", "artificial intelligence", "ai", "about our products", "about our services",
		"our own products", "our offers", "our newsletter*", "contact them", "offer them", "market to them", "sell them",
		"approach them", "recruit*", "prospect*", "lead generation", "sales leads")
)

func checkProcessorData(c *privacy.Catalog, text []section) []Finding {
	var kinds []string
	for _, sk := range c.SubjectKinds {
		if sk.Role == privacy.RoleProcessor {
			kinds = append(kinds, string(sk.Kind))
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	for si := range text {
		s := &text[si]
		for _, cl := range s.clauses {
			i, j := firstOf(cl, processorSubjects), firstOf(cl, ownPurposes)
			if i < 0 || j < 0 || cl.negatedAt(i) || cl.negatedAt(j) || cl.cond {
				continue
			}
			return []Finding{finding(ProcessorDataOwnPurpose, strings.Join(kinds, ","), "GDPR Art. 28(3)(a), 28(10), 29", s,
				fmt.Sprintf("the text uses data the operator processes for its customers (%s) for its own purposes; the catalog allows only the customers' instructions, and the engine denies the rest (processor.outside_instructions)", strings.Join(kinds, ", ")))}
		}
	}
	return nil
}

// --- automated decisions and children --------------------------------

var (
	automatedWords = phrases("automated decision*", "automated individual decision*", "automatic decision*", "automatically decid*",
		"decided automatically", "decides automatically", "decide automatically", "solely automated", "solely on automated",
		"algorithm* decid*", "algorithmic decision*", "automatically approv*", "automatically reject*", "automatically refus*",
		"automatically den*", "automatically block*", "automatically suspend*", "automatically terminat*", "automatically scor*",
		"automated scoring", "automated profiling", "without human intervention", "without human review", "without any human",
		"made automatically", "taken automatically", "automatically made", "fully automated", "by automated means",
		"automatically determin*", "automatically assess*", "automatically evaluat*", "algorithm* to decid*", "algorithm* that decid*",
		"algorithm* determin*", "algorithm* to determin*", "automated system* decid*", "software decid*", "ai decid*", "automated means")
	childWords = phrases("child", "children", "childrens", "minor", "minors", "kid", "kids", "teen*", "adolescent*",
		"under the age of", "under 13", "under 14", "under 15", "under 16", "under 18", "younger than", "young people",
		"pupil*", "schoolchildren", "parental consent", "parent or guardian", "parents or guardians")
	childUse = phrases("collect*", "process*", "use", "uses", "used", "using", "store*", "gather*", "obtain*", "receiv*",
		"data", "information", "profil*", "target*", "market*", "direct*", "intend*", "aim*", "design*", "offer*", "welcome*",
		"allow*", "permit*", "account*", "sign up", "register*", "suitable", "for", "from", "about")
)

// automatedVerbs show that a clause states automated decisions are made,
// rather than naming them as a topic ("Automated Decision-Making and
// Profiling" run into the text as a heading).
var automatedVerbs = phrases("make*", "made", "tak*", "took", "use*", "using", "rel*", "employ*", "appl*", "carr*",
	"perform*", "subject*", "based", "decid*", "assess*", "determin*", "evaluat*", "approv*", "reject*", "refus*",
	"den*", "block*", "suspend*", "terminat*", "scor*", "conduct*", "engag*", "implement*", "deploy*", "is", "are", "will")

func checkAutomated(c *privacy.Catalog, text []section) []Finding {
	if slices.ContainsFunc(c.Purposes, func(p privacy.Purpose) bool { return p.AutomatedDecision }) {
		return nil
	}
	for _, m := range findAll(text, automatedWords) {
		if m.negated || m.c.cond || !m.c.has(automatedVerbs) {
			continue
		}
		return []Finding{finding(AutomatedDecisionNotInCatalog, "automated_decision", "GDPR Art. 22, 13(2)(f)", m.s,
			"the text makes decisions based solely on automated processing; no catalog purpose allows them, and the engine denies them (automated_decision.not_permitted)")}
	}
	return nil
}

// excepted reports whether an exception stands before the token at i in
// its clause: "… unless such interests are overridden by the rights of
// the data subject, in particular of children" speaks of children in a
// condition, not of processing their data.
func excepted(c clause, i int) bool {
	for j := 0; j < i; j++ {
		if isException(c.toks, j) {
			return true
		}
	}
	return false
}

// childAge finds an age under 18 in a clause ("from 13 years of age",
// "aged 15 and over", "13 year olds").
func childAge(c clause) int {
	for i, t := range c.toks {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n >= 18 {
			continue
		}
		for j := max(0, i-3); j < len(c.toks) && j <= i+3; j++ {
			switch c.toks[j] {
			case "age", "aged", "old", "olds":
				return i
			}
		}
	}
	return -1
}

func checkChildren(text []section) []Finding {
	ms := findAll(text, childWords)
	for si := range text {
		for _, c := range text[si].clauses {
			if i := childAge(c); i >= 0 {
				ms = append(ms, match{s: &text[si], c: c, at: i, negated: c.negatedAt(i)})
			}
		}
	}
	for _, m := range ms {
		if m.negated || m.c.cond || !m.c.has(childUse) || excepted(m.c, m.at) {
			continue
		}
		return []Finding{finding(ChildrenDataInText, "children", "GDPR Art. 8, Recital 38, 71", m.s,
			"the text processes children's data; the catalog has no purpose for children, and a child's consent needs a guardian below the age of digital consent while profiling and marketing to children are excluded")}
	}
	return nil
}

// --- further purposes ---------------------------------------------------

var (
	furtherWords = phrases("other purpose*", "any purpose*", "further purpose*", "new purpose*", "any reason", "any other reason",
		"purposes not listed", "purposes not described", "purposes not mentioned", "unrelated purpose*", "additional purpose*",
		"purposes we consider", "purposes that we consider", "whatever purpose*")
	useVerbs   = phrases("use", "uses", "used", "using", "process*", "shar*", "disclos*", "exploit*", "analys*", "analyz*")
	askedWords = phrases("consent*", "ask", "asking", "asks", "permission", "agree*", "notify you", "inform you", "informing you",
		"tell you", "telling you", "only", "compatible")
)

// checkFurtherUse finds the text reserving the use of data for purposes it
// does not name without asking the subject (Art. 5(1)(b), 6(4), 13(3)).
func checkFurtherUse(text []section) []Finding {
	for si := range text {
		s := &text[si]
		for _, c := range s.clauses {
			if !c.has(furtherWords) || c.has(askedWords) || c.cond {
				continue
			}
			if i := firstOf(c, useVerbs); i >= 0 && !c.negatedAt(i) && !c.negatedAt(firstOf(c, furtherWords)) {
				return []Finding{finding(PurposeOpenEnded, "further_use", "GDPR Art. 5(1)(b), 6(4), 13(3)", s,
					"the text reserves the use of personal data for purposes it does not name; the catalog declares every purpose, and the engine denies the rest (purpose.undeclared)")}
			}
		}
	}
	return nil
}
