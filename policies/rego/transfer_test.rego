package privacy.rules.transfer_test

import data.privacy.fixtures
import data.privacy.rules.transfer

# A recipient with every field the engine passes.
rcpt(patch) := {"recipient": object.union({
	"id": "p", "kind": "processor", "country": "NL", "dpa": true, "safeguard": "", "sale": false,
	"certifications": [], "sector": "", "jurisdiction": "", "derogation": "", "occasional": false, "inform_prohibited": false,
}, patch)}

req(patch) := fixtures.with_request(rcpt(patch))

at(patch, rfc3339) := object.union(req(patch), {"now_ns": time.parse_rfc3339_ns(rfc3339)})

test_eea_and_safeguards if {
	count(transfer.deny) == 0 with input as req({})
	count(transfer.deny) == 0 with input as req({"country": "NO"})
	count(transfer.deny) == 0 with input as req({"country": "IN", "safeguard": "scc"})
	count(transfer.deny) == 0 with input as req({"country": "IN", "safeguard": "bcr"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": "IN"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": ""})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": "EL"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": "IN", "safeguard": "dpf"})
}

# A private individual is not an importer under Chapter V: a referral to
# a friend needs no safeguard, wherever the friend is.
test_individual_is_not_a_transfer if {
	count(transfer.deny) == 0 with input as fixtures.with_request(object.union({"purpose": "referral"}, rcpt({"kind": "individual", "country": "IN"})))
}

# US: only organisations on the Data Privacy Framework list, shown by the
# safeguard dpf or the certification dpf; not before 10 July 2023.
test_us_dpf_only if {
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": "US"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": "US", "certifications": ["iso27001"]})
	count(transfer.deny) == 0 with input as req({"country": "US", "safeguard": "dpf"})
	count(transfer.deny) == 0 with input as req({"country": "US", "certifications": ["dpf"]})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as at({"country": "US", "certifications": ["dpf"]}, "2023-07-09T23:59:59Z")
	count(transfer.deny) == 0 with input as at({"country": "US", "certifications": ["dpf"]}, "2023-07-10T00:00:00Z")
}

# Canada and Japan: commercial recipients only; a recipient that states no
# sector is not shown to be in scope, and a public authority never is.
test_sector_scopes if {
	every cc in ["CA", "JP"] {
		sector_scope(cc)
	}
}

