# The conditions of each lawful basis, per candidate basis: basis_deny[b]
# holds the reasons the processing fails on basis b.
package privacy.rules.bases

import data.privacy.lib
import data.privacy.rules.retention

# Consent (Art. 6(1)(a), 7, 8).

basis_deny[b] contains lib.reason("consent.missing", sprintf("no consent of the subject for purpose %q on record", [input.request.purpose])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	input.consent.event in {"", "refused"}
}

basis_deny[b] contains lib.reason("consent.withdrawn", sprintf("the subject withdrew consent for purpose %q", [input.request.purpose])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	input.consent.event == "withdrawn"
}

basis_deny[b] contains lib.reason("consent.expired", sprintf("the consent of the subject for purpose %q has expired", [input.request.purpose])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	expired
}

expired if input.consent.event == "expired"

expired if {
	input.consent.event == "given"
	input.consent.expires_ns > 0
	lib.reached(input.consent.expires_ns)
}

# The answer changes when a consent's expiry comes (lib.changes).
changes contains input.consent.expires_ns if input.consent.expires_ns > 0

basis_deny[b] contains lib.reason("consent.stale_version", sprintf("consent for purpose %q was given under policy version %s; the purpose last changed materially in version %s: ask again", [input.request.purpose, input.consent.policy_version_text, lib.purpose.consent_version_text])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	stale_version(input.consent, lib.purpose.consent_version_key)
}

# A consent given under a policy version older than the required one (its
# key, privacy.PolicyVersion.Key) covers a notice that changed since: it
# must be asked again (Art. 7(1)).
stale_version(c, required) if {
	c.event == "given"
	c.policy_version_key < required
}

# The subjects to ask again for input.request.purpose, among the consent
# states in input.consents (each the latest of its subject; privacyctl
# consent stale, policies.Engine.StaleConsents): the decision's rule, over
# input.required_version_key when given, else the purpose's last material
# change.
stale_subjects contains c.subject_id if {
	some c in input.consents
	stale_version(c, object.get(input, "required_version_key", lib.purpose.consent_version_key))
}

# Art. 4(11), Recital 32, CJEU C-673/17 Planet49: a pre-ticked box,
# silence, inactivity or "continued use" is not consent, whatever the
# ledger holds (stores refuse such grants; a record from elsewhere may
# still carry one).
basis_deny[b] contains lib.reason("consent.not_affirmative", sprintf("the consent of the subject for purpose %q was recorded as %q, which is not consent: consent needs a statement or a clear affirmative act (Art. 4(11), Recital 32)", [input.request.purpose, input.consent.act])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	input.consent.event == "given"
	data.catalog.not_consent_acts[input.consent.act]
}

# Consent does not last for ever: the purpose's maximum age (or the
# catalog's default) from when it was given, after which it must be asked
# again (EDPB Guidelines 05/2020, para. 110).
basis_deny[b] contains lib.reason("consent.renewal_due", sprintf("the consent of the subject for purpose %q is older than %s: ask again", [input.request.purpose, max_age.period])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	input.consent.event == "given"
	max_age := lib.purpose.consent_max_age
	lib.reached(renewal_due)
}

# When a given consent reaches its maximum age.
renewal_due := retention.add_period(input.consent.collected_ns, lib.purpose.consent_max_age) if {
	input.consent.event == "given"
	input.consent.collected_ns > 0
}

# The answer changes when the consent reaches its maximum age (lib.changes).
changes contains renewal_due if input.consent.event == "given"

basis_deny[b] contains lib.reason("consent.guardian_required", sprintf("the subject is under the age of digital consent of their country (%d): a guardian must give or authorise consent (Art. 8)", [age])) if {
	data.catalog.purposes_by_basis.consent[input.request.purpose]
	some b in lib.candidates
	b == "consent"
	age := object.get(data.catalog.consent_age.countries, input.request.subject.country, data.catalog.consent_age.default)
	input.request.subject.age > 0
	input.request.subject.age < age
	not guardian_consent
}

guardian_consent if {
	input.consent.event == "given"
	input.consent.guardian
}

# Legitimate interests (Art. 6(1)(f), 5(2), 21(1)).

basis_deny[b] contains lib.reason("legitimate_interests.no_assessment", sprintf("purpose %q has no legitimate-interest assessment in the catalog", [input.request.purpose])) if {
	data.catalog.purposes_by_basis.legitimate_interests[input.request.purpose]
	some b in lib.candidates
	b == "legitimate_interests"
	not lib.purpose.lia
}

basis_deny[b] contains lib.reason("legitimate_interests.child", sprintf("the subject is a child (under 18) and the legitimate-interest assessment of %q does not cover children", [input.request.purpose])) if {
	data.catalog.purposes_by_basis.legitimate_interests[input.request.purpose]
	some b in lib.candidates
	b == "legitimate_interests"
	lib.child
	lia := lib.purpose.lia
	not lia.covers_children
}

# Art. 21(1), the objection to processing on public task or legitimate
# interests: privacy.rules.objection.

# Automated decisions (Art. 22(2)): only where the catalog allows them and
# on contract, explicit consent or a legal authorisation.
basis_deny[b] contains lib.reason("automated_decision.not_permitted", sprintf("an automated decision for purpose %q may not rest on %q (Art. 22(2))", [input.request.purpose, b])) if {
	input.request.automated_decision == true
	data.catalog.purposes_where.automated_decision[input.request.purpose]
	some b in lib.candidates
	input.request.automated_decision
	lib.purpose.automated_decision
	not data.catalog.automated_decision_bases[b]
}
