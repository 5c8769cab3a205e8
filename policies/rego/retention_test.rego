package privacy.rules.retention_test

import data.privacy.fixtures
import data.privacy.rules.retention

day := 86400000000000

# Account data: 90 days from account_closed (reference catalog).
closed_ago(days) := {"lifecycle": {"account_closed": fixtures.base.now_ns - (days * day)}}

test_no_lifecycle_no_denial if {
	count(retention.deny) == 0 with input as fixtures.base
}

test_within_retention if {
	count(retention.deny) == 0 with input as fixtures.with_state({}, closed_ago(89))
}

test_past_retention if {
	fixtures.codes(retention.deny) == {"retention.expired"} with input as fixtures.with_state({}, closed_ago(90))
	fixtures.codes(retention.deny) == {"retention.expired"} with input as fixtures.with_state({}, closed_ago(400))
}

test_legal_purposes_survive if {
	count(retention.deny) == 0 with input as fixtures.with_state({"purpose": "legal.claims"}, closed_ago(400))
}

test_other_trigger_starts_no_clock if {
	count(retention.deny) == 0 with input as fixtures.with_state({}, {"lifecycle": {"last_activity": fixtures.base.now_ns - (1000 * day)}})
}

test_every_expired_leaf_is_named if {
	count(retention.deny) == 3 with input as fixtures.with_state({"data": ["instance.contact.email", "instance.account"]}, closed_ago(100))
}