sector_scope(cc) if {
	count(transfer.deny) == 0 with input as req({"country": cc, "sector": "commercial"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": cc})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": cc, "sector": "public"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as fixtures.with_request(object.union({"purpose": "legal.compliance"}, rcpt({"kind": "public_authority", "country": cc, "sector": "commercial"})))
	count(transfer.deny) == 0 with input as req({"country": cc, "safeguard": "scc", "sector": "public"})
}

# Korea: PIPA in both sectors, except credit information under the Credit
# Information Act and the other stated exclusions.
test_korea_exclusions if {
	count(transfer.deny) == 0 with input as req({"country": "KR"})
	count(transfer.deny) == 0 with input as req({"country": "KR", "sector": "commercial"})
	count(transfer.deny) == 0 with input as fixtures.with_request(object.union({"purpose": "security.fraud_prevention", "data": ["instance.network.ip_address"]}, rcpt({"kind": "public_authority", "country": "KR"})))
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as req({"country": "KR", "sector": "credit_information"})
	some r in transfer.deny with input as req({"country": "KR", "sector": "credit_information"})
	contains(r.message, "does not cover sector \"credit_information\"")
}

# The UK decision covers through 27 December 2031, to the day; Brazil's
# from 26 January 2026.
test_adequacy_dates_to_the_day if {
	count(transfer.deny) == 0 with input as at({"country": "GB"}, "2031-12-27T23:59:59Z")
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as at({"country": "GB"}, "2031-12-28T00:00:00Z")
	count(transfer.deny) == 0 with input as at({"country": "GB", "safeguard": "scc"}, "2031-12-28T00:00:00Z")
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as at({"country": "BR"}, "2026-01-25T23:59:59Z")
	count(transfer.deny) == 0 with input as at({"country": "BR"}, "2026-01-26T00:00:00Z")
	count(transfer.deny) == 0 with input as at({"country": "JP", "sector": "commercial"}, "2032-01-01T00:00:00Z")
}

service := {"purpose": "service.delivery", "data": ["instance.meeting.data"]}

partner_in(cc, patch) := fixtures.with_request(object.union(service, rcpt(object.union({"kind": "partner", "country": cc}, patch))))

# Art. 49(1)(b): an occasional transfer necessary for the contract with the
# subject; never a systematic one.
test_contract_derogation if {
	count(transfer.deny) == 0 with input as partner_in("IN", {"derogation": "contract", "occasional": true})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as partner_in("IN", {"derogation": "contract"})
	# A purpose that is not performed for a contract with the subject.
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as fixtures.with_request(object.union({"purpose": "security.fraud_prevention", "data": ["instance.network.ip_address"]}, rcpt({"country": "IN", "derogation": "contract", "occasional": true})))
	# Guests have no contract with the operator.
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as fixtures.with_request(object.union({"purpose": "service.delivery", "data": ["guest.contact.email"], "subject": {"id": "g", "kind": "guest", "age": 0, "country": "NL", "controller": ""}}, rcpt({"country": "IN", "derogation": "contract", "occasional": true})))
	# Not needed where adequacy covers the transfer: ignored.
	count(transfer.deny) == 0 with input as partner_in("CH", {"derogation": "contract"})
}

claims := {"purpose": "legal.claims", "data": ["instance.contact.email"]}

test_legal_claims_derogation if {
	count(transfer.deny) == 0 with input as fixtures.with_request(object.union(claims, rcpt({"kind": "third_party", "country": "IN", "derogation": "legal_claims", "occasional": true})))
	count(transfer.deny) == 0 with input as fixtures.with_request(object.union(claims, rcpt({"kind": "public_authority", "country": "US", "derogation": "legal_claims", "occasional": true})))
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as fixtures.with_request(object.union(claims, rcpt({"kind": "third_party", "country": "IN", "derogation": "legal_claims"})))
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as partner_in("IN", {"derogation": "legal_claims", "occasional": true})
}

with_transfer_consent(doc, c) := object.union(doc, {"transfer_consent": c})

# Art. 49(1)(a): the subject's explicit consent to this transfer, on record,
# given by an affirmative act; never for a disclosure to an authority.
test_explicit_consent_derogation if {
	doc := partner_in("IN", {"derogation": "explicit_consent", "occasional": true})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as doc
	count(transfer.deny) == 0 with input as with_transfer_consent(doc, {"event": "given", "expires_ns": 0, "act": "button"})
	count(transfer.deny) == 0 with input as with_transfer_consent(doc, {"event": "given", "expires_ns": fixtures.base.now_ns + 1, "act": ""})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as with_transfer_consent(doc, {"event": "given", "expires_ns": fixtures.base.now_ns, "act": "button"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as with_transfer_consent(doc, {"event": "withdrawn", "expires_ns": 0, "act": "button"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as with_transfer_consent(doc, {"event": "given", "expires_ns": 0, "act": "preticked_box"})
	authority := fixtures.with_request(object.union(claims, rcpt({"kind": "public_authority", "country": "IN", "derogation": "explicit_consent", "occasional": true})))
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as with_transfer_consent(authority, {"event": "given", "expires_ns": 0, "act": "button"})
}

# The consent to a transfer is a consent like any other: a child under
# the age of digital consent of their country gives it only with a
# guardian (Art. 8(1)), and it must be asked again at the purpose's
# maximum age of consent (EDPB Guidelines 05/2020), which the decision's
# validity window names.
test_explicit_consent_of_a_child_and_its_age if {
	doc := partner_in("IN", {"derogation": "explicit_consent", "occasional": true})
	child := object.union(doc, {"request": object.union(doc.request, {"subject": object.union(doc.request.subject, {"age": 15})})})
	given := {"event": "given", "expires_ns": 0, "act": "button", "guardian": false, "collected_ns": fixtures.base.now_ns - 1000}
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as with_transfer_consent(child, given)
	count(transfer.deny) == 0 with input as with_transfer_consent(child, object.union(given, {"guardian": true}))
	count(transfer.deny) == 0 with input as with_transfer_consent(doc, given)

	# P24M, the catalog's default for a purpose without a maximum age of its own.
	due := time.add_date(fixtures.base.now_ns, 0, 24, 0)
	old := object.union(given, {"collected_ns": time.add_date(fixtures.base.now_ns, 0, -24, 0)})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as with_transfer_consent(doc, old)
	count(transfer.deny) == 0 with input as with_transfer_consent(doc, object.union(old, {"collected_ns": old.collected_ns + 1}))
	count(transfer.deny) == 0 with input as with_transfer_consent(doc, object.union(given, {"collected_ns": fixtures.base.now_ns}))
	due in transfer.changes with input as with_transfer_consent(doc, object.union(given, {"collected_ns": fixtures.base.now_ns}))
}

compliance(patch) := fixtures.with_request(object.union({"purpose": "legal.compliance", "data": ["instance.contact.email"]}, rcpt(object.union({"kind": "public_authority"}, patch))))

# Art. 48: a third-country authority's order is no legal obligation unless
# an international agreement (or an Art. 49 derogation) covers it; an
# adequacy decision for its country does not change that.
test_foreign_authority if {
	fixtures.codes(transfer.basis_deny.legal_obligation) == {"disclosure.foreign_authority"} with input as compliance({"country": "US"})
	fixtures.codes(transfer.basis_deny.legal_obligation) == {"disclosure.foreign_authority"} with input as compliance({"country": "CH"})
	fixtures.codes(transfer.basis_deny.legal_obligation) == {"disclosure.foreign_authority"} with input as compliance({"country": "NL", "jurisdiction": "US"})
	not transfer.basis_deny.legal_obligation with input as compliance({"country": "DE"})
	not transfer.basis_deny.legal_obligation with input as compliance({"country": "US", "derogation": "international_agreement"})
	not transfer.basis_deny.legal_obligation with input as compliance({"country": "US", "derogation": "public_interest", "occasional": true})
	fixtures.codes(transfer.basis_deny.legal_obligation) == {"disclosure.foreign_authority"} with input as compliance({"country": "US", "derogation": "public_interest"})
	fixtures.codes(transfer.basis_deny.legal_obligation) == {"disclosure.foreign_authority"} with input as compliance({"country": "US", "derogation": "contract", "occasional": true})
	# The agreement also covers the transfer itself.
	count(transfer.deny) == 0 with input as compliance({"country": "US", "derogation": "international_agreement"})
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard"} with input as compliance({"country": "US"})
	# An international agreement covers only orders of authorities.
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as partner_in("IN", {"derogation": "international_agreement"})
}

# Art. 48: an international agreement makes a third-country order that
# requires the disclosure recognisable; it is no ground for a disclosure
# the operator makes of its own accord, on legitimate interests (a fraud
# report, its own legal claims: Art. 49(1)(e) serves those).
test_international_agreement_covers_only_an_order if {
	fraud := {"purpose": "security.fraud_prevention", "data": ["instance.network.ip_address"]}
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as fixtures.with_request(object.union(fraud, rcpt({"kind": "public_authority", "country": "US", "derogation": "international_agreement"})))
	fixtures.codes(transfer.deny) == {"transfer.no_safeguard", "transfer.derogation_not_applicable"} with input as fixtures.with_request(object.union(claims, rcpt({"kind": "public_authority", "country": "US", "derogation": "international_agreement"})))
	count(transfer.deny) == 0 with input as compliance({"country": "US", "derogation": "international_agreement"})
}

test_adequacy_span_is_a_change if {
	transfer.changes == {time.parse_rfc3339_ns("2031-12-28T00:00:00Z")} with input as req({"country": "GB"})
	transfer.changes == {time.parse_rfc3339_ns("2026-01-26T00:00:00Z")} with input as req({"country": "BR"})
	count(transfer.changes) == 0 with input as req({"country": "CH"})
}
