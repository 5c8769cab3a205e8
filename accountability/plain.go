package accountability

import (
	"fmt"
	"strings"
	"time"

	"github.com/privacykit/privacy"
)

// This file turns the catalog's machine values (ISO 8601 periods, trigger
// and action names, category keys, country codes) into the plain words a
// notice uses (Art. 12(1): "concise, transparent, intelligible … clear and
// plain language"). The record of processing keeps the precise values; the
// notice never shows them.

// plainPeriod says a period in words: "7 years", "90 days", "1 year and 6
// months".
func plainPeriod(p privacy.Period) string {
	var parts []string
	for _, u := range []struct {
		n          int
		one, other string
	}{{p.Years, "year", "years"}, {p.Months, "month", "months"}, {p.Weeks, "week", "weeks"}, {p.Days, "day", "days"}, {p.Hours, "hour", "hours"}} {
		switch {
		case u.n == 1:
			parts = append(parts, "1 "+u.one)
		case u.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", u.n, u.other))
		}
	}
	switch len(parts) {
	case 0:
		return "no time"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// triggerWords says when a retention clock starts, completing "… after".
// A trigger a catalog invents is said by its words ("contract_ended" →
// "contract ended").
var triggerWords = map[privacy.Trigger]string{
	privacy.TriggerCollected:        "it was collected",
	privacy.TriggerAccountClosed:    "the account is closed",
	privacy.TriggerLastActivity:     "the last activity (a login, a meeting joined, a message answered)",
	privacy.TriggerMeetingEnded:     "the meeting ended",
	privacy.TriggerConsentWithdrawn: "consent is withdrawn",
}

func plainTrigger(t privacy.Trigger) string {
	if w, ok := triggerWords[t]; ok {
		return w
	}
	return strings.ReplaceAll(string(t), "_", " ")
}

// plainAction says what happens when retention ends.
func plainAction(a privacy.RetentionAction) string {
	switch a {
	case privacy.ActionDelete:
		return "deleted"
	case privacy.ActionAnonymise:
		return "anonymised, so that it no longer identifies anyone"
	}
	return strings.ReplaceAll(string(a), "_", " ")
}

// plainRetention states a retention rule in a sentence without engine
// values: "kept for 90 days after the account is closed, then deleted; the
// law (AWR art. 52(4)) requires us to keep it for at least 7 years from the
// end of the book year in which it was collected (our book year ends on 31
// December)".
func plainRetention(r *privacy.RetentionRule) string {
	s := fmt.Sprintf("kept for %s after %s", plainPeriod(r.Period), plainTrigger(r.Trigger))
	for _, a := range r.Also {
		s += fmt.Sprintf(" or %s after %s", plainPeriod(a.Period), plainTrigger(a.Trigger))
	}
	if len(r.Also) > 0 {
		s += ", whichever comes first"
	}
	s += ", then " + plainAction(r.Action)
	if h := r.StatutoryHold; h != nil {
		from := "after " + plainTrigger(h.Trigger)
		if h.BookYearEnd != "" {
			// AWR art. 52(4): the duty counts from the end of the book
			// year the record belongs to, not from the record's date.
			from = fmt.Sprintf("from the end of the book year in which %s (our book year ends on %s)", plainTrigger(h.Trigger), plainMonthDay(h.BookYearEnd))
		}
		s += fmt.Sprintf("; the law (%s) requires us to keep it for at least %s %s", h.Law, plainPeriod(h.Period), from)
	}
	if r.Min != nil && r.Max != nil {
		s += fmt.Sprintf("; the organisation that controls the data may choose a period between %s and %s", plainPeriod(*r.Min), plainPeriod(*r.Max))
	}
	return s
}

// categoryName names a leaf or parent category for a reader: the
// descriptions of its leaves (the part before a colon), or its key's last
// part in words when no leaf has a description.
func categoryName(c *privacy.Catalog, key string) string {
	var names []string
	for _, leaf := range c.Leaves(key) {
		if cat := c.Category(leaf); cat != nil && cat.Description != "" {
			short, _, _ := strings.Cut(cat.Description, ":")
			names = append(names, strings.TrimSpace(short))
		}
	}
	if len(names) == 0 {
		return keyWords(key)
	}
	return listWords(names)
}

// retentionName names the data a retention rule governs: the leaves of
// its category that no more specific rule takes over, prefixed with the
// subject kind when the operator only processes that kind's data for
// another controller ("email address and name of guests").
func retentionName(c *privacy.Catalog, r *privacy.RetentionRule) string {
	var names []string
	var kind privacy.SubjectKind
	for _, leaf := range c.Leaves(r.Category) {
		cat := c.Category(leaf)
		if cat == nil || c.RetentionRule(leaf) != r {
			continue
		}
		kind = cat.Subject
		short, _, _ := strings.Cut(describe(*cat), ":")
		names = append(names, strings.TrimSpace(short))
	}
	if len(names) == 0 {
		return categoryName(c, r.Category)
	}
	s := listWords(names)
	if spec := c.SubjectKind(kind); spec != nil && spec.Role == privacy.RoleProcessor {
		s += " of " + string(kind) + "s"
	}
	return s
}

// keyWords turns the last part of a dotted key into words
// ("instance.network.ip_address" → "ip address").
func keyWords(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return strings.ReplaceAll(key, "_", " ")
}

// listWords joins "a", "b" and "c" as "a, b and c".
func listWords(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// countryNames are the English short names of the countries a catalog's
// transfer facts name (ISO 3166-1 alpha-2), so that a notice says
// "Switzerland", not "CH". A code not listed is shown as it is.
var countryNames = map[string]string{
	"AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CY": "Cyprus", "CZ": "Czechia", "DE": "Germany",
	"DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland", "FR": "France", "GR": "Greece",
	"HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LT": "Lithuania", "LU": "Luxembourg",
	"LV": "Latvia", "MT": "Malta", "NL": "the Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
	"SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia", "IS": "Iceland", "LI": "Liechtenstein", "NO": "Norway",
	"AD": "Andorra", "AR": "Argentina", "BR": "Brazil", "CA": "Canada", "CH": "Switzerland", "FO": "the Faroe Islands",
	"GB": "the United Kingdom", "GG": "Guernsey", "IL": "Israel", "IM": "the Isle of Man", "JE": "Jersey",
	"JP": "Japan", "KR": "the Republic of Korea", "NZ": "New Zealand", "UY": "Uruguay", "US": "the United States",
	"AU": "Australia", "CN": "China", "HK": "Hong Kong", "IN": "India", "RU": "Russia", "SG": "Singapore",
	"TR": "Türkiye", "AE": "the United Arab Emirates", "ZA": "South Africa", "MX": "Mexico", "UA": "Ukraine",
	"PH": "the Philippines", "VN": "Vietnam", "ID": "Indonesia", "MY": "Malaysia", "TW": "Taiwan", "SA": "Saudi Arabia",
	"EG": "Egypt", "NG": "Nigeria", "PK": "Pakistan", "BD": "Bangladesh", "TH": "Thailand", "CL": "Chile", "CO": "Colombia",
}

// countryName names a country for a reader; a code it does not know is
// returned as it is.
func countryName(code string) string {
	if n, ok := countryNames[strings.ToUpper(code)]; ok {
		return n
	}
	return code
}

// adequacyName names an adequacy decision's country or organisation for a
// reader, with its scope and end date.
func adequacyName(a privacy.Adequacy) string {
	label := a.Name
	if a.Country != "" {
		label = countryName(a.Country)
	}
	if a.Scope != "" {
		label += " (" + a.Scope + ")"
	}
	if a.Until != "" {
		label += " (until " + plainDate(a.Until) + ")"
	}
	return label
}

// plainDate writes "2031-12" as "December 2031" and "2031-12-27" as "27
// December 2031"; anything else is returned as it is.
// plainMonthDay says a day of the year given as "MM-DD": "31 December".
func plainMonthDay(s string) string {
	if t, err := time.Parse("01-02", s); err == nil {
		return t.Format("2 January")
	}
	return s
}

func plainDate(s string) string {
	if t, err := time.Parse("2006-01", s); err == nil {
		return t.Format("January 2006")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format("2 January 2006")
	}
	return s
}
