# The subject's rights that stop processing whatever the basis: restriction
# (Art. 18), deactivation, and objection to direct marketing (Art. 21(2)-(3),
# absolute) including by automated means such as GPC (Art. 21(5)).
package privacy.rules.rights

import data.privacy.lib

deny contains lib.reason("restriction.active", "processing of the subject's data is restricted (Art. 18): only storage and legal purposes remain") if {
	input.subject_state.restricted
	not lib.purpose.legal
}

deny contains lib.reason("subject.deactivated", "the subject's account is deactivated: only legal purposes remain") if {
	input.subject_state.deactivated
	not lib.purpose.legal
}

deny contains lib.reason("objection.active", sprintf("the subject objected to %q; objection to direct marketing is absolute", [lib.req.purpose])) if {
	lib.purpose.direct_marketing
	lib.objected_to_purpose
}

deny contains lib.reason("objection.active", "the subject objected to all direct marketing") if {
	lib.purpose.direct_marketing
	input.subject_state.direct_marketing_objection
}

deny contains lib.reason("objection.active", "a Global Privacy Control signal objects to direct marketing (Art. 21(5))") if {
	lib.purpose.direct_marketing
	lib.req.signals.gpc
}

deny contains lib.reason("objection.active", "a Global Privacy Control signal objects to the sale of personal data (Art. 21(5))") if {
	lib.req.signals.gpc
	lib.recipient.sale
}
