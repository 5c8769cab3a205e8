# Yardstick: a fixed reference privacy policy for benchmarks only.
#
# It is not the product policy. It stands for "what a plain OPA privacy
# policy costs": 12 deny rules over purpose, category, lawful basis,
# consent, transfer country and age, with the catalog as data
# (data.yardstick.catalog, yardstick.json). BenchmarkYardstick evaluates it
# with rego.PrepareForEval and reports Decide's time as a ratio to it.
# Keep it fixed: changing it changes every ratio in docs/benchmarks.md.
package yardstick

default allow := false

allow if count(deny) == 0

purpose := data.yardstick.catalog.purposes[input.purpose]

adequate contains c if some c in data.yardstick.catalog.adequate

# 1. Unknown purpose.
deny contains "purpose.unknown" if not data.yardstick.catalog.purposes[input.purpose]

# 2. A data category the catalog does not know.
deny contains sprintf("category.unknown:%s", [c]) if {
	some c in input.data
	not data.yardstick.catalog.categories[c]
}

# 3. A category the purpose may not use.
deny contains sprintf("category.not_allowed:%s", [c]) if {
	some c in input.data
	data.yardstick.catalog.categories[c]
	not c in purpose.categories
}

# 4. Special-category data without explicit consent.
deny contains sprintf("category.special:%s", [c]) if {
	some c in input.data
	data.yardstick.catalog.categories[c].special
	not input.consent.explicit
}

# 5. Consent basis without a given consent.
deny contains "consent.missing" if {
	purpose.basis == "consent"
	not input.consent.given
}

# 6. Consent withdrawn.
deny contains "consent.withdrawn" if {
	purpose.basis == "consent"
	input.consent.withdrawn
}

# 7. Consent given under an older policy version than the purpose needs.
deny contains "consent.stale" if {
	purpose.basis == "consent"
	input.consent.given
	input.consent.version < purpose.consent_version
}

# 8. Legitimate interest overridden by an objection.
deny contains "basis.objection" if {
	purpose.basis == "legitimate_interest"
	input.subject.objected
}

# 9. Direct marketing to a subject who objected, whatever the basis.
deny contains "marketing.objection" if {
	purpose.direct_marketing
	input.subject.objected_marketing
}

# 10. Transfer outside the adequate countries without safeguards.
deny contains sprintf("transfer.country:%s", [input.recipient.country]) if {
	input.recipient
	not adequate[input.recipient.country]
	not input.recipient.safeguards
}

# 11. A processor without a data processing agreement.
deny contains "recipient.no_dpa" if {
	input.recipient.kind == "processor"
	not input.recipient.dpa
}

# 12. Under the purpose's minimum age without parental consent.
deny contains "age.minor" if {
	input.subject.age < purpose.min_age
	not input.consent.parental
}

decision := {"allow": allow, "deny": deny}
