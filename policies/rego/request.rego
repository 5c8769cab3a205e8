# request.invalid: the request cannot be decided as written.
package privacy.rules.request

import data.privacy.lib

deny contains lib.reason("request.invalid", "subject.id is required") if trim_space(input.request.subject.id) == ""

deny contains lib.reason("request.invalid", "subject.kind is required") if lib.kind == ""

deny contains lib.reason("request.invalid", sprintf("subject.kind: unknown subject kind %q", [lib.kind])) if {
	lib.kind != ""
	not data.catalog.subject_kinds[lib.kind]
}

deny contains lib.reason("request.invalid", "purpose is required") if trim_space(input.request.purpose) == ""

deny contains lib.reason("request.invalid", "data must name at least one category") if count(input.request.data) == 0

deny contains lib.reason("request.invalid", sprintf("recipient.kind: unknown recipient kind %q", [lib.recipient.kind])) if {
	lib.has_recipient
	not data.catalog.recipient_kinds[lib.recipient.kind]
}
