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
// allowed decisions. The rules, in short:
//
//   - consent: no record or a refusal is consent.missing; a withdrawal,
//     consent.withdrawn; an expiry event or an expiry time at or before the
//     request's time, consent.expired; consent given under a policy version
//     older than the purpose's consent_version, consent.stale_version; a
//     subject younger than the age of digital consent of their country
//     without a guardian's consent, consent.guardian_required (Art. 8).
//   - legitimate interests: without an assessment,
//     legitimate_interests.no_assessment; a subject under 18 when the
//     assessment does not cover children, legitimate_interests.child; an
//     objection to the purpose without compelling grounds, objection.active
//     (Art. 21(1)). An objection to a purpose on consent is taken as a
//     withdrawal and also denies (objection.active); on contract, legal
//     obligation or a controller's instruction it has no effect.
//   - direct marketing: an objection to the purpose or to all direct
//     marketing, or a GPC signal, is objection.active whatever the basis
//     (Art. 21(2)-(3), (5)); GPC also objects to a sale.
//   - restriction and deactivation stop everything but the catalog's legal
//     purposes.
//   - guests (a subject kind for which the operator is processor) only for
//     the controller's instructions: processor.outside_instructions.
//   - recipients: a sale, or a third party for direct marketing, is
//     disclosure.sale_prohibited; processors and affiliates need a DPA; the
//     purpose must allow the recipient kind; outside the EEA the country
//     needs an adequacy decision (the US only with dpf) or an Art. 46
//     safeguard (scc, bcr, code_of_conduct, certification); an unknown
//     country counts as outside without adequacy; an adequacy decision with
//     an end date covers processing before it only. A private individual
//     (a referral) is no importer under Chapter V: no transfer rule
//     applies.
//   - retention: a category past its rule's period from the subject's
//     recorded trigger (subject.RecordLifecycle) is retention.expired,
//     except for legal purposes; with WithRetentionOverrides, a guest's
//     controller's choice of period applies, within the rule's bounds.
//   - automated decisions only where the catalog allows them and on
//     contract, consent or legal obligation (Art. 22(2)).
//   - financial categories sent to a recipient need encryption in transit.
//
// # Decision cache
//
// Decide keeps the decisions it makes in a bounded cache (WithCache; on by
// default). The key is a canonical encoding of everything the evaluation
// reads: the policy generation, every request field, the consent and
// subject state read for the decision, and whether the consent had expired
// at the request's time. State is still read from the stores on every
// Decide, so a write changes the key and is never answered from an older
// entry; a new policy generation empties the cache. Under the base policy
// the subject's id is only quoted in messages, so entries are made with a
// placeholder id and serve every subject with the same facts; with
// extension modules, whose rules may read anything, the id and the raw
// request and expiry times are part of the key. A differential test holds
// cached decisions equal to plain evaluations. Decisions from the cache
// share their Reasons and Obligations slices: read them, do not modify them.
//
// # Audiences
//
// Filter decides one request template for a stream of subjects (a
// newsletter run) and yields the allowed ones, or every one with
// IncludeDenied. It streams and, through the cache, evaluates about once
// per distinct group of subject facts and state.
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
// an auditor reproduces a decision from the record as the README describes.
//
// # Failure
//
// Failure is closed. A store error, an evaluation error (builtin errors are
// strict), or a result of an unexpected shape returns a denial with reason
// evaluation.failed and an error wrapping privacy.ErrEvaluation. An invalid
// request returns a denial with request.invalid and an error wrapping
// privacy.ErrInvalidRequest that names the field. Decide never returns an
// allowed decision together with an error.
package policies
