package privacy

//go:generate go run ./internal/reasondoc/gen -o docs/reason-codes.md

// Reason codes. They are stable: a service may switch on them. Each is
// described once, in the table ReasonCodes returns, from which
// docs/reason-codes.md is generated. A denial carries every code that
// applies.
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
	// ReasonRetentionExpired: the subject's data in a category is past the
	// retention period of the catalog's rule for it (Art. 5(1)(e)); it may
	// no longer be processed, only erased.
	ReasonRetentionExpired = "retention.expired"
	// ReasonTransferDerogationNotApplicable: the request names an Art. 49
	// derogation (or an international agreement) that does not cover the
	// transfer: a systematic transfer, (a)-(c) for a disclosure to a
	// public authority (49(3)), no explicit consent to the transfer on
	// record, a purpose that serves no contract or no legal claim.
	ReasonTransferDerogationNotApplicable = "transfer.derogation_not_applicable"
	// ReasonDisclosureForeignAuthority: a disclosure on legal_obligation
	// to an authority or court outside the EEA, whose order is no legal
	// obligation under Union or member-state law unless an international
	// agreement or an Art. 49 derogation covers it (Art. 48, 6(3)).
	ReasonDisclosureForeignAuthority = "disclosure.foreign_authority"
	// ReasonBasisRecipientMismatch: the basis cannot serve a disclosure to
	// the recipient's kind, such as contract for a disclosure to a tax
	// authority (a legal obligation).
	ReasonBasisRecipientMismatch = "basis.recipient_mismatch"
	// ReasonConsentNotAffirmative: the consent on record was given by a
	// pre-ticked box, silence, implication or continued use, which is not
	// consent (Art. 4(11), Recital 32, CJEU C-673/17 Planet49).
	ReasonConsentNotAffirmative = "consent.not_affirmative"
	// ReasonConsentRenewalDue: the consent is older than the purpose's
	// maximum age (Purpose.ConsentMaxAge or Catalog.ConsentRenewal) and
	// must be asked again.
	ReasonConsentRenewalDue = "consent.renewal_due"
	// ReasonSecurityUnencryptedInTransit: a category whose minimum
	// protection in transit is encryption (Category.Transit: meeting
	// recordings, guest data) sent to a recipient without it; financial
	// data keeps its own code, ReasonSecurityUnencryptedFinance.
	ReasonSecurityUnencryptedInTransit = "security.unencrypted_in_transit"
	// ReasonSpecialCategoryNotPermitted: a category that may hold special
	// categories of data (Category.Special: meeting recordings) used for
	// a purpose not marked SpecialCategories, or sent to a partner, third
	// party or individual outside a legal purpose, without the customer's
	// attestation that it holds none (Art. 9(1)-(2)).
	ReasonSpecialCategoryNotPermitted = "special_category.not_permitted"
	// ReasonProfilingChild: profiling, or profiling for marketing, of a
	// subject under 18, which no consent permits (Recital 38, 71).
	ReasonProfilingChild = "profiling.child"
	// ReasonEvaluationFailed is returned, with an error, when a decision
	// could not be evaluated at all (a store or policy failure). Failure is
	// closed: the decision is a denial. The engine, not the policy, gives
	// it.
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
	// ObligationInformController: the operator, as processor, discloses a
	// controller's data because the law requires it: it tells the
	// controller first, unless that law forbids it (Art. 28(3)(a)).
	ObligationInformController = "inform_controller"
	// ObligationObjectionOverridden: the subject objected to processing
	// on legitimate interests or public task and it goes on, for legal
	// claims or on an assessment of compelling grounds recorded for that
	// subject (subject.Assess): tell the subject why, and of the right to
	// complain (Art. 12(4), 21(1)).
	ObligationObjectionOverridden = "objection_overridden"
)

// CodeInfo describes a reason or obligation code: the legal provision it
// rests on and, in plain language, when it applies. The policy clause a
// reason quotes is the catalog's (Catalog.Clauses), since it names a
// heading of the company's own policy.
type CodeInfo struct {
	Code    string
	Article string
	// When says in plain language when the code applies (for an
	// obligation: when it is required and what to do).
	When string
}

