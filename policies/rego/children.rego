# Children and profiling: a child merits specific protection where data is
# used for marketing or to create profiles (Recital 38), and profiling
# "should not concern a child" (Recital 71; WP29 Guidelines on automated
# decisions and profiling, WP251 rev.01: do not profile children for
# marketing). A child here is anyone under 18, whatever the age of digital
# consent: their own consent (Art. 8) does not lift it, nor does a
# guardian's.
package privacy.rules.children

import data.privacy.lib

deny contains lib.reason("profiling.child", sprintf("the subject is a child (under 18): purpose %q profiles them, which no consent permits (Recital 38, 71)", [input.request.purpose])) if {
	data.catalog.purposes_where.profiling[input.request.purpose]
	lib.child
	lib.purpose.profiling
}
