package privacy.rules.children_test

import data.privacy.fixtures
import data.privacy.rules.children

profiling(age) := fixtures.with_request({"purpose": "marketing.profiling", "subject": {"id": "c", "kind": "user", "age": age, "country": "BE", "controller": ""}})

test_profiling_of_children if {
	fixtures.codes(children.deny) == {"profiling.child"} with input as profiling(17)
	fixtures.codes(children.deny) == {"profiling.child"} with input as profiling(13)
	count(children.deny) == 0 with input as profiling(18)
	count(children.deny) == 0 with input as profiling(0)
	count(children.deny) == 0 with input as fixtures.with_request({"purpose": "research.surveys", "subject": {"id": "c", "kind": "user", "age": 17, "country": "BE", "controller": ""}})
}
