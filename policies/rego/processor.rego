# Where the operator is a processor (guest data), it acts only on the
# controller's documented instructions (Art. 28(3)(a), 28(10)), "unless
# required to do so by Union or Member State law to which the processor is
# subject": a legal obligation needs no instruction (the controller is told
# first: obligation inform_controller, privacy.rules.obligations).
package privacy.rules.processor

import data.privacy.lib

instructions := data.catalog.instructions.controllers[input.request.subject.controller]

instructions := data.catalog.instructions.default if not data.catalog.instructions.controllers[input.request.subject.controller]

deny contains outside_instructions if {
	not lib.on_legal_obligation
	outside_instructions
}

# A purpose that may rest on a legal obligation goes on, on that basis
# only, without an instruction; every other basis of it needs one.
basis_deny[b] contains outside_instructions if {
	lib.on_legal_obligation
	outside_instructions
	some b in lib.candidates
	b != "legal_obligation"
}

outside_instructions := lib.reason("processor.outside_instructions", sprintf("the operator processes %s data as a processor: purpose %q is not among the instructions of controller %q", [input.request.subject.kind, input.request.purpose, controller])) if {
	data.catalog.processor_kinds[input.request.subject.kind]
	lib.role == "processor"
	trim_space(input.request.purpose) != ""
	not instructions[input.request.purpose]
	controller := object.get({"": "(default instructions)"}, input.request.subject.controller, input.request.subject.controller)
}
