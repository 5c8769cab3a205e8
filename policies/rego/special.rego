# Special categories of data (Art. 9): a meeting recording shows and
# records everyone in the meeting, guests included, and may reveal health,
# beliefs or other special categories. Unless the customer has attested
# that its recordings hold none, such a category may be used only for the
# purposes the catalog marks special_categories (delivering the customer's
# own recording, support it asks for, legal duties and claims: Art.
# 9(2)(f)-(g) and the customer's instructions), and outside the legal
# purposes only by the operator, its processors and affiliates, never a
# partner, third party or individual. No automated decision rests on such
# a category but on consent or a legal obligation (Art. 22(4)).
package privacy.rules.special

import data.privacy.lib

deny contains lib.reason("special_category.not_permitted", sprintf("category %q may hold special categories of data (Art. 9(1)) and purpose %q is not one that may use it", [leaf, input.request.purpose])) if {
	some leaf in special_leaves
	lib.purpose
	not lib.purpose.special_categories
}

deny contains lib.reason("special_category.not_permitted", sprintf("category %q may hold special categories of data (Art. 9(1)): not to a recipient of kind %q outside a legal purpose", [leaf, input.request.recipient.kind])) if {
	data.catalog.purposes_where.special_categories[input.request.purpose]
	input.request.recipient
	some leaf in special_leaves
	lib.purpose.special_categories
	not lib.purpose.legal
	input.request.recipient.kind in {"partner", "third_party", "individual"}
}

# Leaves that may hold special categories, unless the customer (the guest's
# controller, or the account holder) attested that its data holds none.
special_leaves contains leaf if {
	some leaf in lib.leaves
	data.catalog.categories[leaf].special == "possible"
	not attested
}

attested if data.catalog.no_special_categories[customer]

customer := input.request.subject.controller if input.request.subject.controller != ""

customer := input.request.subject.id if input.request.subject.controller == ""

# Art. 22(4): an automated decision with legal or similar effect may not
# rest on special categories of data, whatever Art. 22(2) allows, unless
# on explicit consent (Art. 9(2)(a)) or a substantial public interest laid
# down in Union or member-state law (9(2)(g); legal_obligation here).
basis_deny[b] contains lib.reason("automated_decision.not_permitted", sprintf("an automated decision for purpose %q would rest on category %q, which may hold special categories of data: not on %q (Art. 22(4))", [input.request.purpose, leaf, b])) if {
	input.request.automated_decision == true
	data.catalog.purposes_where.automated_decision[input.request.purpose]
	some leaf in special_leaves
	some b in lib.candidates
	not data.catalog.special_automated_decision_bases[b]
}
