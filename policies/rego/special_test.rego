package privacy.rules.special_test

import data.privacy.fixtures
import data.privacy.rules.special

recording(purpose, recipient) := fixtures.with_request(object.union({"purpose": purpose, "data": ["instance.meeting.recording"]}, recipient))

partner := {"recipient": object.union(fixtures.processor, {"kind": "partner"})}

test_recordings_only_for_marked_purposes if {
	count(special.deny) == 0 with input as recording("service.delivery", {})
	count(special.deny) == 0 with input as recording("service.delivery", {"recipient": fixtures.processor})
	fixtures.codes(special.deny) == {"special_category.not_permitted"} with input as recording("service.delivery", partner)
	fixtures.codes(special.deny) == {"special_category.not_permitted"} with input as recording("service.personalisation", {})
	count(special.deny) == 0 with input as recording("legal.claims", {"recipient": object.union(fixtures.processor, {"kind": "third_party"})})
	count(special.deny) == 0 with input as fixtures.with_request({"purpose": "service.delivery", "data": ["instance.meeting.data"], "recipient": partner.recipient})
}

test_customer_attestation_lifts_the_stricter_rules if {
	count(special.deny) == 0 with input as recording("service.personalisation", {}) with data.catalog.no_special_categories as {"u-1": true}
	count(special.deny) == 0 with input as recording("service.delivery", partner) with data.catalog.no_special_categories as {"u-1": true}
	fixtures.codes(special.deny) == {"special_category.not_permitted"} with input as recording("service.delivery", partner) with data.catalog.no_special_categories as {"acme": true}
}

# Art. 22(4): an automated decision may not rest on special categories
# unless on explicit consent (Art. 9(2)(a)) or a substantial public
# interest laid down in law (9(2)(g), legal_obligation here), whatever
# Art. 22(2) would allow.
automated(data_keys) := fixtures.with_request({"purpose": "support", "data": data_keys, "automated_decision": true})

test_automated_decision_on_special_categories if {
	fixtures.codes(special.basis_deny.contract) == {"automated_decision.not_permitted"} with input as automated(["instance.meeting.recording"])
		with data.catalog.purposes_where.automated_decision.support as true
	not special.basis_deny.contract with input as automated(["instance.meeting.data"])
		with data.catalog.purposes_where.automated_decision.support as true
	not special.basis_deny.contract with input as automated(["instance.meeting.recording"])
		with data.catalog.purposes_where.automated_decision.support as true
		with data.catalog.no_special_categories as {"u-1": true}
	not special.basis_deny.legal_obligation with input as fixtures.with_request({"purpose": "legal.compliance", "data": ["instance.meeting.recording"], "automated_decision": true})
		with data.catalog.purposes_where.automated_decision["legal.compliance"] as true
}
