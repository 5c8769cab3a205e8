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

# 2026-01-31T10:00:00Z plus one month is 2026-02-28T10:00:00Z, as
# privacy.Period.AddTo computes it.
test_add_period_clamps_to_month_end if {
	start := time.parse_rfc3339_ns("2026-01-31T10:00:00Z")
	retention.add_period(start, {"years": 0, "months": 1, "days": 0, "hours": 0}) == time.parse_rfc3339_ns("2026-02-28T10:00:00Z")
	retention.add_period(start, {"years": 1, "months": 1, "days": 2, "hours": 3}) == time.parse_rfc3339_ns("2027-03-02T13:00:00Z")
	retention.add_period(time.parse_rfc3339_ns("2024-01-31T00:00:00Z"), {"years": 0, "months": 1, "days": 0, "hours": 0}) == time.parse_rfc3339_ns("2024-02-29T00:00:00Z")
	retention.add_period(time.parse_rfc3339_ns("2026-03-15T08:30:00Z"), {"years": 7, "months": 0, "days": 30, "hours": 0}) == time.parse_rfc3339_ns("2033-04-14T08:30:00Z")
}

# A guest's controller may choose the period of guest.contact between one
# day and two years (reference catalog); its choice arrives in
# input.retention_overrides and is kept within those bounds.
guest_seen_ago(days, choice) := object.union(
	fixtures.with_state(
		{"purpose": "service.delivery", "data": ["guest.contact.email"], "subject": {"id": "g-1", "kind": "guest", "age": 0, "country": "NL", "controller": "acme"}},
		{"lifecycle": {"last_activity": fixtures.base.now_ns - (days * day)}},
	),
	{"retention_overrides": {"guest.contact.email": choice}},
)

p30d := {"period": "P30D", "years": 0, "months": 0, "days": 30, "hours": 0}

p3y := {"period": "P3Y", "years": 3, "months": 0, "days": 0, "hours": 0}

pt1h := {"period": "PT1H", "years": 0, "months": 0, "days": 0, "hours": 1}

test_controller_choice_applies if {
	count(retention.deny) == 0 with input as guest_seen_ago(29, p30d)
	fixtures.codes(retention.deny) == {"retention.expired"} with input as guest_seen_ago(30, p30d)
	some r in retention.deny with input as guest_seen_ago(30, p30d)
	contains(r.message, "P30D")
}

test_controller_choice_kept_within_bounds if {
	# Three years is clamped to the two-year maximum.
	fixtures.codes(retention.deny) == {"retention.expired"} with input as guest_seen_ago(731, p3y)
	# An hour is raised to the one-day minimum.
	count(retention.deny) == 0 with input as object.union(guest_seen_ago(0, pt1h), {"now_ns": fixtures.base.now_ns + (3600000000000 * 2)})
	fixtures.codes(retention.deny) == {"retention.expired"} with input as guest_seen_ago(1, pt1h)
}

test_retention_end_is_a_change if {
	retention.changes == {fixtures.base.now_ns + day} with input as fixtures.with_state({}, closed_ago(89))
	count(retention.changes) == 0 with input as fixtures.base
}

# Billing may rest on a legal obligation: past the rule's 90 days, the
# financial records a statutory duty keeps stay available on that basis
# only, until the duty ends seven years after the end of the book year.
billing_closed_at(closed, now, data_keys) := object.union(
	fixtures.with_state({"purpose": "billing", "data": data_keys}, {"lifecycle": {"account_closed": time.parse_rfc3339_ns(closed)}}),
	{"now_ns": time.parse_rfc3339_ns(now)},
)

test_statutory_duty_survives_the_rule_on_legal_obligation if {
	doc := billing_closed_at("2026-03-15T00:00:00Z", "2026-11-28T12:00:00Z", ["instance.financial.account"])
	count(retention.deny) == 0 with input as doc
	fixtures.codes(retention.basis_deny.contract) == {"retention.expired"} with input as doc
	not retention.basis_deny.legal_obligation with input as doc
	# Data no duty keeps stops on every basis.
	email := billing_closed_at("2026-03-15T00:00:00Z", "2026-11-28T12:00:00Z", ["instance.contact.email"])
	fixtures.codes(retention.basis_deny.legal_obligation) == {"retention.expired"} with input as email
}

