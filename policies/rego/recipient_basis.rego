# The basis must fit the recipient (Art. 6(1)(b)-(c)): disclosing to a tax
# or other public authority is never necessary for the performance of a
# contract with the subject; it is a legal obligation (or, for legal
# claims, legitimate interests). A basis that cannot serve the recipient
# kind fails for that basis only, so that the engine moves on to the next
# declared basis (billing: contract, then legal_obligation).
package privacy.rules.recipient_basis

import data.privacy.lib

basis_deny[b] contains lib.reason("basis.recipient_mismatch", sprintf("a disclosure to a recipient of kind %q cannot rest on %q: %s", [input.request.recipient.kind, b, data.catalog.basis_recipient_why[b]])) if {
	some b in lib.candidates
	lib.has_recipient
	data.catalog.basis_excludes_recipient[b][input.request.recipient.kind]
}