// reasonCodes is the one table of reason codes. Adding a code means its
// rule in the policy, its entry here and its Rego test; a test checks
// that the policy emits every code here and nothing else.
var reasonCodes = []CodeInfo{
	{ReasonRequestInvalid, "GDPR Art. 5(2)",
		"missing subject id/kind, purpose or data; unknown subject kind, recipient kind or safeguard; malformed country or time (the Go API also returns an error wrapping ErrInvalidRequest that names the field)"},
	{ReasonDataUnknownCategory, "GDPR Art. 5(1)(b)-(c), 30(1)(c)",
		"a data key the catalog does not know"},
	{ReasonPurposeUndeclared, "GDPR Art. 5(1)(b), 6(4), 13(1)(c)",
		"a purpose the catalog does not declare (\"we will ask for your consent before we use … for any purpose other than …\")"},
	{ReasonPurposeSubjectNotCovered, "GDPR Art. 5(1)(b)",
		"the purpose does not apply to this subject kind"},
	{ReasonPurposeCategoryNotPermitted, "GDPR Art. 5(1)(b)-(c)",
		"a category outside the purpose's list, or of another subject kind (purpose limitation, minimisation)"},
	{ReasonBasisNotDeclared, "GDPR Art. 6(1), 13(1)(c)",
		"the named basis is not one the purpose declares for the subject's kind"},
	{ReasonConsentMissing, "GDPR Art. 6(1)(a), 7(1)",
		"consent basis and no consent on record, or the subject refused"},
	{ReasonConsentWithdrawn, "GDPR Art. 7(3)",
		"the latest consent event is a withdrawal"},
	{ReasonConsentExpired, "GDPR Art. 6(1)(a), 7(1)",
		"the consent's expiry has passed at the request's time, or the ledger recorded its expiry"},
	{ReasonConsentStaleVersion, "GDPR Art. 4(11), 7(1)",
		"consent given under a policy version older than the purpose's last material change (consent_version); versions compare part by part, any number of parts, 1.2 equal to 1.2.0"},
	{ReasonConsentGuardianRequired, "GDPR Art. 8(1)",
		"subject younger than the age of digital consent of their country (NL 16, default 16) and no guardian authorisation on the consent"},
	{ReasonLINoAssessment, "GDPR Art. 5(2), 6(1)(f)",
		"legitimate interests without a legitimate-interest assessment in the catalog"},
	{ReasonLIChild, "GDPR Art. 6(1)(f)",
		"legitimate interests, subject under 18, and the assessment does not cover children"},
	{ReasonObjectionActive, "GDPR Art. 21",
		"the subject objected and neither legal claims nor an assessment of compelling grounds recorded for that subject after the objection (subject.Assess) lets the processing go on; absolute for direct marketing; a GPC signal objects to direct marketing and sale (Art. 21(5)); an objection to a purpose on consent counts as a withdrawal of the consent given before it (a consent given again after it counts)"},
	{ReasonRestrictionActive, "GDPR Art. 18",
		"processing restricted; only legal purposes remain"},
	{ReasonSubjectDeactivated, "GDPR Art. 17(1), 17(3)",
		"account deactivated or erased; only legal purposes remain"},
	{ReasonProcessorOutsideInstruction, "GDPR Art. 28(3)(a), 28(10), 29",
		"data of a subject the operator processes as a processor (a guest), for a purpose outside the controller's instructions, unless on a legal obligation (Art. 28(3)(a): processing the law requires needs no instruction; the controller is told first, obligation inform_controller)"},
	{ReasonDisclosureSaleProhibited, "GDPR Art. 5(1)(a)-(b), 6(1)",
		"a sale or rental of the data, or any disclosure to a third party for direct marketing (\"We do not sell or rent…\")"},
	{ReasonDisclosureProcessorNoDPA, "GDPR Art. 28(3)-(4)",
		"a processor or affiliate without a data-processing agreement, or, for data the operator holds as a processor (guest data), a business partner without one: it would be a sub-processor (Art. 28(2), 28(4))"},
	{ReasonDisclosureRecipientNotAllow, "GDPR Art. 5(1)(b), 13(1)(e)",
		"a recipient kind the purpose does not allow"},
	{ReasonTransferNoSafeguard, "GDPR Art. 44-46",
		"recipient outside the EEA without an adequacy decision in force at the request's time (the US only with dpf) and without an Art. 46 safeguard; an unknown country counts as outside; a private individual (a referral) is no importer and needs none"},
	{ReasonAutomatedDecisionNotAllowed, "GDPR Art. 22",
		"an automated decision with legal or similar effect where the catalog or Art. 22(2) does not allow it, or one on a category that may hold special categories of data other than on consent or legal_obligation (Art. 22(4))"},
	{ReasonSecurityUnencryptedFinance, "GDPR Art. 32(1)(a)",
		"financial data sent to a recipient without encryption in transit"},
	{ReasonRetentionExpired, "GDPR Art. 5(1)(e), 17(1)(a)",
		"a category past the retention period of its catalog rule, counted from the subject's recorded trigger (account closed, last activity …); legal purposes are exempt"},
	{ReasonTransferDerogationNotApplicable, "GDPR Art. 49(1), 49(3); Recital 111",
		"the recipient's derogation does not cover the transfer: a systematic transfer (recipient.occasional false), Art. 49(1)(a)-(c) for a disclosure to a public authority, no explicit consent to that transfer on record (or one a child under the age of digital consent gave without a guardian, or one past the purpose's maximum age of consent), a purpose that serves no contract with the subject or no legal claim, an international agreement for a recipient that is no authority or for a disclosure on no legal obligation (Art. 48 recognises orders only)"},
	{ReasonDisclosureForeignAuthority, "GDPR Art. 48, 6(3)",
		"a disclosure on legal_obligation to an authority or court of a country outside the EEA (recipient.jurisdiction, else recipient.country), with no international agreement and no Art. 49 derogation that applies: a foreign order is not a legal obligation under Union or member-state law"},
	{ReasonBasisRecipientMismatch, "GDPR Art. 6(1)(b)-(c)",
		"the basis cannot serve a disclosure to the recipient's kind: contract for a public authority (a tax authority's demand is a legal obligation), legal_obligation for a partner or an individual; the engine tries the purpose's next basis"},
	{ReasonConsentNotAffirmative, "GDPR Art. 4(11), 7(1); Recital 32",
		"the consent on record was given by a pre-ticked box, silence, implication or continued use (consent.Record.Act), which is not consent (CJEU C-673/17 Planet49)"},
	{ReasonConsentRenewalDue, "GDPR Art. 7(1), 5(2); EDPB Guidelines 05/2020",
		"the consent is older than the purpose's maximum age (consent_max_age, else the catalog's consent_renewal default) at the request's time: ask again"},
	{ReasonSecurityUnencryptedInTransit, "GDPR Art. 32(1)(a)",
		"a category the catalog requires encrypted in transit (transit: encrypted; meeting recordings, guest data) sent to a recipient without encryption; financial data keeps security.unencrypted_financial"},
	{ReasonSpecialCategoryNotPermitted, "GDPR Art. 9(1)-(2)",
		"a category that may hold special categories of data (special: possible; meeting recordings) used for a purpose the catalog does not mark special_categories, or disclosed to a partner, third party or individual outside a legal purpose, unless the customer attested it holds none (processor.no_special_categories)"},
	{ReasonProfilingChild, "GDPR Recital 38, 71; Art. 22",
		"a purpose that profiles (marketing.profiling) for a subject under 18, whatever their or a guardian's consent"},
	{ReasonEvaluationFailed, "GDPR Art. 5(2), 24(1)",
		"the decision could not be evaluated (a store, policy or deadline failure): returned with an error, never an allow"},
}

