# request.invalid: the request cannot be decided as written.
package privacy.rules.request

import data.privacy.lib

deny contains lib.reason("request.invalid", "subject.id is required") if trim_space(input.request.subject.id) == ""

deny contains lib.reason("request.invalid", "subject.kind is required") if input.request.subject.kind == ""

deny contains lib.reason("request.invalid", sprintf("subject.kind: unknown subject kind %q", [input.request.subject.kind])) if {
	input.request.subject.kind != ""
	not data.catalog.subject_kinds[input.request.subject.kind]
}

deny contains lib.reason("request.invalid", "purpose is required") if trim_space(input.request.purpose) == ""

deny contains lib.reason("request.invalid", "data must name at least one category") if count(input.request.data) == 0

deny contains lib.reason("request.invalid", sprintf("recipient.kind: unknown recipient kind %q", [input.request.recipient.kind])) if {
	lib.has_recipient
	not data.catalog.recipient_kinds[input.request.recipient.kind]
}
