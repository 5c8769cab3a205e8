# Disclosures to recipients, transfers outside the EEA, security in transit
# and automated decisions the catalog does not allow.
package privacy.rules.disclosure

import data.privacy.lib

deny contains lib.reason("disclosure.sale_prohibited", sprintf("recipient %q would buy or rent the data: the policy promises no sale or rental", [lib.recipient.id])) if {
	lib.recipient.sale
}

deny contains lib.reason("disclosure.sale_prohibited", sprintf("recipient %q is a third party and %q is direct marketing: no disclosure to third parties for marketing", [lib.recipient.id, lib.req.purpose])) if {
	lib.recipient.kind == "third_party"
	lib.purpose.direct_marketing
}

deny contains lib.reason("disclosure.processor_without_dpa", sprintf("recipient %q is a %s without a data-processing agreement (Art. 28(3))", [lib.recipient.id, lib.recipient.kind])) if {
	data.catalog.dpa_required[lib.recipient.kind]
	not lib.recipient.dpa
}

deny contains lib.reason("disclosure.recipient_not_permitted", sprintf("purpose %q does not allow disclosure to a recipient of kind %q", [lib.req.purpose, lib.recipient.kind])) if {
	lib.has_recipient
	data.catalog.recipient_kinds[lib.recipient.kind]
	lib.purpose
	not lib.purpose.recipients[lib.recipient.kind]
}

deny contains lib.reason("transfer.no_safeguard", sprintf("recipient %q in %q is outside the EEA without an adequacy decision or an Art. 46 safeguard (safeguard %q)", [lib.recipient.id, country, object.get(lib.recipient, "safeguard", "")])) if {
	lib.outside_eea
	not adequate
	not data.catalog.art46_safeguards[lib.recipient.safeguard]
	country := object.get({"": "unknown country"}, lib.recipient.country, lib.recipient.country)
}

# A country with an adequacy decision in force at the time of the
# processing, or one whose decision covers only recipients with a given
# safeguard (the US: certified under the DPF).
adequate if {
	a := data.catalog.adequacy[lib.recipient.country]
	in_force(a)
	a.requires == ""
}

adequate if {
	a := data.catalog.adequacy[lib.recipient.country]
	in_force(a)
	a.requires != ""
	lib.recipient.safeguard == a.requires
}

# A decision without an end date, or before its end (Adequacy.End in Go).
in_force(a) if not "end_ns" in object.keys(a)

in_force(a) if input.now_ns < a.end_ns

deny contains lib.reason("security.unencrypted_financial", sprintf("financial data %v would leave the system without encryption in transit", [sort(lib.financial_leaves)])) if {
	lib.has_recipient
	count(lib.financial_leaves) > 0
	not lib.req.encrypted_in_transit
}

deny contains lib.reason("automated_decision.not_permitted", sprintf("purpose %q does not allow automated decisions with legal or similar effect", [lib.req.purpose])) if {
	lib.req.automated_decision
	not lib.purpose.automated_decision
}
