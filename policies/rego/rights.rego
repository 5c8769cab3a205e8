# The subject's rights that stop processing whatever the basis: restriction
# (Art. 18), deactivation, and objection to direct marketing (Art. 21(2)-(3),
# absolute) including by automated means such as GPC (Art. 21(5)).
package privacy.rules.rights

import data.privacy.lib

deny contains lib.reason("restriction.active", "processing of the subject's data is restricted (Art. 18): only storage and legal purposes remain") if {
	input.subject_state.restricted == true
	not lib.purpose.legal
}

deny contains lib.reason("subject.deactivated", "the subject's account is deactivated: only legal purposes remain") if {
	input.subject_state.deactivated == true
	not lib.purpose.legal
	not lib.on_legal_obligation
}

# Legal obligations survive deactivation and erasure (Art. 17(3)(b)): a
# purpose that may rest on one (billing: the tax records) goes on, on that
# basis only and only for the categories a statutory duty keeps; every
# other basis of the purpose stops.
basis_deny[b] contains lib.reason("subject.deactivated", sprintf("the account is deactivated: %q is no longer available, only processing the law requires remains", [b])) if {
	input.subject_state.deactivated == true
	not lib.purpose.legal
	lib.on_legal_obligation
	some b in lib.candidates
	b != "legal_obligation"
}

basis_deny[b] contains lib.reason("subject.deactivated", sprintf("the account is deactivated: no statutory duty keeps category %q, so the law requires nothing of it", [leaf])) if {
	input.subject_state.deactivated == true
	not lib.purpose.legal
	some b in lib.candidates
	b == "legal_obligation"
	some leaf in lib.leaves
	not data.catalog.retention[leaf].statutory_hold
}

deny contains lib.reason("objection.active", sprintf("the subject objected to %q; objection to direct marketing is absolute", [input.request.purpose])) if {
	data.catalog.purposes_where.direct_marketing[input.request.purpose]
	lib.purpose.direct_marketing
	lib.objected_to_purpose
}

deny contains lib.reason("objection.active", "the subject objected to all direct marketing") if {
	input.subject_state.direct_marketing_objection == true
	data.catalog.purposes_where.direct_marketing[input.request.purpose]
	lib.purpose.direct_marketing
}

deny contains lib.reason("objection.active", "a Global Privacy Control signal objects to direct marketing (Art. 21(5))") if {
	input.request.signals.gpc == true
	data.catalog.purposes_where.direct_marketing[input.request.purpose]
	lib.purpose.direct_marketing
}

deny contains lib.reason("objection.active", "a Global Privacy Control signal objects to the sale of personal data (Art. 21(5))") if {
	input.request.signals.gpc == true
	input.request.recipient.sale == true
}
