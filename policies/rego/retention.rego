# Storage limitation (Art. 5(1)(e)): data kept past the retention period of
# its category's rule may no longer be processed; it is due for erasure
# (Art. 17(1)(a)). Only the legal purposes survive, for which a legal hold or
# a statutory duty keeps data beyond its period (Art. 17(3)(b),(e)). The
# period runs from the trigger the rule names (account closed, last
# activity …), whose time for this subject the engine reads from the
# subject's state; a trigger that has not happened starts no clock.
package privacy.rules.retention

import data.privacy.lib

deny contains lib.reason("retention.expired", sprintf("category %q of subject %q is past its retention: %s from %s (rule %s)", [leaf, lib.req.subject.id, rule.period, rule.trigger, rule.rule])) if {
	not lib.purpose.legal
	some leaf in lib.leaves
	rule := data.catalog.retention[leaf]
	start := input.subject_state.lifecycle[rule.trigger]
	input.now_ns >= time.add_date(start, rule.years, rule.months, rule.days) + (rule.hours * 3600000000000)
}
