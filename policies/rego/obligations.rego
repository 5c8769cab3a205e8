# What the caller must do when it goes ahead. The engine returns
# obligations only on allowed decisions.
package privacy.rules.obligations

import data.privacy.lib

obligation contains lib.reason("encrypt_in_transit", sprintf("send %v only over an encrypted channel (TLS)", [sort(lib.encrypted_leaves)])) if {
	input.request.recipient
	lib.has_recipient
	count(lib.encrypted_leaves) > 0
}

obligation contains lib.reason("minimize", sprintf("give partner %q only the minimum personal data necessary for the requested product or transaction", [input.request.recipient.id])) if {
	input.request.recipient.kind == "partner"
}

obligation contains lib.reason("include_unsubscribe", "include a working unsubscribe link in every message") if {
	data.catalog.purposes_where.direct_marketing[input.request.purpose]
	lib.purpose.direct_marketing
}

obligation contains lib.reason("inform_profiling", "inform the subject of the profiling, its significance and its likely consequences") if {
	data.catalog.purposes_where.profiling[input.request.purpose]
	lib.purpose.profiling
}

obligation contains lib.reason("human_review", "offer human intervention, a way to express a view and to contest the decision") if input.request.automated_decision == true

obligation contains lib.reason("human_review", "offer human intervention, a way to express a view and to contest decisions based on the profile") if {
	data.catalog.purposes_where.profiling[input.request.purpose]
	lib.purpose.profiling
}

obligation contains lib.reason("log_disclosure", sprintf("log the disclosure to %s %q for the subject's right of access", [input.request.recipient.kind, input.request.recipient.id])) if {
	input.request.recipient
	lib.has_recipient
}

obligation contains lib.reason("record_transfer_safeguard", sprintf("record the transfer to %q and the adequacy decision or safeguard (%q) that covers it", [input.request.recipient.country, object.get(input.request.recipient, "safeguard", "")])) if {
	input.request.recipient
	lib.outside_eea
}

# Art. 28(3)(a): a processor that the law requires to process or disclose
# the controller's data (a subpoena for guest data) tells the controller
# before it does, unless that law forbids it on important grounds of
# public interest (recipient.inform_prohibited).
obligation contains lib.reason("inform_controller", sprintf("tell controller %q of the legally required disclosure to %q before making it", [controller, input.request.recipient.id])) if {
	data.catalog.processor_kinds[input.request.subject.kind]
	input.request.recipient
	data.catalog.purposes_by_basis.legal_obligation[input.request.purpose]
	lib.role == "processor"
	lib.has_recipient
	"legal_obligation" in lib.candidates
	not input.request.recipient.inform_prohibited
	controller := object.get({"": "(the subject's controller)"}, input.request.subject.controller, input.request.subject.controller)
}
