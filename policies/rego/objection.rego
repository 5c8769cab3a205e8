# The right to object to processing on public task or legitimate interests
# (Art. 21(1)): after an objection the processing stops, unless it is for
# the establishment, exercise or defence of legal claims (the stated
# exception), or the controller demonstrates compelling legitimate grounds
# that override the subject's interests, rights and freedoms. Compelling
# grounds are weighed against the subject's particular situation, so they
# are a finding for one subject: an assessment recorded for that subject
# and purpose (subject.Assess: who, when, why), made after the objection
# it answers. The catalog can only rule such assessments out for a purpose
# (lia.compelling_grounds false); it never lifts an objection by itself.
# Direct marketing is handled, absolutely, in privacy.rules.rights; an
# objection to a purpose on consent counts as a withdrawal of the consent
# given before it.
package privacy.rules.objection

import data.privacy.lib

basis_deny[b] contains lib.reason("objection.active", sprintf("the subject objected to %q; an objection to processing on consent is a withdrawal of the consent (Art. 7(3), 21(1))", [input.request.purpose])) if {
	count(input.subject_state.objections) > 0
	some b in lib.candidates
	b == "consent"
	lib.objected_to_purpose
	not lib.purpose.direct_marketing
	not consented_after_objection
}

# The objection withdrew the consent given before it (Art. 7(3)); a
# consent the subject gives again afterwards, by a new affirmative act, is
# a new consent (Art. 6(1)(a)) that the objection does not reach. A
# consent given at the objection's instant, or an objection whose time the
# store does not know, leaves the objection standing. Direct marketing:
# privacy.rules.rights, absolute (Art. 21(3)).
consented_after_objection if {
	input.consent.event == "given"
	objected_ns > 0
	input.consent.collected_ns > objected_ns
}

basis_deny[b] contains lib.reason("objection.active", why) if {
	count(input.subject_state.objections) > 0
	some b in lib.candidates
	b != "consent"
	data.catalog.objectionable_bases[b]
	lib.objected_to_purpose
	not lib.purpose.direct_marketing
	not overridden
}

# The objection does not stop the processing: legal claims, or an
# assessment for this subject that holds at the time judged.
overridden if lib.purpose.legal_claims

overridden if {
	not ruled_out
	lib.reached(assessment.at_ns)
	assessment.at_ns >= objected_ns
}

# The subject's assessment for the purpose, if one is on record.
assessment := object.get(input.subject_state, "assessments", {})[input.request.purpose]

# When the subject objected to the purpose; 0 when the store does not know.
objected_ns := object.get(object.get(input.subject_state, "objected_ns", {}), input.request.purpose, 0)

ruled_out if lib.purpose.lia.compelling_grounds == false

# The answer changes when an assessment dated after the time judged is
# reached (lib.changes).
changes contains assessment.at_ns

why := sprintf("the subject objected to %q, and the catalog's legitimate-interest assessment of it rules out compelling grounds: the objection stops it (Art. 21(1))", [input.request.purpose]) if {
	ruled_out
} else := sprintf("the subject objected to %q, and the assessment of compelling grounds recorded for them was made before the objection, so it cannot weigh their particular situation: assess again (Art. 21(1))", [input.request.purpose]) if {
	lib.reached(assessment.at_ns)
	assessment.at_ns < objected_ns
} else := sprintf("the subject objected to %q, and no assessment for this subject demonstrating compelling legitimate grounds that override the objection is on record (Art. 21(1))", [input.request.purpose])

# Art. 12(4), 21(1): processing goes on after an objection; the subject is
# told why and of their right to complain.
obligation contains lib.reason("objection_overridden", sprintf("the subject objected to %q; processing goes on for the establishment, exercise or defence of legal claims: tell the subject why, and of their right to complain to a supervisory authority", [input.request.purpose])) if {
	count(input.subject_state.objections) > 0
	lib.objected_to_purpose
	not lib.purpose.direct_marketing
	lib.purpose.legal_claims
}

obligation contains lib.reason("objection_overridden", sprintf("the subject objected to %q; processing goes on on the assessment of compelling grounds recorded by %q at %s: tell the subject why, and of their right to complain to a supervisory authority", [input.request.purpose, assessment.by, time.format(assessment.at_ns)])) if {
	count(input.subject_state.objections) > 0
	lib.objected_to_purpose
	not lib.purpose.direct_marketing
	not lib.purpose.legal_claims
	overridden
}
