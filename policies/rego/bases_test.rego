package privacy.rules.bases_test

import data.privacy.fixtures
import data.privacy.rules.bases

surveys := {"purpose": "research.surveys", "data": ["instance.contact.email"]}

given := {"event": "given", "policy_version_key": "v00000000000000000001.00000000000000000002", "policy_version_text": "1.2"}

test_consent_states if {
	fixtures.codes(bases.basis_deny.consent) == {"consent.missing"} with input as fixtures.with_request(surveys)
	fixtures.codes(bases.basis_deny.consent) == {"consent.missing"} with input as fixtures.with_consent(surveys, {"event": "refused"})
	fixtures.codes(bases.basis_deny.consent) == {"consent.withdrawn"} with input as fixtures.with_consent(surveys, {"event": "withdrawn"})
	fixtures.codes(bases.basis_deny.consent) == {"consent.expired"} with input as fixtures.with_consent(surveys, {"event": "expired"})
	fixtures.codes(bases.basis_deny.consent) == {"consent.expired"} with input as fixtures.with_consent(surveys, object.union(given, {"expires_ns": 1}))
	not bases.basis_deny.consent with input as fixtures.with_consent(surveys, object.union(given, {"expires_ns": 1895000000000000000}))
}

test_stale_version if {
	fixtures.codes(bases.basis_deny.consent) == {"consent.stale_version"} with input as fixtures.with_consent(surveys, {"event": "given", "policy_version_key": "v00000000000000000001.00000000000000000001", "policy_version_text": "1.1"})
	not bases.basis_deny.consent with input as fixtures.with_consent(surveys, {"event": "given", "policy_version_key": "v00000000000000000001.00000000000000000010", "policy_version_text": "1.10"})

	# A consent given without a version is older than any.
	fixtures.codes(bases.basis_deny.consent) == {"consent.stale_version"} with input as fixtures.with_consent(surveys, {"event": "given", "policy_version_key": "", "policy_version_text": ""})
}

test_stale_subjects if {
	states := [
		{"subject_id": "old", "event": "given", "policy_version_key": "v00000000000000000001.00000000000000000001"},
		{"subject_id": "current", "event": "given", "policy_version_key": "v00000000000000000001.00000000000000000002"},
		{"subject_id": "withdrawn", "event": "withdrawn", "policy_version_key": "v00000000000000000001"},
		{"subject_id": "unversioned", "event": "given", "policy_version_key": ""},
	]
	bases.stale_subjects == {"old", "unversioned"} with input as {"request": surveys, "consents": states}
	bases.stale_subjects == {"unversioned"} with input as {"request": surveys, "consents": states, "required_version_key": "v00000000000000000001"}
	bases.stale_subjects == {"old", "current", "unversioned"} with input as {"request": surveys, "consents": states, "required_version_key": "v00000000000000000002"}
}

test_guardian_by_country if {
	child := {"id": "c", "kind": "user", "age": 14, "country": "NL", "controller": ""}
	fixtures.codes(bases.basis_deny.consent) == {"consent.guardian_required"} with input as fixtures.with_consent(object.union(surveys, {"subject": child}), given)
	not bases.basis_deny.consent with input as fixtures.with_consent(object.union(surveys, {"subject": child}), object.union(given, {"guardian": true}))
	not bases.basis_deny.consent with input as fixtures.with_consent(object.union(surveys, {"subject": object.union(child, {"country": "BE"})}), given)
}

announce := {"purpose": "marketing.announcements"}

test_legitimate_interests if {
	not bases.basis_deny.legitimate_interests with input as fixtures.with_request(announce)
	fixtures.codes(bases.basis_deny.legitimate_interests) == {"legitimate_interests.child"} with input as fixtures.with_request(object.union(announce, {"subject": {"id": "c", "kind": "user", "age": 17, "country": "NL", "controller": ""}}))
	fixtures.codes(bases.basis_deny.legitimate_interests) == {"legitimate_interests.no_assessment"} with input as fixtures.with_request(announce)
		with data.catalog.purposes["marketing.announcements"] as announce_without_lia
}

announce_without_lia := object.remove(data.catalog.purposes["marketing.announcements"], ["lia"])

test_automated_decision_basis if {
	fixtures.codes(bases.basis_deny.legitimate_interests) == {"automated_decision.not_permitted"} with input as fixtures.with_request(object.union(announce, {"automated_decision": true}))
		with data.catalog.purposes["marketing.announcements"].automated_decision as true
		with data.catalog.purposes_where.automated_decision["marketing.announcements"] as true
	not bases.basis_deny.contract with input as fixtures.with_request({"automated_decision": true})
		with data.catalog.purposes.support.automated_decision as true
		with data.catalog.purposes_where.automated_decision.support as true
}


# Art. 4(11), Recital 32: a pre-ticked box, silence, implied consent or
# continued use is no consent, even where the record says given.
test_consent_not_affirmative if {
	every act in ["preticked_box", "silence", "implied", "continued_use"] {
		fixtures.codes(bases.basis_deny.consent) == {"consent.not_affirmative"} with input as fixtures.with_consent(surveys, object.union(given, {"act": act}))
	}
	every act in ["", "unticked_box", "button", "signed_form", "recorded_verbal", "api"] {
		not bases.basis_deny.consent with input as fixtures.with_consent(surveys, object.union(given, {"act": act}))
	}
}

day_ns := 86400000000000

# Consent to surveys lasts 24 months (the catalog's default), consent to
# site personalisation 13 months; counted in calendar months from when it
# was given.
test_consent_renewal_due if {
	now := time.parse_rfc3339_ns("2026-11-28T12:00:00Z")
	two_years_ago := time.parse_rfc3339_ns("2024-11-28T12:00:00Z")
	not bases.basis_deny.consent with input as object.union(fixtures.with_consent(surveys, object.union(given, {"collected_ns": two_years_ago + 1})), {"now_ns": now})
	fixtures.codes(bases.basis_deny.consent) == {"consent.renewal_due"} with input as object.union(fixtures.with_consent(surveys, object.union(given, {"collected_ns": two_years_ago})), {"now_ns": now})
	site := {"purpose": "site.personalisation", "data": ["instance.network.ip_address"]}
	thirteen_months_ago := time.parse_rfc3339_ns("2025-10-28T12:00:00Z")
	fixtures.codes(bases.basis_deny.consent) == {"consent.renewal_due"} with input as object.union(fixtures.with_consent(site, object.union(given, {"collected_ns": thirteen_months_ago})), {"now_ns": now})
	not bases.basis_deny.consent with input as object.union(fixtures.with_consent(site, object.union(given, {"collected_ns": thirteen_months_ago + day_ns})), {"now_ns": now})
	# A consent without its time recorded is judged by the other rules.
	not bases.basis_deny.consent with input as object.union(fixtures.with_consent(surveys, object.union(given, {"collected_ns": 0})), {"now_ns": now})
}

test_consent_expiry_is_a_change if {
	bases.changes == {1895000000000000000} with input as fixtures.with_consent(surveys, object.union(given, {"expires_ns": 1895000000000000000}))
	count(bases.changes) == 0 with input as fixtures.with_consent(surveys, given)
}
