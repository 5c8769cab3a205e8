package privacy.rules.processor_test

import data.privacy.fixtures
import data.privacy.rules.processor

guest := {"id": "g", "kind": "guest", "age": 0, "country": "BE", "controller": "acme"}

test_instructed_purpose_passes if {
	count(processor.deny) == 0 with input as fixtures.with_request({"subject": guest, "purpose": "service.delivery"})
}

test_own_purpose_outside_instructions if {
	fixtures.codes(processor.deny) == {"processor.outside_instructions"} with input as fixtures.with_request({"subject": guest, "purpose": "marketing.announcements"})
	fixtures.codes(processor.deny) == {"processor.outside_instructions"} with input as fixtures.with_request({"subject": guest, "purpose": "legal.claims"})
}

test_controller_specific_instructions if {
	count(processor.deny) == 0 with input as fixtures.with_request({"subject": guest, "purpose": "legal.claims"})
		with data.catalog.instructions.controllers as {"acme": {"legal.claims": true}}
}

test_controller_role_is_not_checked if {
	count(processor.deny) == 0 with input as fixtures.with_request({"purpose": "marketing.announcements"})
}
