# Inputs shared by the Rego unit tests; the tests run against the reference
# catalog's data (see rego_test.go).
package privacy.fixtures

# An internal use of a user's email for support, with no state: allowed.
base := {
	"request": {
		"subject": {"id": "u-1", "kind": "user", "age": 30, "country": "NL", "controller": ""},
		"purpose": "support",
		"data": ["instance.contact.email"],
		"basis": "",
		"automated_decision": false,
		"encrypted_in_transit": false,
		"signals": {"gpc": false},
	},
	"consent": {"event": "", "guardian": false, "expires_ns": 0, "policy_version_text": "", "policy_version_key": ""},
	"subject_state": {"objections": [], "direct_marketing_objection": false, "restricted": false, "deactivated": false},
	"now_ns": 1795000000000000000,
}

# with_request returns base with the request fields in patch replaced.
with_request(patch) := object.union(base, {"request": object.union(base.request, patch)})

with_consent(req_patch, consent) := object.union(with_request(req_patch), {"consent": object.union(base.consent, consent)})

with_state(req_patch, state) := object.union(with_request(req_patch), {"subject_state": object.union(base.subject_state, state)})

processor := {"id": "p", "kind": "processor", "country": "NL", "dpa": true, "safeguard": "", "sale": false}

codes(reasons) := {r.code | some r in reasons}
