package privacy.rules.disclosure_test

import data.privacy.fixtures
import data.privacy.rules.disclosure

recipient(patch) := {"recipient": object.union(fixtures.processor, patch)}

test_processor_in_eea_passes if {
	count(disclosure.deny) == 0 with input as fixtures.with_request(recipient({}))
}

test_sale_and_third_party_marketing if {
	fixtures.codes(disclosure.deny) == {"disclosure.sale_prohibited"} with input as fixtures.with_request(recipient({"sale": true}))
	fixtures.codes(disclosure.deny) == {"disclosure.sale_prohibited", "disclosure.recipient_not_permitted"} with input as fixtures.with_request(object.union({"purpose": "marketing.announcements"}, recipient({"kind": "third_party"})))
}

test_dpa_required_for_processors_and_affiliates if {
	fixtures.codes(disclosure.deny) == {"disclosure.processor_without_dpa"} with input as fixtures.with_request(recipient({"dpa": false}))
	fixtures.codes(disclosure.deny) == {"disclosure.processor_without_dpa"} with input as fixtures.with_request(object.union({"purpose": "service.delivery"}, recipient({"kind": "affiliate", "dpa": false})))
}

test_recipient_not_permitted if {
	fixtures.codes(disclosure.deny) == {"disclosure.recipient_not_permitted"} with input as fixtures.with_request(recipient({"kind": "partner"}))
}

test_transfers if {
	fixtures.codes(disclosure.deny) == {"transfer.no_safeguard"} with input as fixtures.with_request(recipient({"country": "IN"}))
	fixtures.codes(disclosure.deny) == {"transfer.no_safeguard"} with input as fixtures.with_request(recipient({"country": "US"}))
	fixtures.codes(disclosure.deny) == {"transfer.no_safeguard"} with input as fixtures.with_request(recipient({"country": ""}))
	fixtures.codes(disclosure.deny) == {"transfer.no_safeguard"} with input as fixtures.with_request(recipient({"country": "EL"}))
	count(disclosure.deny) == 0 with input as fixtures.with_request(recipient({"country": "US", "safeguard": "dpf"}))
	count(disclosure.deny) == 0 with input as fixtures.with_request(recipient({"country": "IN", "safeguard": "scc"}))
	count(disclosure.deny) == 0 with input as fixtures.with_request(recipient({"country": "GB"}))
	count(disclosure.deny) == 0 with input as fixtures.with_request(recipient({"country": "NO"}))
	fixtures.codes(disclosure.deny) == {"transfer.no_safeguard"} with input as fixtures.with_request(recipient({"country": "IN", "safeguard": "dpf"}))
}

# A private individual is not an importer under Chapter V: a referral to
# a friend needs no safeguard, wherever the friend is.
test_individual_is_not_a_transfer if {
	referral := {"purpose": "referral", "data": ["instance.contact.email"], "recipient": {"id": "friend", "kind": "individual", "country": "", "dpa": false, "safeguard": "", "sale": false}}
	not "transfer.no_safeguard" in fixtures.codes(disclosure.deny) with input as fixtures.with_request(referral)
	not "transfer.no_safeguard" in fixtures.codes(disclosure.deny) with input as fixtures.with_request(object.union(referral, {"recipient": {"country": "IN"}}))
}

# The adequacy decision for GB runs until December 2031 (catalog: until
# "2031-12"): from 2032 a transfer there needs an Art. 46 safeguard.
test_adequacy_ends if {
	dec_2031 := time.parse_rfc3339_ns("2031-12-31T23:59:59Z")
	jan_2032 := time.parse_rfc3339_ns("2032-01-01T00:00:00Z")
	count(disclosure.deny) == 0 with input as object.union(fixtures.with_request(recipient({"country": "GB"})), {"now_ns": dec_2031})
	fixtures.codes(disclosure.deny) == {"transfer.no_safeguard"} with input as object.union(fixtures.with_request(recipient({"country": "GB"})), {"now_ns": jan_2032})
	count(disclosure.deny) == 0 with input as object.union(fixtures.with_request(recipient({"country": "GB", "safeguard": "scc"})), {"now_ns": jan_2032})
	count(disclosure.deny) == 0 with input as object.union(fixtures.with_request(recipient({"country": "JP"})), {"now_ns": jan_2032})
}

test_unencrypted_financial if {
	billing := {"purpose": "billing", "data": ["instance.financial.card"]}
	fixtures.codes(disclosure.deny) == {"security.unencrypted_financial"} with input as fixtures.with_request(object.union(billing, recipient({})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(object.union(billing, object.union(recipient({}), {"encrypted_in_transit": true})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(billing)
}

test_automated_decision_not_in_catalog if {
	fixtures.codes(disclosure.deny) == {"automated_decision.not_permitted"} with input as fixtures.with_request({"automated_decision": true})
}
