# The decision: every reason that applies, the first workable basis, and
# the obligations. It reads the rule packages' sets and the callers'
# extension packages (privacy.ext.*), which can only add to them.
package privacy.decision

import data.privacy.lib

general contains r if {
	some name
	some r in data.privacy.rules[name].deny
}

general contains r if {
	some name
	some r in data.privacy.ext[name].deny
}

# Every rule package's basis_deny, evaluated once for all candidates.
basis_denials := {[b, r] | some name; some r in data.privacy.rules[name].basis_deny[b]}

# The candidates some rule denies.
denied_bases := {b | some [b, _] in basis_denials}

workable := [b | some b in lib.candidates; not denied_bases[b]]

default basis := ""

basis := workable[0] if {
	count(general) == 0
	count(workable) > 0
}

reasons := general if basis != ""

reasons := general | {r | some [b, r] in basis_denials; b in lib.candidates} if basis == ""

default candidates := []

candidates := lib.candidates

obligations contains o if {
	some name
	some o in data.privacy.rules[name].obligation
}

obligations contains o if {
	some name
	some o in data.privacy.ext[name].obligation
}

# The times at which a rule's answer may change (lib.reached).
changes contains t if {
	some name
	some t in data.privacy.rules[name].changes
}

changes contains t if {
	some name
	some t in data.privacy.ext[name].changes
}

# The decision holds from the last change at or before now until the first
# change after it; 0 when there is none on that side.
default valid_from := 0

valid_from := max(past) if {
	past := {t | some t in changes; t <= input.now_ns}
	count(past) > 0
}

default valid_until := 0

valid_until := min(future) if {
	future := {t | some t in changes; t > input.now_ns}
	count(future) > 0
}

# The obligations of an allowed request; a denial carries none (the engine
# drops them: privacy.Decision.Normalize), so they are not evaluated for one.
default granted := set()

granted := obligations if basis != ""

result := {
	"basis": basis,
	"reasons": reasons,
	"obligations": granted,
	"valid_from_ns": valid_from,
	"valid_until_ns": valid_until,
}
