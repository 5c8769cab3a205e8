# Where the operator is a processor (guest data), it acts only on the
# controller's documented instructions (Art. 28(3)(a), 28(10)).
package privacy.rules.processor

import data.privacy.lib

instructions := data.catalog.instructions.controllers[input.request.subject.controller]

instructions := data.catalog.instructions.default if not data.catalog.instructions.controllers[input.request.subject.controller]

deny contains lib.reason("processor.outside_instructions", sprintf("the operator processes %s data as a processor: purpose %q is not among the instructions of controller %q", [input.request.subject.kind, input.request.purpose, controller])) if {
	data.catalog.processor_kinds[input.request.subject.kind]
	lib.role == "processor"
	trim_space(input.request.purpose) != ""
	not instructions[input.request.purpose]
	controller := object.get({"": "(default instructions)"}, input.request.subject.controller, input.request.subject.controller)
}
