package privacy.rules.request_test

import data.privacy.fixtures
import data.privacy.rules.request

test_valid_request_has_no_invalid_reason if {
	count(request.deny) == 0 with input as fixtures.base
}

test_missing_subject_id if {
	fixtures.codes(request.deny) == {"request.invalid"} with input as fixtures.with_request({"subject": {"id": " ", "kind": "user", "age": 0, "country": "", "controller": ""}})
}

test_missing_and_unknown_kind if {
	count(request.deny) == 1 with input as fixtures.with_request({"subject": {"id": "x", "kind": "", "age": 0, "country": "", "controller": ""}})
	count(request.deny) == 1 with input as fixtures.with_request({"subject": {"id": "x", "kind": "robot", "age": 0, "country": "", "controller": ""}})
}

test_missing_purpose_and_data if {
	count(request.deny) == 2 with input as fixtures.with_request({"purpose": "", "data": []})
}

test_unknown_recipient_kind if {
	fixtures.codes(request.deny) == {"request.invalid"} with input as fixtures.with_request({"recipient": object.union(fixtures.processor, {"kind": "friend"})})
}
