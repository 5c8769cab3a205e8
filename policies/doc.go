// Package policies is the decision point: it decides whether a processing
// of personal data is permitted by evaluating embedded OPA Rego (v1) over a
// privacy.Catalog, with the state it reads from the stores.
//
// # Basics
//
// New prepares everything once: it validates the catalog, turns it into the
// Rego data document data.catalog, compiles the embedded modules and any
// extension modules, and prepares the query. Decide then reads the subject's
// consent (consent.Reader) and state (subject.StateReader) — it never trusts
// the caller for them — and makes one evaluation. An Engine is safe for
// concurrent use; a withdrawal or objection written to the stores takes
// effect on the very next Decide.
//
// The Rego is organised one package per concern under privacy.rules
// (request, purpose, processor, rights, bases, disclosure, obligations); each
// adds reasons to a `deny` set, or, for conditions of a lawful basis, to
// `basis_deny[basis]`. Package privacy.decision takes the union and chooses
// the first declared basis (or the requested one) under which no reason
// applies. Rules read the catalog from data.catalog and never hold lists of
// their own. Each rule file has a *_test.rego file, run by `go test`.
//
// # Semantics
//
// A data key may name a parent category; it stands for all its leaves. A
// denial carries every reason that applies, one per code, sorted; when no
// basis works, the reasons of every basis tried. Obligations come only with
// allowed decisions. What each code means is written once, in the code
// table (privacy.ReasonCodes, privacy.ObligationCodes), from which
// docs/reason-codes.md is generated; the rules themselves are the Rego
// files and their tests.
//
// # Facts, time and the decision cache
//
// Decide gathers the facts (the request, the consent and subject state from
// the stores, the controller's retention choices, the moment judged) and
// Rego alone turns them into the decision; Go concludes nothing. The moment
// judged is the request's time, or the engine clock's now (WithClock). What
// is recorded up to now counts whatever the request's time: an earlier time
// can take a consent away (it was not given yet then) but never bring back
// one withdrawn, nor lift an objection. Replay judges a past moment as it
// was recorded, for an audit.
//
// A rule compares the moment judged only through lib.reached, and its
// package declares the times it compares in a set `changes`. The decision
// reports the nearest change after its time as ValidUntil (valid_until in
// the JSON). Decide keeps decisions in a bounded cache (WithCache; on by
// default) keyed by the request without its time and every fact gathered;
// an entry answers only a request whose time lies between the changes
// around the time it was made. State is read from the stores on every
// Decide, so any change of the subject's state changes the key and is never
// answered from an older entry; a new policy generation empties the cache.
// An extension module that reads the time without declaring `changes` is
// refused by New. A differential test holds cached decisions equal to plain
// evaluations and each decision equal to itself just before its
// valid_until. Decisions from the cache share their Reasons and Obligations
// slices: read them, do not modify them. docs/decisions.md explains this
// for users.
//
// # Audiences
//
// Filter decides one request template for a stream of subjects (a
// newsletter run) and yields the allowed ones, or every one with
// IncludeDenied. It streams, holding one subject at a time.
//
// # Extension modules
//
// WithModule adds a caller's Rego. Its package must be under privacy.ext; its
// `deny` and `obligation` sets are added to the base ones. It cannot remove a
// base reason: the base sets are unions of rules the caller cannot reach.
//
// # Bundles and reloads
//
// LoadBundle reads a catalog file and extension modules from an OPA bundle
// (directory or .tar.gz) with OPA's bundle loader; WithBundle starts an
// engine on it. Reload compiles a new bundle fully, validates its catalog,
// and only then swaps the policy in one atomic step with Generation one
// higher; a bundle that fails is rejected and the running policy keeps
// deciding. Decide loads the policy once at its start, so a decision is
// made wholly under the old or wholly under the new policy and never waits
// for a compile. WatchBundle polls a bundle's files and reloads on change.
//
// # Decision log
//
// WithDecisionLog writes every decision to a slog.Logger: the policy
// (version, catalog hash, modules hash, bundle revision, generation), the
// request with the subject id replaced by Pseudonym(key, id), the consent and
// subject state the engine read, and the outcome by codes. The raw subject
// id is never written, so the log can be kept where the stores' data cannot;
// an auditor reproduces a decision from the record as docs/operations.md describes.
//
// # Failure
//
// Failure is closed. A store error, a store that panics (the panic stops at
// the store call), state a store returns for another subject than the one
// asked about, a context whose deadline passes before the decision is made,
// an evaluation error (builtin errors are strict), or a result of an
// unexpected shape returns a denial with reason evaluation.failed and an
// error wrapping privacy.ErrEvaluation. The errors Decide returns name the
// subject by a keyed pseudonym (Pseudonym, under the decision log's key or
// a random one), never by the raw id. An invalid
// request returns a denial with request.invalid and an error wrapping
// privacy.ErrInvalidRequest that names the field. Decide never returns an
// allowed decision together with an error.
package policies
