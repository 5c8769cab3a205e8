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
