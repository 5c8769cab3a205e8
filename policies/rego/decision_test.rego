package privacy.decision_test

import data.privacy.decision
import data.privacy.fixtures

test_allowed_takes_the_first_workable_basis if {
	decision.result.basis == "contract" with input as fixtures.with_request({"purpose": "billing", "data": ["instance.contact.email"]})
	count(decision.result.reasons) == 0 with input as fixtures.base
}

test_guest_gets_controller_instruction if {
	decision.result.basis == "controller_instruction" with input as fixtures.with_request({
		"purpose": "service.delivery",
		"data": ["guest.contact.email"],
		"subject": {"id": "g", "kind": "guest", "age": 0, "country": "", "controller": ""},
	})
}

test_denial_has_no_basis_and_every_reason if {
	r := decision.result with input as fixtures.with_request({"purpose": "research.surveys", "data": ["instance.financial.card"], "recipient": object.union(fixtures.processor, {"dpa": false, "country": "IN"})})
	r.basis == ""
	fixtures.codes(r.reasons) == {"consent.missing", "purpose.category_not_permitted", "disclosure.processor_without_dpa", "transfer.no_safeguard", "security.unencrypted_financial"}
}

test_extension_denials_are_added if {
	r := decision.result with input as fixtures.base
		with data.privacy.ext.acme.deny as {{"code": "ext.acme", "message": "no"}}
	fixtures.codes(r.reasons) == {"ext.acme"}
	r.basis == ""
}

test_extension_obligations_are_added if {
	r := decision.result with input as fixtures.base
		with data.privacy.ext.acme.obligation as {{"code": "ext.notify", "message": "tell acme"}}
	fixtures.codes(r.obligations) == {"ext.notify"}
}

test_validity_is_the_nearest_change_around_now if {
	r := decision.result with input as fixtures.base
		with data.privacy.rules.bases.changes as {fixtures.base.now_ns - 10, fixtures.base.now_ns + 5, fixtures.base.now_ns + 99}
		with data.privacy.ext.acme.changes as {fixtures.base.now_ns, fixtures.base.now_ns + 2}
	r.valid_from_ns == fixtures.base.now_ns
	r.valid_until_ns == fixtures.base.now_ns + 2
}

test_no_change_no_bound if {
	r := decision.result with input as fixtures.base
	r.valid_from_ns == 0
	r.valid_until_ns == 0
}
