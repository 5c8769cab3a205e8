package privacy.rules.objection_test

import data.privacy.fixtures
import data.privacy.rules.objection

fraud := {"purpose": "security.fraud_prevention", "data": ["instance.network.ip_address"]}

objected := {"objections": ["security.fraud_prevention"], "objected_ns": {"security.fraud_prevention": fixtures.base.now_ns - 1000}}

assessed(at) := object.union(objected, {"assessments": {"security.fraud_prevention": {"by": "dpo", "at_ns": at}}})

# No blanket setting: fraud prevention's catalog assessment allows
# compelling grounds, yet an objection stops it until an assessment for
# the subject is on record.
test_objection_stops_without_an_assessment_for_the_subject if {
	fixtures.codes(objection.basis_deny.legitimate_interests) == {"objection.active"} with input as fixtures.with_state(fraud, objected)
	count(objection.obligation) == 0 with input as fixtures.with_state(fraud, objected)
	fixtures.codes(objection.basis_deny.legitimate_interests) == {"objection.active"} with input as fixtures.with_state({"purpose": "service.personalisation"}, {"objections": ["service.personalisation"]})
}

test_assessment_for_the_subject_overrides if {
	inp := fixtures.with_state(fraud, assessed(fixtures.base.now_ns - 10))
	not objection.basis_deny.legitimate_interests with input as inp
	{o.code | some o in objection.obligation} == {"objection_overridden"} with input as inp
}

# An assessment made before the objection cannot weigh it.
test_assessment_before_the_objection_does_not_count if {
	inp := fixtures.with_state(fraud, assessed(fixtures.base.now_ns - 2000))
	fixtures.codes(objection.basis_deny.legitimate_interests) == {"objection.active"} with input as inp
	some r in objection.basis_deny.legitimate_interests with input as inp
	contains(r.message, "before the objection")
}

# An assessment dated after the time judged does not lift the objection
# before it, and the decision says when it changes.
test_assessment_counts_from_its_time if {
	at := fixtures.base.now_ns + 5000
	inp := fixtures.with_state(fraud, assessed(at))
	fixtures.codes(objection.basis_deny.legitimate_interests) == {"objection.active"} with input as inp
	objection.changes == {at} with input as inp
}

# An assessment for another purpose is not one for this purpose.
test_assessment_is_per_purpose if {
	state := object.union(objected, {"assessments": {"legal.claims": {"by": "dpo", "at_ns": fixtures.base.now_ns - 10}}})
	fixtures.codes(objection.basis_deny.legitimate_interests) == {"objection.active"} with input as fixtures.with_state(fraud, state)
}

# A catalog whose assessment rules compelling grounds out for the purpose:
# an objection always stops it.
test_catalog_may_rule_assessments_out if {
	personalise := {"purpose": "service.personalisation"}
	state := {"objections": ["service.personalisation"], "assessments": {"service.personalisation": {"by": "dpo", "at_ns": fixtures.base.now_ns - 10}}}
	fixtures.codes(objection.basis_deny.legitimate_interests) == {"objection.active"} with input as fixtures.with_state(personalise, state)
}

# Legal claims stay the stated exception of Art. 21(1).
test_legal_claims_exception if {
	claims := {"purpose": "legal.claims", "data": ["instance.contact.email"]}
	inp := fixtures.with_state(claims, {"objections": ["legal.claims"]})
	not objection.basis_deny.legitimate_interests with input as inp
	{o.code | some o in objection.obligation} == {"objection_overridden"} with input as inp
}

# Contract is not objectionable; an objection to a consent purpose is a
# withdrawal, whatever assessment there is.
test_other_bases if {
	not objection.basis_deny.contract with input as fixtures.with_state({}, {"objections": ["support"]})
	surveys := {"purpose": "research.surveys"}
	state := {"objections": ["research.surveys"], "assessments": {"research.surveys": {"by": "dpo", "at_ns": 1}}}
	fixtures.codes(objection.basis_deny.consent) == {"objection.active"} with input as fixtures.with_state(surveys, state)
}

# An objection to a purpose on consent withdraws the consent given before
# it; a consent the subject gives again afterwards is a new one, which the
# objection does not reach. A consent given at the objection's instant, or
# an objection of unknown time, leaves the objection standing.
objected_at := fixtures.base.now_ns - 1000

given(at) := {"event": "given", "collected_ns": at}

surveys_with(c, state) := object.union(fixtures.with_state({"purpose": "research.surveys"}, state), {"consent": object.union(fixtures.base.consent, c)})

test_consent_given_after_the_objection_counts if {
	state := {"objections": ["research.surveys"], "objected_ns": {"research.surveys": objected_at}}
	not objection.basis_deny.consent with input as surveys_with(given(objected_at + 1), state)
	fixtures.codes(objection.basis_deny.consent) == {"objection.active"} with input as surveys_with(given(objected_at), state)
	fixtures.codes(objection.basis_deny.consent) == {"objection.active"} with input as surveys_with(given(objected_at - 1), state)
	fixtures.codes(objection.basis_deny.consent) == {"objection.active"} with input as surveys_with({"event": "withdrawn", "collected_ns": objected_at + 1}, state)
	fixtures.codes(objection.basis_deny.consent) == {"objection.active"} with input as surveys_with(given(objected_at + 1), {"objections": ["research.surveys"]})
}
