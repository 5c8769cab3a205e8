# Facts every rule package shares, derived from the input and the catalog.
# Nothing here decides: the rule packages under privacy.rules do.
package privacy.lib

# req is the request, for extension modules. The base rules read its
# fields as input.request.<field> instead: a rule that reads the whole
# request makes every field of it unknown to a partial evaluation that
# leaves only the subject's age and country unknown (Engine.Plan).
req := input.request

kind := input.request.subject.kind

# The purpose's catalog entry; undefined for an undeclared purpose.
purpose := data.catalog.purposes[input.request.purpose]

# The operator's role for the subject's kind: controller or processor.
role := data.catalog.subject_kinds[kind]

has_recipient if input.request.recipient

recipient := input.request.recipient

# Every leaf category the request names, parents expanded.
leaves contains leaf if {
	some key in input.request.data
	some leaf in data.catalog.leaves[key]
}

# Leaves that must be encrypted whenever they leave the system: financial
# data, and every category whose minimum protection in transit is
# "encrypted" (Art. 32(1)(a)).
encrypted_leaves contains leaf if {
	some leaf in leaves
	data.catalog.categories[leaf].transit == "encrypted"
}

encrypted_leaves contains leaf if some leaf in financial_leaves

financial_leaves contains leaf if {
	some leaf in leaves
	data.catalog.categories[leaf].financial
}

declared_bases := purpose.bases[kind]

# The bases to try, in order: the one the request names, if declared, or
# every declared basis.
candidates := [input.request.basis] if {
	input.request.basis != ""
	input.request.basis in declared_bases
}

candidates := declared_bases if input.request.basis == ""

# on_legal_obligation: legal_obligation is among the bases to try. Rules
# negate it, never `"legal_obligation" in candidates` itself: OPA
# evaluates the operands of a negated call before the negation, so with
# no candidates (a basis the purpose does not declare, an undeclared
# purpose) that negation is undefined, not true, and the rule silently
# drops its reason.
on_legal_obligation if "legal_obligation" in candidates

# A transfer in the sense of Chapter V: data made available to a
# controller or processor outside the EEA (EDPB Guidelines 05/2021). A
# private individual the subject asked us to inform (a referral) is
# neither, wherever they are.
outside_eea if {
	has_recipient
	recipient.kind != "individual"
	not data.catalog.eea[recipient.country]
}

objected_to_purpose if input.request.purpose in input.subject_state.objections

child if {
	input.request.subject.age > 0
	input.request.subject.age < data.catalog.age_of_majority
}

reason(code, message) := {"code": code, "message": message}

# Time. input.now_ns is the moment judged. A rule compares it with a time
# only through reached, and a package whose rules do declares the times it
# compares in a set `changes`: the answer may differ before and after each.
# The decision reports the nearest of them around now (valid_from,
# valid_until), and the engine's cache keeps an answer only between them,
# so a rule on a new time-dependent fact stays right in the cache without
# any change to it.
reached(t) if input.now_ns >= t
