// Package stateview keeps the consent and subject state that decisions
// read in process memory, so that a decision does not go to the database.
//
// # Basics
//
// A View sits in front of a consent ledger and a subject-state store. On
// its first read of a subject it fetches the subject's consent records
// (consent.Store.History) or state and keeps them; later reads of that
// subject, for any purpose and any time, are answered from memory with
// consent.StateAt, exactly as the store would answer. Give its readers to
// the engine:
//
//	db, err := sqlite.Open(ctx, "privacy.db")
//	…
//	view := db.View()
//	engine, err := policies.New(ctx,
//		policies.WithConsents(view.Consents()),
//		policies.WithSubjects(view.Subjects()))
//
// Writes still go to the stores (db.ConsentStore(), db.StateStore()), never
// to the view.
//
// # Staying current
//
// A view must forget a subject whenever the subject's consent or state
// changes. sqlite.DB.View and postgres.DB.View arrange it:
//
//   - A write through any store of the same DB calls Forget for its subject
//     after it commits and before it returns, so the next decision in this
//     process reads what the write stored: a withdrawal or an objection
//     takes effect on the very next call.
//   - postgres.DB.View also LISTENs for the NOTIFY that every write sends
//     in its transaction, from any process, and forgets the subject when
//     it arrives; nothing polls. A write by another replica is seen once
//     its notification is delivered, a moment after it commits. While the
//     listening connection is down, the view is paused: it sends every read
//     to the database and keeps nothing, until it listens again. A
//     connection that goes silent without failing (a network partition)
//     is caught by a heartbeat on it: the view answers from memory only
//     until MaxStaleness (WithMaxStaleness, default five seconds) after
//     the last heartbeat answered (Vouch), and reads through after that.
//   - SQLite has no notifications: a view over a SQLite file does not see
//     writes made by another process (privacyctl run against the file of a
//     live service, say). Use one only where this process is the file's
//     only writer, or call ForgetAll after such writes.
//
// Staleness reports the age of the last vouch, and Stats counts the
// fail-closed reads (Paused, Stale); both are OpenTelemetry metrics too
// (privacy.view.staleness, privacy.view.fail_closed_reads; provider by
// WithMeterProvider).
//
// A read racing a write never keeps what it fetched before the write:
// Forget moves a counter that the read checks before it keeps anything.
//
// The view holds at most WithSize subjects (DefaultSize), dropping one
// when a new subject comes and the view is full; memory grows with the
// records of the subjects held, not with the ledger.
//
// # Custom stores
//
// New makes a view over any consent.Store and subject.StateReader; then
// the caller must call Forget after each write and Pause while it cannot
// know of writes, as the DB.View methods do.
package stateview
