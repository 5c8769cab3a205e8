package privacy.rules.obligations_test

import data.privacy.fixtures
import data.privacy.rules.obligations

test_internal_use_has_no_obligation if {
	count(obligations.obligation) == 0 with input as fixtures.base
}

test_disclosure_obligations if {
	fixtures.codes(obligations.obligation) == {"log_disclosure"} with input as fixtures.with_request({"recipient": fixtures.processor})
	fixtures.codes(obligations.obligation) == {"log_disclosure", "record_transfer_safeguard"} with input as fixtures.with_request({"recipient": object.union(fixtures.processor, {"country": "US", "safeguard": "dpf"})})
	fixtures.codes(obligations.obligation) == {"log_disclosure", "minimize"} with input as fixtures.with_request({"recipient": object.union(fixtures.processor, {"kind": "partner"})})
	fixtures.codes(obligations.obligation) == {"log_disclosure", "encrypt_in_transit"} with input as fixtures.with_request({"data": ["instance.financial.bank"], "recipient": fixtures.processor})
}

test_purpose_obligations if {
	fixtures.codes(obligations.obligation) == {"include_unsubscribe"} with input as fixtures.with_request({"purpose": "marketing.announcements"})
	fixtures.codes(obligations.obligation) == {"include_unsubscribe", "inform_profiling", "human_review"} with input as fixtures.with_request({"purpose": "marketing.profiling"})
	fixtures.codes(obligations.obligation) == {"human_review"} with input as fixtures.with_request({"automated_decision": true})
}

test_inform_controller_of_a_legally_required_disclosure if {
	guest := {"id": "g", "kind": "guest", "age": 0, "country": "NL", "controller": "acme"}
	authority := {"id": "politie", "kind": "public_authority", "country": "NL", "dpa": false, "safeguard": "", "sale": false, "inform_prohibited": false}
	doc := fixtures.with_request({"purpose": "legal.compliance", "data": ["guest.contact.email"], "subject": guest, "recipient": authority})
	"inform_controller" in fixtures.codes(obligations.obligation) with input as doc
	not "inform_controller" in fixtures.codes(obligations.obligation) with input as fixtures.with_request({"purpose": "legal.compliance", "data": ["guest.contact.email"], "subject": guest, "recipient": object.union(authority, {"inform_prohibited": true})})
	not "inform_controller" in fixtures.codes(obligations.obligation) with input as fixtures.with_request({"purpose": "legal.compliance", "data": ["instance.contact.email"], "recipient": authority})
	not "inform_controller" in fixtures.codes(obligations.obligation) with input as fixtures.with_request({"purpose": "service.delivery", "data": ["guest.contact.email"], "subject": guest, "recipient": fixtures.processor})
}
