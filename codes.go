package privacy

// Reason codes. They are stable: a service may switch on them, and the README
// documents each. A denial carries every code that applies.
const (
	ReasonRequestInvalid              = "request.invalid"
	ReasonDataUnknownCategory         = "data.unknown_category"
	ReasonPurposeUndeclared           = "purpose.undeclared"
	ReasonPurposeSubjectNotCovered    = "purpose.subject_not_covered"
	ReasonPurposeCategoryNotPermitted = "purpose.category_not_permitted"
	ReasonBasisNotDeclared            = "basis.not_declared"
	ReasonConsentMissing              = "consent.missing"
	ReasonConsentWithdrawn            = "consent.withdrawn"
	ReasonConsentExpired              = "consent.expired"
	ReasonConsentStaleVersion         = "consent.stale_version"
	ReasonConsentGuardianRequired     = "consent.guardian_required"
	ReasonLINoAssessment              = "legitimate_interests.no_assessment"
	ReasonLIChild                     = "legitimate_interests.child"
	ReasonObjectionActive             = "objection.active"
	ReasonRestrictionActive           = "restriction.active"
	ReasonSubjectDeactivated          = "subject.deactivated"
	ReasonProcessorOutsideInstruction = "processor.outside_instructions"
	ReasonDisclosureSaleProhibited    = "disclosure.sale_prohibited"
	ReasonDisclosureProcessorNoDPA    = "disclosure.processor_without_dpa"
	ReasonDisclosureRecipientNotAllow = "disclosure.recipient_not_permitted"
	ReasonTransferNoSafeguard         = "transfer.no_safeguard"
	ReasonAutomatedDecisionNotAllowed = "automated_decision.not_permitted"
	ReasonSecurityUnencryptedFinance  = "security.unencrypted_financial"
	// ReasonEvaluationFailed is returned, with an error, when a decision
	// could not be evaluated at all (a store or policy failure). Failure is
	// closed: the decision is a denial.
	ReasonEvaluationFailed = "evaluation.failed"
)

// Obligation codes, returned on allowed decisions.
const (
	ObligationEncryptInTransit        = "encrypt_in_transit"
	ObligationMinimize                = "minimize"
	ObligationIncludeUnsubscribe      = "include_unsubscribe"
	ObligationInformProfiling         = "inform_profiling"
	ObligationHumanReview             = "human_review"
	ObligationLogDisclosure           = "log_disclosure"
	ObligationRecordTransferSafeguard = "record_transfer_safeguard"
)

// Retention reason codes.
const (
	// ReasonRetentionExpired: the subject's data in a category is past the
	// retention period of the catalog's rule for it (Art. 5(1)(e)) and no
	// hold keeps it; it may no longer be processed, only erased.
	ReasonRetentionExpired = "retention.expired"
)
