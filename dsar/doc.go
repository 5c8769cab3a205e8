// Package dsar runs data-subject requests (access, portability,
// rectification, erasure, restriction, objection, deactivation) across
// every service that holds the subject's data, on time. The subject state
// that requests write (objections, restriction, deactivation) lives in
// package subject; dsar builds on it.
//
// # Requests
//
// A Desk runs requests. Open records one with its deadline (one calendar
// month after receipt, GDPR Art. 12(3)); Verify passes it through the
// pluggable Verifier; Extend adds up to two further months, with a reason,
// while the first month runs; Run fans it out concurrently to every
// registered Source (the services that hold the subject's data), records
// each source's outcome in the RequestStore and, when every source is done,
// completes it. A Run that fails part-way, or a process that crashes, leaves
// the request in progress: the next Run retries only the sources that are
// not done.
//
// Nothing is exported, corrected or erased before identity verification
// passes. Erasure keeps what the law keeps: categories a Holds reports as
// held (a statutory retention duty, Art. 17(3)(b); a legal hold, 17(3)(e))
// are not erased but restricted, and reported with their exemption. The
// consent ledger is never erased by a request: it is the evidence of
// consent (Art. 7(1)) and is pseudonymised instead, through an optional
// ConsentEraser.
//
// Where the operator is a processor (the reference catalog's guests), a
// request is recorded and forwarded to the controller through a Notifier,
// and fulfilled only on the controller's instruction (Desk.Instruct).
//
// # States
//
//	received ──Verify──▶ verified ──Run──▶ in_progress ──Run (every source done)──▶ completed
//	   │                    ▲                 ▲    │
//	   │                    │                 └────┘ Run again: retries only the sources not done
//	   │                    └──Instruct(proceed)──┐
//	   ├──Run (a processor's subject)──▶ forwarded ┤
//	   │                                           └──Instruct(decline)──▶ rejected
//	   └──Reject (received, verified or forwarded)───────────────────────▶ rejected
//
// Objection, restriction and deactivation go from verified to completed in
// one Run: they only write the subject state. Extension is a flag
// (Request.Extension), not a state: it moves the due date.
//
// A step of the Desk's own (holds, subject state, consent evidence,
// clearing earlier exports) that fails with an error running again cannot
// cure, such as a store refusing the subject id, moves the request from
// verified or in_progress to blocked, with the step and the error in
// Request.Blocked and the trail. Run leaves a blocked request alone (it
// returns ErrBlocked), and it still counts against its deadline; an
// operator removes the cause and calls Resume, which returns it to where
// it stood, or rejects it when no source has run yet. Other failures are
// noted in the trail (step_failed) and retried by the next Run. Open
// refuses identifiers the stores would refuse (privacy.CheckID), naming
// the field.
package dsar
