# Storage limitation (Art. 5(1)(e)): data kept past the retention period of
# its category's rule may no longer be processed; it is due for erasure
# (Art. 17(1)(a)). Only the legal purposes survive, for which a legal hold or
# a statutory duty keeps data beyond its period (Art. 17(3)(b),(e)). The
# period runs from the trigger the rule names (account closed, last
# activity …), whose time for this subject the engine reads from the
# subject's state; a trigger that has not happened starts no clock. A rule
# may name further triggers (also), each with its own period: whichever
# clock ends first ends the retention.
package privacy.rules.retention

import data.privacy.lib

deny contains r if {
	count(input.subject_state.lifecycle) > 0
	not lib.purpose.legal
	not lib.on_legal_obligation
	some r in expired
}

# A purpose that may rest on a legal obligation (billing: the tax records)
# keeps, on that basis only, the records a statutory duty holds beyond the
# rule's period (Art. 17(3)(b)), until the duty ends: counted from the
# duty's trigger (or the end of its book year, AWR art. 52(4)), which an
# unknown trigger time cannot show to have passed (the sweeper keeps such
# records too). Every other basis stops at the rule's period.
basis_deny[b] contains r if {
	count(input.subject_state.lifecycle) > 0
	not lib.purpose.legal
	lib.on_legal_obligation
	some b in lib.candidates
	b != "legal_obligation"
	some r in expired
}

basis_deny[b] contains lib.reason("retention.expired", sprintf("category %q of the subject is past its retention: %s from %s (rule %s)%s", [leaf, period, rule.trigger, rule.rule, hold_note(rule)])) if {
	count(input.subject_state.lifecycle) > 0
	not lib.purpose.legal
	some b in lib.candidates
	b == "legal_obligation"
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	start := input.subject_state.lifecycle[rule.trigger]
	[due, period] := due_at(start, leaf, rule)
	lib.reached(due)
	not held(rule)
}

basis_deny[b] contains lib.reason("retention.expired", sprintf("category %q of the subject is past its retention: %s from %s (rule %s)%s", [leaf, c.period, c.trigger, rule.rule, hold_note(rule)])) if {
	count(input.subject_state.lifecycle) > 0
	not lib.purpose.legal
	some b in lib.candidates
	b == "legal_obligation"
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	some c in rule.also
	lib.reached(add_period(input.subject_state.lifecycle[c.trigger], c))
	not held(rule)
}

expired contains lib.reason("retention.expired", sprintf("category %q of the subject is past its retention: %s from %s (rule %s)", [leaf, period, rule.trigger, rule.rule])) if {
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	start := input.subject_state.lifecycle[rule.trigger]
	[due, period] := due_at(start, leaf, rule)
	lib.reached(due)
}

# A rule's further clocks (also) end the retention too, whichever comes
# first (retention.End): the retention has ended when any clock has.
expired contains lib.reason("retention.expired", sprintf("category %q of the subject is past its retention: %s from %s (rule %s)", [leaf, c.period, c.trigger, rule.rule])) if {
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	some c in rule.also
	lib.reached(add_period(input.subject_state.lifecycle[c.trigger], c))
}

# The answer changes when the retention of a requested leaf ends, and when
# the statutory duty that keeps it ends (lib.changes).
changes contains due if {
	count(input.subject_state.lifecycle) > 0
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	start := input.subject_state.lifecycle[rule.trigger]
	[due, _] := due_at(start, leaf, rule)
}

changes contains add_period(input.subject_state.lifecycle[c.trigger], c) if {
	count(input.subject_state.lifecycle) > 0
	some leaf in lib.leaves
	some c in data.catalog.retention[leaf].also
}

changes contains hold_end(input.subject_state.lifecycle[h.trigger], h) if {
	count(input.subject_state.lifecycle) > 0
	some leaf in lib.leaves
	h := data.catalog.retention[leaf].statutory_hold
}

# held: the rule's statutory duty has not been shown to end.
held(rule) if {
	h := rule.statutory_hold
	not input.subject_state.lifecycle[h.trigger]
}

held(rule) if {
	h := rule.statutory_hold
	not lib.reached(hold_end(input.subject_state.lifecycle[h.trigger], h))
}

hold_note(rule) := sprintf(", and the statutory duty (%s) has ended", [rule.statutory_hold.law]) if rule.statutory_hold

hold_note(rule) := "" if not rule.statutory_hold

# hold_end is when a statutory duty ends for a trigger at t, as
# privacy.StatutoryHold.End computes it: its period from t, or from the
# first instant after the last day of the book year in which t falls.
hold_end(t, h) := add_period(t, h) if not h.book_year_end

hold_end(t, h) := add_period(book_year_close(t, h.book_year_end), h) if h.book_year_end

book_year_close(t, be) := close if {
	[y, _, _] := time.date(t)
	this := year_end(y, be)
	t < this
	close := this
}

book_year_close(t, be) := close if {
	[y, _, _] := time.date(t)
	t >= year_end(y, be)
	close := year_end(y + 1, be)
}

# The first instant after the book year ending on be in year y.
year_end(y, be) := time.add_date(time.parse_rfc3339_ns(sprintf("%04d-%02d-%02dT00:00:00Z", [y, be.month, be.day])), 0, 0, 1)

# due_at is when the leaf's retention ends and the period that applies: the
# rule's, or the period the subject's controller chose for its data
# (input.retention_overrides, given only where the rule allows a choice),
# kept within the rule's bounds on the real dates as retention.Due does.
due_at(start, leaf, rule) := [add_period(start, rule), rule.period] if not input.retention_overrides[leaf]

due_at(start, leaf, rule) := [due, period] if {
	choice := input.retention_overrides[leaf]
	lo := add_period(start, rule.min)
	hi := add_period(start, rule.max)
	chosen := add_period(start, choice)
	[due, period] := clamp(chosen, choice.period, lo, rule.min.period, hi, rule.max.period)
}

clamp(t, _, lo, lo_p, _, _) := [lo, lo_p] if t < lo

clamp(t, _, _, _, hi, hi_p) := [hi, hi_p] if t > hi

clamp(t, p, lo, _, hi, _) := [t, p] if {
	t >= lo
	t <= hi
}

day_ns := 86400000000000

# add_period adds a rule's period to a time the way privacy.Period.AddTo
# does, so that decisions and sweeps agree to the nanosecond: years and
# months first, clamped to the last day of a shorter month (31 January plus
# one month is 28 or 29 February, not 3 March as time.add_date would have
# it), then days and hours.
add_period(start, rule) := due if {
	[_, _, d] := time.date(start)
	first := start - ((d - 1) * day_ns)
	month := time.add_date(first, rule.years, rule.months, 0)
	[_, _, last] := time.date(time.add_date(month, 0, 1, -1))
	due := ((month + ((min([d, last]) - 1) * day_ns)) + (rule.days * day_ns)) + (rule.hours * 3600000000000)
}
