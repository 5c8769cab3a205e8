package privacy.rules.purpose_test

import data.privacy.fixtures
import data.privacy.rules.purpose

test_declared_purpose_passes if {
	count(purpose.deny) == 0 with input as fixtures.base
}

test_undeclared_purpose if {
	fixtures.codes(purpose.deny) == {"purpose.undeclared"} with input as fixtures.with_request({"purpose": "resale"})
}

test_unknown_category if {
	fixtures.codes(purpose.deny) == {"data.unknown_category"} with input as fixtures.with_request({"data": ["instance.shoe_size"]})
}

test_parent_key_expands_to_leaves if {
	# billing permits instance.financial; support does not.
	count(purpose.deny) == 0 with input as fixtures.with_request({"purpose": "billing", "data": ["instance.financial"]})
	fixtures.codes(purpose.deny) == {"purpose.category_not_permitted"} with input as fixtures.with_request({"data": ["instance.financial"]})
}

test_subject_not_covered if {
	fixtures.codes(purpose.deny) == {"purpose.subject_not_covered", "purpose.category_not_permitted"} with input as fixtures.with_request({
		"purpose": "marketing.announcements",
		"data": ["guest.contact.email"],
		"subject": {"id": "g", "kind": "guest", "age": 0, "country": "", "controller": ""},
	})
}

test_basis_not_declared if {
	fixtures.codes(purpose.deny) == {"basis.not_declared"} with input as fixtures.with_request({"basis": "consent"})
	count(purpose.deny) == 0 with input as fixtures.with_request({"basis": "contract"})
}

test_category_of_another_subject_kind if {
	fixtures.codes(purpose.deny) == {"purpose.category_not_permitted"} with input as fixtures.with_request({
		"purpose": "legal.compliance",
		"data": ["instance.contact.email"],
		"subject": {"id": "g", "kind": "guest", "age": 0, "country": "", "controller": ""},
	})
	count(purpose.deny) == 0 with input as fixtures.with_request({"purpose": "legal.compliance", "data": ["instance"]})
}
