// Package consent keeps consent as evidence a regulator accepts (GDPR
// Art. 7(1): the controller must be able to demonstrate that the subject
// consented): an append-only, tamper-evident ledger, receipts a subject can
// be handed, and the consent state the policies engine decides on.
//
// # Records
//
// Every grant, refusal, withdrawal and expiry is a new Record, never an
// update. Its field names follow ISO/IEC TS 27560:2023 (consent record
// information structure) and the Kantara Initiative Consent Receipt v1.1
// where they overlap:
//
//	Record field   ISO/IEC TS 27560          Kantara CR v1.1
//	RecordID       record identifier         consentReceiptID
//	SubjectID      PII principal identifier  piiPrincipalId
//	Controller     PII controller            piiControllers[].piiController
//	Purpose        purpose                   services[].purposes[].purpose
//	Categories     PII categories            piiCategory
//	Event          event type / state        (DPV ConsentGiven, ConsentRefused,
//	                                          ConsentWithdrawn, ConsentExpired)
//	PolicyVersion  notice (version)          policyUrl (the notice itself)
//	NoticeHash     notice (content hash)     -
//	Method         collection method         collectionMethod
//	CollectedBy    event collected by        -
//	CollectedAt    event time                consentTimestamp (epoch seconds)
//	ExpiresAt      validity / duration       termination
//	Language       language                  language
//	Jurisdiction   jurisdiction              jurisdiction
//	Guardian       delegation (Art. 8)       -
//
// Act records the affirmative act (Art. 4(11)) by which consent was
// given: an unticked box, a button, a signed form, a recorded verbal
// statement, or an API with the collecting system named in CollectedBy.
// A pre-ticked box, silence, implied or "continued use" consent is not
// consent (Recital 32, CJEU C-673/17 Planet49): Validate, and so every
// store, refuses a given consent that names one.
//
// Grant is where a grant meets the catalog: it refuses a purpose the
// catalog does not declare, a purpose not processed on consent, a policy
// version newer than the catalog's and an undeclared category, as
// privacyctl does. Withdraw takes the record of the withdrawal, so that
// it names how (Method, Act) and by which system (CollectedBy) it was
// received.
//
// Seq, PrevHash, Hash and SubjectRef are the ledger's own. NewReceipt turns
// a record into a Kantara v1.1 receipt, with the 27560 event and the
// ledger proof added, and DPV IRIs from the catalog where it has them.
//
// # Tamper evidence
//
// A ledger is one chain: each record carries the SHA-256 of its
// predecessor's canonical encoding (PrevHash) and of its own (Hash; see
// Record.Digest). Verify walks the chain in Seq order and reports the first
// record that was changed (Altered), removed (Missing), inserted (Inserted)
// or reordered (Unlinked), and any record no store would have appended
// (Invalid: a blank subject id without a pseudonym, an unknown event, a
// grant by a pre-ticked box …) however well it hashes. Removing the last records, or appending forged
// ones, with their hashes computed, is something no chain can show on its
// own: the SQL stores keep a head row that Verify checks, and whoever needs
// more publishes or escrows a Head (Report.Head after a good Verify) and
// later calls VerifyAgainst with it.
//
// # State and re-consent
//
// State returns the latest record of a subject and purpose at a time (by
// CollectedAt, ties by Seq): facts, not a verdict. The policies engine
// alone decides what they mean: it allows on a given consent that has not
// expired and denies the rest with consent.missing, consent.withdrawn or
// consent.expired, and a consent given under a policy version older than
// the purpose's ConsentVersion in the catalog with consent.stale_version.
// After a material change of a purpose, Resubscriber.Latest lists each
// subject's state for it and policies.Engine.StaleConsents says, by the
// same rule, whom to ask again. Withdraw is one call, as easy as Grant (Art. 7(3)), and takes
// effect on the next State read; Watcher tells caches, in this process and,
// with PostgreSQL, in every other, that a subject's consent changed.
//
// # Erasure and pseudonymised proof
//
// Erasing a subject (Art. 17) must not erase the proof that processing was
// lawful while it happened (Art. 7(1), 5(2), 17(3)(e)). The stores
// therefore hash each record over a pseudonym of its subject, SubjectRef =
// HMAC-SHA256(ledger key, SubjectID), and not over the SubjectID itself.
// Pseudonymiser.Pseudonymise blanks SubjectID in the subject's records and
// leaves everything else: the chain still verifies, and the ledger still
// shows that someone consented to this purpose, under that notice, at that
// time and by that method, without saying who. Should the person (or a
// court) later name the subject, SubjectRef(id) finds their records again;
// without the id and the key, no one can. The key is generated once per
// database and kept in its own table (privacy_consent_keys), apart from the
// records, so that it can be access-restricted; losing it loses only the
// ability to re-link, not the chain. Records written before the ledger had
// keys have no SubjectRef; Pseudonymise leaves them as they are, since
// blanking their SubjectID would break the chain. Because the hash does
// not cover SubjectID, a blank one is checked another way: Pseudonymise
// blanks all of a subject's records at once, so a record blanked while an
// earlier record of the same SubjectRef keeps its id was blanked by hand
// (hiding, say, a withdrawal, so that the grant before it counts again);
// Verify reports it as Altered (ErasureChecker).
//
// # Stores
//
// Store is what every ledger is; Scanner, HeadReader, Batcher,
// Resubscriber, Pseudonymiser and Watcher are the capabilities beyond it,
// together Ledger. The memory, sqlite and postgres packages implement all of
// them and pass one conformance suite.
package consent