// obligationCodes is the one table of obligation codes.
var obligationCodes = []CodeInfo{
	{ObligationEncryptInTransit, "GDPR Art. 32",
		"financial data, or a category the catalog requires encrypted in transit, leaves the system: send it only over an encrypted channel"},
	{ObligationMinimize, "GDPR Art. 5(1)(c)",
		"a business partner receives data: give only the minimum necessary"},
	{ObligationIncludeUnsubscribe, "GDPR Art. 21(2)-(4); ePrivacy Directive Art. 13(2)",
		"direct marketing: every message carries a working unsubscribe link"},
	{ObligationInformProfiling, "GDPR Art. 13(2)(f), 14(2)(g)",
		"profiling: tell the subject about it, its significance and its likely consequences"},
	{ObligationHumanReview, "GDPR Art. 22(3)",
		"profiling or an allowed automated decision: offer human intervention, a way to express a view and to contest"},
	{ObligationLogDisclosure, "GDPR Art. 15(1)(c), 30(1)(d)",
		"any recipient: log the disclosure for the subject's right of access"},
	{ObligationRecordTransferSafeguard, "GDPR Art. 30(1)(e), 44-46",
		"a recipient outside the EEA: record the adequacy decision or safeguard that covers the transfer"},
	{ObligationInformController, "GDPR Art. 28(3)(a)",
		"the operator as processor (guest data) discloses on legal_obligation: tell the controller before, unless the law forbids it (recipient.inform_prohibited)"},
	{ObligationObjectionOverridden, "GDPR Art. 21(1), 12(4)",
		"the subject objected to processing on legitimate interests or public task and it goes on, for legal claims or on an assessment of compelling grounds recorded for that subject (who, when): tell the subject why, and of the right to complain"},
}

var (
	reasonIndex     = indexCodes(reasonCodes)
	obligationIndex = indexCodes(obligationCodes)
)

func indexCodes(list []CodeInfo) map[string]CodeInfo {
	m := make(map[string]CodeInfo, len(list))
	for _, c := range list {
		m[c.Code] = c
	}
	return m
}

// ReasonCodes returns the table of reason codes, in a fixed order. The
// slice is a copy.
func ReasonCodes() []CodeInfo { return append([]CodeInfo(nil), reasonCodes...) }

// ObligationCodes returns the table of obligation codes, in a fixed order.
// The slice is a copy.
func ObligationCodes() []CodeInfo { return append([]CodeInfo(nil), obligationCodes...) }

// LookupReason returns the table entry of a reason code, and false for a
// code the table does not hold (an extension module's own code).
func LookupReason(code string) (CodeInfo, bool) {
	c, ok := reasonIndex[code]
	return c, ok
}

// LookupObligation returns the table entry of an obligation code, and
// false for a code the table does not hold.
func LookupObligation(code string) (CodeInfo, bool) {
	c, ok := obligationIndex[code]
	return c, ok
}
