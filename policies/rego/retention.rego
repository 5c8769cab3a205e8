# Storage limitation (Art. 5(1)(e)): data kept past the retention period of
# its category's rule may no longer be processed; it is due for erasure
# (Art. 17(1)(a)). Only the legal purposes survive, for which a legal hold or
# a statutory duty keeps data beyond its period (Art. 17(3)(b),(e)). The
# period runs from the trigger the rule names (account closed, last
# activity …), whose time for this subject the engine reads from the
# subject's state; a trigger that has not happened starts no clock.
package privacy.rules.retention

import data.privacy.lib

deny contains lib.reason("retention.expired", sprintf("category %q of the subject is past its retention: %s from %s (rule %s)", [leaf, period, rule.trigger, rule.rule])) if {
	not lib.purpose.legal
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	start := input.subject_state.lifecycle[rule.trigger]
	[due, period] := due_at(start, leaf, rule)
	lib.reached(due)
}

# The answer changes when the retention of a requested leaf ends
# (lib.changes).
changes contains due if {
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	start := input.subject_state.lifecycle[rule.trigger]
	[due, _] := due_at(start, leaf, rule)
}

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