# AWR art. 52(4): seven years from the end of the book year in which the
# contract ended, not from the day it ended.
test_fiscal_duty_counts_from_the_end_of_the_book_year if {
	keys := ["instance.financial.account"]
	not retention.basis_deny.legal_obligation with input as billing_closed_at("2026-03-15T00:00:00Z", "2033-03-15T12:00:00Z", keys)
	not retention.basis_deny.legal_obligation with input as billing_closed_at("2026-03-15T00:00:00Z", "2033-12-31T23:59:59Z", keys)
	fixtures.codes(retention.basis_deny.legal_obligation) == {"retention.expired"} with input as billing_closed_at("2026-03-15T00:00:00Z", "2034-01-01T00:00:00Z", keys)
	# A contract ending on the book year's last day: that year counts.
	fixtures.codes(retention.basis_deny.legal_obligation) == {"retention.expired"} with input as billing_closed_at("2026-12-31T23:00:00Z", "2034-01-01T00:00:00Z", keys)
	not retention.basis_deny.legal_obligation with input as billing_closed_at("2027-01-01T00:00:00Z", "2034-01-01T00:00:00Z", keys)
}

# Payments count from their own book year (trigger collected), which the
# subject's lifecycle does not carry: the duty cannot be shown to have
# ended, and the records stay available on legal_obligation.
test_unknown_duty_trigger_keeps_the_records if {
	not retention.basis_deny.legal_obligation with input as billing_closed_at("2010-03-15T00:00:00Z", "2026-11-28T12:00:00Z", ["instance.financial.payment"])
}

test_book_year_close if {
	be := {"month": 12, "day": 31}
	retention.book_year_close(time.parse_rfc3339_ns("2026-03-15T00:00:00Z"), be) == time.parse_rfc3339_ns("2027-01-01T00:00:00Z")
	retention.book_year_close(time.parse_rfc3339_ns("2026-12-31T23:59:59Z"), be) == time.parse_rfc3339_ns("2027-01-01T00:00:00Z")
	retention.book_year_close(time.parse_rfc3339_ns("2027-01-01T00:00:00Z"), be) == time.parse_rfc3339_ns("2028-01-01T00:00:00Z")
	june := {"month": 6, "day": 30}
	retention.book_year_close(time.parse_rfc3339_ns("2026-03-15T00:00:00Z"), june) == time.parse_rfc3339_ns("2026-07-01T00:00:00Z")
	retention.book_year_close(time.parse_rfc3339_ns("2026-07-01T00:00:00Z"), june) == time.parse_rfc3339_ns("2027-07-01T00:00:00Z")
}

test_statutory_duty_end_is_a_change if {
	doc := billing_closed_at("2026-03-15T00:00:00Z", "2026-11-28T12:00:00Z", ["instance.financial.account"])
	time.parse_rfc3339_ns("2034-01-01T00:00:00Z") in retention.changes with input as doc
}

# A basis the purpose does not declare, or an undeclared purpose, leaves
# no bases to try; the data is past its retention all the same, and the
# denial says so with the other reasons.
test_past_retention_without_bases_to_try if {
	fixtures.codes(retention.deny) == {"retention.expired"} with input as fixtures.with_state({"basis": "consent"}, closed_ago(90))
	fixtures.codes(retention.deny) == {"retention.expired"} with input as fixtures.with_state({"purpose": "no.such.purpose"}, closed_ago(90))
}

# A rule with further clocks (also) ends at whichever comes first. The
# marketing profile (reference catalog): 30 days after the consent is
# withdrawn, or 30 days after the account closes.
profile_with(lifecycle) := fixtures.with_state({"purpose": "marketing.profiling", "data": ["instance.marketing.profile"]}, {"lifecycle": lifecycle})

test_also_clock_ends_the_retention if {
	count(retention.deny) == 0 with input as profile_with({"account_closed": fixtures.base.now_ns - (29 * day)})
	fixtures.codes(retention.deny) == {"retention.expired"} with input as profile_with({"account_closed": fixtures.base.now_ns - (30 * day)})
	some r in retention.deny with input as profile_with({"account_closed": fixtures.base.now_ns - (30 * day)})
	contains(r.message, "P30D from account_closed")
}

test_own_clock_still_ends_the_retention if {
	fixtures.codes(retention.deny) == {"retention.expired"} with input as profile_with({
		"account_closed": fixtures.base.now_ns - (10 * day),
		"consent_withdrawn": fixtures.base.now_ns - (31 * day),
	})
	count(retention.deny) == 0 with input as profile_with({
		"account_closed": fixtures.base.now_ns - (10 * day),
		"consent_withdrawn": fixtures.base.now_ns - (20 * day),
	})
}

# The decision stays valid until the earliest clock ends.
test_also_clock_bounds_the_validity if {
	retention.changes == {fixtures.base.now_ns + (20 * day)} with input as profile_with({"account_closed": fixtures.base.now_ns - (10 * day)})
}
