# Purpose limitation and data minimisation (Art. 5(1)(b)-(c)): only declared
# purposes, for the subjects they cover, with the categories they list, on
# the bases they declare.
package privacy.rules.purpose

import data.privacy.lib

deny contains lib.reason("purpose.undeclared", sprintf("purpose %q is not declared in the catalog: consent is needed for any purpose other than those the policy provides", [input.request.purpose])) if {
	trim_space(input.request.purpose) != ""
	not lib.purpose
}

deny contains lib.reason("data.unknown_category", sprintf("data category %q is not in the catalog", [key])) if {
	some key in input.request.data
	not data.catalog.leaves[key]
}

deny contains lib.reason("purpose.subject_not_covered", sprintf("purpose %q does not apply to subjects of kind %q", [input.request.purpose, input.request.subject.kind])) if {
	lib.purpose
	data.catalog.subject_kinds[input.request.subject.kind]
	not lib.purpose.subjects[input.request.subject.kind]
}

deny contains lib.reason("purpose.category_not_permitted", sprintf("purpose %q may not use category %q", [input.request.purpose, leaf])) if {
	lib.purpose
	some leaf in lib.leaves
	not lib.purpose.categories[leaf]
}

# A purpose that covers several subject kinds (legal.compliance) still only
# uses each subject's own data: a guest has no account data.
deny contains lib.reason("purpose.category_not_permitted", sprintf("category %q is %s data, not data of a %s", [leaf, data.catalog.categories[leaf].subject, input.request.subject.kind])) if {
	lib.purpose
	data.catalog.subject_kinds[input.request.subject.kind]
	some leaf in lib.leaves
	data.catalog.categories[leaf].subject != input.request.subject.kind
}

deny contains lib.reason("basis.not_declared", sprintf("purpose %q does not declare the basis %q for subjects of kind %q (declared: %v)", [input.request.purpose, input.request.basis, input.request.subject.kind, lib.declared_bases])) if {
	input.request.basis != ""
	not input.request.basis in lib.declared_bases
	lib.purpose.subjects[input.request.subject.kind]
}
