package privacy.rules.recipient_basis_test

import data.privacy.fixtures
import data.privacy.rules.recipient_basis

tax := {"id": "belastingdienst", "kind": "public_authority", "country": "NL", "dpa": false, "safeguard": "", "sale": false}

test_contract_does_not_serve_an_authority if {
	fixtures.codes(recipient_basis.basis_deny.contract) == {"basis.recipient_mismatch"} with input as fixtures.with_request({"purpose": "billing", "recipient": tax})
	not recipient_basis.basis_deny.legal_obligation with input as fixtures.with_request({"purpose": "billing", "recipient": tax})
	not recipient_basis.basis_deny.contract with input as fixtures.with_request({"purpose": "billing", "recipient": fixtures.processor})
	not recipient_basis.basis_deny.contract with input as fixtures.with_request({"purpose": "billing"})
}

test_legal_obligation_does_not_serve_partners if {
	fixtures.codes(recipient_basis.basis_deny.legal_obligation) == {"basis.recipient_mismatch"} with input as fixtures.with_request({"purpose": "legal.compliance", "recipient": object.union(tax, {"kind": "partner"})})
}
