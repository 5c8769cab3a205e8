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

# Where the operator is itself a processor (guest data), a business
# partner that helps deliver the service would process the data for the
# controller too: a sub-processor, engaged only under a contract (Art.
# 28(2), 28(4)). For the operator's own (user) data a partner may be a
# controller of its own and needs none.
test_partner_for_guest_data_is_a_subprocessor if {
	guest := {"subject": {"id": "g-1", "kind": "guest", "age": 0, "country": "NL", "controller": "acme"}, "purpose": "service.delivery", "data": ["guest.contact.name"], "encrypted_in_transit": true}
	fixtures.codes(disclosure.deny) == {"disclosure.processor_without_dpa"} with input as fixtures.with_request(object.union(guest, recipient({"kind": "partner", "dpa": false})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(object.union(guest, recipient({"kind": "partner", "dpa": true})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(object.union({"purpose": "service.delivery"}, recipient({"kind": "partner", "dpa": false})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(object.union(object.union(guest, {"purpose": "legal.compliance"}), recipient({"kind": "public_authority", "dpa": false})))
}

test_recipient_not_permitted if {
	fixtures.codes(disclosure.deny) == {"disclosure.recipient_not_permitted"} with input as fixtures.with_request(recipient({"kind": "partner"}))
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

# Art. 32: meeting recordings and guest data need encryption in transit as
# financial data does, with a code of their own.
test_unencrypted_in_transit_per_category if {
	rec := {"purpose": "service.delivery", "data": ["instance.meeting.recording"]}
	fixtures.codes(disclosure.deny) == {"security.unencrypted_in_transit"} with input as fixtures.with_request(object.union(rec, recipient({})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(object.union(rec, object.union(recipient({}), {"encrypted_in_transit": true})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(rec)
	guest := {"purpose": "service.delivery", "data": ["guest.contact.email"], "subject": {"id": "g", "kind": "guest", "age": 0, "country": "NL", "controller": ""}}
	fixtures.codes(disclosure.deny) == {"security.unencrypted_in_transit"} with input as fixtures.with_request(object.union(guest, recipient({})))
	count(disclosure.deny) == 0 with input as fixtures.with_request(object.union(recipient({}), {"data": ["instance.meeting.data"], "purpose": "service.delivery"}))
	# Financial data keeps its own code only.
	fixtures.codes(disclosure.deny) == {"security.unencrypted_financial"} with input as fixtures.with_request(object.union({"purpose": "billing", "data": ["instance.financial.card"]}, recipient({})))
}
