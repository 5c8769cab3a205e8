# Disclosures to recipients, security in transit and automated decisions
# the catalog does not allow. Transfers outside the EEA: privacy.rules.transfer.
package privacy.rules.disclosure

import data.privacy.lib

deny contains lib.reason("disclosure.sale_prohibited", sprintf("recipient %q would buy or rent the data: the policy promises no sale or rental", [input.request.recipient.id])) if {
	input.request.recipient.sale == true
}

deny contains lib.reason("disclosure.sale_prohibited", sprintf("recipient %q is a third party and %q is direct marketing: no disclosure to third parties for marketing", [input.request.recipient.id, input.request.purpose])) if {
	input.request.recipient.kind == "third_party"
	data.catalog.purposes_where.direct_marketing[input.request.purpose]
	lib.purpose.direct_marketing
}

deny contains lib.reason("disclosure.processor_without_dpa", sprintf("recipient %q is a %s without a data-processing agreement (Art. 28(3))", [input.request.recipient.id, input.request.recipient.kind])) if {
	data.catalog.dpa_required[input.request.recipient.kind]
	not input.request.recipient.dpa
}

# Where the operator is itself a processor (guest data), a business
# partner that helps deliver the service would process the controller's
# data on its behalf: a sub-processor, engaged only under a contract that
# imposes the same obligations (Art. 28(2), 28(4)). A partner of the
# operator's own data may be a controller of its own.
deny contains lib.reason("disclosure.processor_without_dpa", sprintf("recipient %q is a %s that would process %s data the operator holds as a processor: a sub-processor needs a data-processing agreement (Art. 28(2), 28(4))", [input.request.recipient.id, input.request.recipient.kind, input.request.subject.kind])) if {
	data.catalog.subprocessor_kinds[input.request.recipient.kind]
	data.catalog.processor_kinds[input.request.subject.kind]
	not input.request.recipient.dpa
}

deny contains lib.reason("disclosure.recipient_not_permitted", sprintf("purpose %q does not allow disclosure to a recipient of kind %q", [input.request.purpose, input.request.recipient.kind])) if {
	input.request.recipient
	lib.has_recipient
	data.catalog.recipient_kinds[input.request.recipient.kind]
	lib.purpose
	not lib.purpose.recipients[input.request.recipient.kind]
}

deny contains lib.reason("security.unencrypted_in_transit", sprintf("%v would leave the system without encryption in transit, below the minimum protection the catalog sets for them", [sort(lib.encrypted_leaves - lib.financial_leaves)])) if {
	input.request.recipient
	lib.has_recipient
	count(lib.encrypted_leaves - lib.financial_leaves) > 0
	not input.request.encrypted_in_transit
}

deny contains lib.reason("security.unencrypted_financial", sprintf("financial data %v would leave the system without encryption in transit", [sort(lib.financial_leaves)])) if {
	input.request.recipient
	lib.has_recipient
	count(lib.financial_leaves) > 0
	not input.request.encrypted_in_transit
}

deny contains lib.reason("automated_decision.not_permitted", sprintf("purpose %q does not allow automated decisions with legal or similar effect", [input.request.purpose])) if {
	input.request.automated_decision == true
	not lib.purpose.automated_decision
}
