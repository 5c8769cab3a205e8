package privacy.rules.rights_test

import data.privacy.fixtures
import data.privacy.rules.rights

announce := {"purpose": "marketing.announcements"}

test_no_state_no_denial if {
	count(rights.deny) == 0 with input as fixtures.with_request(announce)
}

test_restriction_and_deactivation_spare_legal_purposes if {
	fixtures.codes(rights.deny) == {"restriction.active"} with input as fixtures.with_state({}, {"restricted": true})
	fixtures.codes(rights.deny) == {"subject.deactivated"} with input as fixtures.with_state({}, {"deactivated": true})
	count(rights.deny) == 0 with input as fixtures.with_state({"purpose": "legal.compliance"}, {"restricted": true, "deactivated": true})
}

test_direct_marketing_objection_is_absolute if {
	fixtures.codes(rights.deny) == {"objection.active"} with input as fixtures.with_state(announce, {"objections": ["marketing.announcements"]})
	fixtures.codes(rights.deny) == {"objection.active"} with input as fixtures.with_state(announce, {"direct_marketing_objection": true})
	count(rights.deny) == 0 with input as fixtures.with_state({}, {"direct_marketing_objection": true})
}

test_gpc_objects_to_marketing_and_sale if {
	fixtures.codes(rights.deny) == {"objection.active"} with input as fixtures.with_request(object.union(announce, {"signals": {"gpc": true}}))
	fixtures.codes(rights.deny) == {"objection.active"} with input as fixtures.with_request({"signals": {"gpc": true}, "recipient": object.union(fixtures.processor, {"sale": true})})
	count(rights.deny) == 0 with input as fixtures.with_request({"signals": {"gpc": true}})
}

# Legal obligations survive deactivation, for the purpose that has one and
# the categories a statutory duty keeps, on that basis only.
test_legal_obligation_survives_deactivation if {
	billing := {"purpose": "billing", "data": ["instance.financial.payment"]}
	count(rights.deny) == 0 with input as fixtures.with_state(billing, {"deactivated": true})
	fixtures.codes(rights.basis_deny.contract) == {"subject.deactivated"} with input as fixtures.with_state(billing, {"deactivated": true})
	not rights.basis_deny.legal_obligation with input as fixtures.with_state(billing, {"deactivated": true})
	fixtures.codes(rights.basis_deny.legal_obligation) == {"subject.deactivated"} with input as fixtures.with_state({"purpose": "billing", "data": ["instance.contact.email"]}, {"deactivated": true})
	not rights.basis_deny.contract with input as fixtures.with_request(billing)
	fixtures.codes(rights.deny) == {"subject.deactivated"} with input as fixtures.with_state({"purpose": "research.surveys"}, {"deactivated": true})
}

# A basis the purpose does not declare, or an undeclared purpose, leaves
# no bases to try; the account is deactivated all the same, and the
# denial says so with the other reasons.
test_deactivation_without_bases_to_try if {
	fixtures.codes(rights.deny) == {"subject.deactivated"} with input as fixtures.with_state({"purpose": "research.surveys", "basis": "contract"}, {"deactivated": true})
	fixtures.codes(rights.deny) == {"subject.deactivated"} with input as fixtures.with_state({"purpose": "no.such.purpose"}, {"deactivated": true})
}
