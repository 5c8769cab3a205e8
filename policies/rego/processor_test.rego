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

# Art. 28(3)(a): a processor acts only on the controller's instructions
# "unless required to do so by Union or Member State law to which the
# processor is subject" (then it tells the controller first: obligation
# inform_controller). A controller whose instructions leave out
# legal.compliance does not stop a legally required disclosure; on any
# other basis of a purpose the instructions still bind.
test_legal_obligation_needs_no_instruction if {
	only_delivery := {"acme": {"service.delivery": true}}
	count(processor.deny) == 0 with input as fixtures.with_request({"subject": guest, "purpose": "legal.compliance"})
		with data.catalog.instructions.controllers as only_delivery
	fixtures.codes(processor.deny) == {"processor.outside_instructions"} with input as fixtures.with_request({"subject": guest, "purpose": "legal.compliance", "basis": "legitimate_interests"})
		with data.catalog.instructions.controllers as only_delivery
	fixtures.codes(processor.deny) == {"processor.outside_instructions"} with input as fixtures.with_request({"subject": guest, "purpose": "support"})
		with data.catalog.instructions.controllers as only_delivery

	# A purpose that may rest on a legal obligation or on another basis:
	# only the legal obligation goes on without an instruction.
	both := {"subject": guest, "purpose": "billing"}
	count(processor.deny) == 0 with input as fixtures.with_request(both)
		with data.catalog.instructions.controllers as only_delivery
		with data.catalog.purposes.billing.bases.guest as ["controller_instruction", "legal_obligation"]
	fixtures.codes(processor.basis_deny.controller_instruction) == {"processor.outside_instructions"} with input as fixtures.with_request(both)
		with data.catalog.instructions.controllers as only_delivery
		with data.catalog.purposes.billing.bases.guest as ["controller_instruction", "legal_obligation"]
	not processor.basis_deny.legal_obligation with input as fixtures.with_request(both)
		with data.catalog.instructions.controllers as only_delivery
		with data.catalog.purposes.billing.bases.guest as ["controller_instruction", "legal_obligation"]
}
