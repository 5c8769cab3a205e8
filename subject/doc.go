// Package subject keeps what the decision needs to know about a subject
// beyond consent: objections, restriction, deactivation and the times of
// the subject's retention triggers (lifecycle), behind StateStore.
//
// # Subject state
//
// The policies engine reads State before every decision, so an objection or
// a restriction written through a StateStore takes effect on the very next
// decision. Object, SetRestricted, SetDeactivated and RecordLifecycle write
// it, and so do the data-subject requests of package dsar (objection,
// restriction, deactivation, erasure), which build on this package.
package subject
