package dsar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
)

// Kind is the right a data-subject request exercises.
type Kind string

// The kinds of request. Each names the GDPR article it answers.
const (
	// KindAccess: a copy of the subject's data and the Art. 15(1)
	// information about its processing.
	KindAccess Kind = "access"
	// KindPortability: the data the subject provided, processed on consent
	// or contract, in a machine-readable format (Art. 20).
	KindPortability Kind = "portability"
	// KindRectification: correction of inaccurate data (Art. 16).
	KindRectification Kind = "rectification"
	// KindErasure: deletion or anonymisation of the subject's data, except
	// what the law keeps (Art. 17).
	KindErasure Kind = "erasure"
	// KindRestriction: processing restricted to storage and legal purposes
	// (Art. 18).
	KindRestriction Kind = "restriction"
	// KindObjection: objection to processing for named purposes or to all
	// direct marketing (Art. 21).
	KindObjection Kind = "objection"
	// KindDeactivation: deactivation of the account ("you may request that
	// your account be deactivated"); only legal purposes remain.
	KindDeactivation Kind = "deactivation"
	// KindOffboarding: the record of a customer's offboarding (Art.
	// 28(3)(g)): at the end of its contract, the data processed on its
	// behalf is returned and deleted, or deleted. Made by Desk.Offboard
	// only; Subject names the controller (ID and Controller) and the
	// subject kind whose data it is.
	KindOffboarding Kind = "offboarding"
)

// Kinds lists every request kind.
func Kinds() []Kind {
	return []Kind{KindAccess, KindPortability, KindRectification, KindErasure,
		KindRestriction, KindObjection, KindDeactivation, KindOffboarding}
}

// Article returns the provision the kind answers, such as "GDPR Art. 15".
func (k Kind) Article() string {
	switch k {
	case KindAccess:
		return "GDPR Art. 15"
	case KindPortability:
		return "GDPR Art. 20"
	case KindRectification:
		return "GDPR Art. 16"
	case KindErasure:
		return "GDPR Art. 17"
	case KindRestriction:
		return "GDPR Art. 18"
	case KindObjection:
		return "GDPR Art. 21"
	case KindDeactivation:
		return "GDPR Art. 17, 21 (policy: account deactivation)"
	case KindOffboarding:
		return "GDPR Art. 28(3)(g)"
	}
	return ""
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds(), k) }

// fansOut reports whether the kind is fulfilled by the sources (as opposed
// to the subject state alone).
func (k Kind) fansOut() bool {
	switch k {
	case KindAccess, KindPortability, KindRectification, KindErasure:
		return true
	}
	return false
}

// Status is where a request stands in its workflow.
type Status string

// The states of a request. Completed and rejected are final.
const (
	// StatusReceived: recorded, identity not yet verified.
	StatusReceived Status = "received"
	// StatusVerified: identity verified (or the controller instructed);
	// ready to run.
	StatusVerified Status = "verified"
	// StatusInProgress: fanned out to the sources; some are not done yet.
	StatusInProgress Status = "in_progress"
	// StatusCompleted: every source done and the subject state written.
	StatusCompleted Status = "completed"
	// StatusRejected: refused (manifestly unfounded or excessive,
	// Art. 12(5); identity not established, Art. 12(6); the controller
	// declined).
	StatusRejected Status = "rejected"
	// StatusForwarded: the operator is a processor for this subject; the
	// request was forwarded to the controller, which has not yet
	// instructed.
	StatusForwarded Status = "forwarded"
	// StatusBlocked: a step of the Desk's own (the holds, the subject
	// state, the consent evidence) failed with an error that running
	// again cannot cure, such as a store refusing the subject id or the
	// state; Request.Blocked says which step and why. The request still
	// counts against its deadline. Run leaves it alone and returns
	// ErrBlocked; an operator removes the cause and calls Desk.Resume, or
	// rejects it when no source has run yet.
	StatusBlocked Status = "blocked"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool { return s.Open() || s.Final() || s == StatusForwarded }

// Final reports whether no further step changes the request.
func (s Status) Final() bool { return s == StatusCompleted || s == StatusRejected }

// Open reports whether the request still counts against its deadline:
// neither final nor forwarded (a forwarded request is the controller's to
// answer until it instructs).
func (s Status) Open() bool { return slices.Contains(OpenStatuses(), s) }

// OpenStatuses returns the statuses Open reports, for stores that select
// open requests in a query.
func OpenStatuses() []Status {
	return []Status{StatusReceived, StatusVerified, StatusInProgress, StatusBlocked}
}

// Request is a data-subject request and everything done about it.
type Request struct {
	// ID is assigned by the Desk.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Subject is whose data the request is about. Kind is required;
	// Controller is required where the operator is a processor for the
	// kind.
	Subject privacy.Subject `json:"subject"`
	// RequestedBy is who asked: the subject, or someone acting for them.
	RequestedBy string `json:"requested_by"`
	// Channel is how the request arrived, such as "email".
	Channel    string    `json:"channel,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	// Due is the last day to answer, as midnight UTC of that date (see
	// DueDate): one calendar month after receipt, or later when extended.
	Due time.Time `json:"due"`
	// Extension is set when the deadline was extended (Art. 12(3)).
	Extension *Extension `json:"extension,omitempty"`
	Status    Status     `json:"status"`
	// Verification is the latest identity verification.
	Verification Verification `json:"verification"`

	// Categories narrows an access, portability or erasure request to
	// these catalog categories (parents allowed); empty means all of the
	// subject kind's categories.
	Categories []string `json:"categories,omitempty"`
	// Purposes are the purposes an objection is to.
	Purposes []string `json:"purposes,omitempty"`
	// DirectMarketing makes an objection one to all direct marketing
	// (Art. 21(2)), present and future purposes alike.
	DirectMarketing bool `json:"direct_marketing,omitempty"`
	// Corrections are what a rectification request asks to change.
	Corrections []Correction `json:"corrections,omitempty"`
	// Return marks an offboarding whose customer chose to have its data
	// returned before it is deleted.
	Return bool `json:"return,omitempty"`
	// Note is free text from the subject or the operator.
	Note string `json:"note,omitempty"`

	// Sources holds each source's outcome, sorted by source name.
	Sources []Outcome `json:"sources,omitempty"`
	// Exemptions lists the categories an erasure kept, and why: while it
	// runs, every held category of its scope; once completed, those the
	// sources held data in.
	Exemptions []Exemption `json:"exemptions,omitempty"`
	// Notices lists, once a rectification, erasure or restriction has
	// completed, the recipients to tell of it and whether each was told
	// (Art. 19); the subject may ask for this list.
	Notices []Notice `json:"notices,omitempty"`
	// Disclosed is, once an access or portability request has completed
	// on a Desk with a disclosure log (WithDisclosures), what the log
	// showed of the recipients the data in scope went to (Art. 15(1)(c));
	// nil without a log. Export states it.
	Disclosed *Disclosed `json:"disclosed,omitempty"`
	// Refusal is, for a request the operator rejected (Desk.Reject) or an
	// objection that changes nothing for some purpose it names (one on
	// contract or legal obligation, Art. 21(1)), what the subject is told
	// (Art. 12(4)): why no action is taken, and the remedies open to them.
	Refusal *Refusal `json:"refusal,omitempty"`
	// Trail is the audit trail: every step, in order.
	Trail []Entry `json:"trail"`
	// Blocked says, while Status is StatusBlocked, which step could not
	// proceed and why (the error, with no subject id in it).
	Blocked string `json:"blocked,omitempty"`
	// ClosedAt is when the request reached a final state.
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// Extended reports whether the deadline was extended.
func (r *Request) Extended() bool { return r.Extension != nil }

// Overdue reports whether the request is open and its due date lies before
// today's date. today is read as a calendar date in its own location.
func (r *Request) Overdue(today time.Time) bool {
	return r.Status.Open() && r.Due.Before(Date(today))
}

// Outcome returns the outcome of the named source, or nil.
func (r *Request) Outcome(source string) *Outcome {
	for i := range r.Sources {
		if r.Sources[i].Source == source {
			return &r.Sources[i]
		}
	}
	return nil
}

// Validate checks the fields the caller supplies and the store needs,
// naming the first at fault in a *privacy.ValidationError.
func (r *Request) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if err := privacy.CheckID("id", r.ID); err != nil {
		return err
	}
	if err := r.checkIDs(); err != nil {
		return err
	}
	switch {
	case !r.Kind.Valid():
		return bad("kind", "must be one of %v, got %q", Kinds(), r.Kind)
	case r.Subject.Kind == "":
		return bad("subject.kind", "is required")
	}
	// Times in the range every store keeps (privacy.CheckTime).
	if err := cmp.Or(privacy.CheckRequiredTime("received_at", r.ReceivedAt), privacy.CheckRequiredTime("due", r.Due)); err != nil {
		return err
	}
	switch {
	case !r.Status.Valid():
		return bad("status", "must be one of %v, got %q", statuses(), r.Status)
	case r.Status == StatusBlocked && strings.TrimSpace(r.Blocked) == "":
		return bad("blocked", "is required for a blocked request: the reason an operator acts on")
	case r.Kind == KindObjection && len(r.Purposes) == 0 && !r.DirectMarketing:
		return bad("purposes", "an objection names at least one purpose or direct_marketing")
	case r.Kind == KindRectification && len(r.Corrections) == 0:
		return bad("corrections", "a rectification names at least one correction")
	}
	for i, c := range r.Corrections {
		if strings.TrimSpace(c.Category) == "" {
			return bad(fmt.Sprintf("corrections[%d].category", i), "is required")
		}
		if c.Value == nil {
			return bad(fmt.Sprintf("corrections[%d].value", i), "is required: the correct value")
		}
	}
	return nil
}

// checkIDs checks the identifiers the caller gives a request (the
// subject's id and controller, who asked) with privacy.CheckID, so that a
// request the state store would refuse is refused when it is opened.
func (r *Request) checkIDs() error {
	ids := []struct{ field, id string }{
		{"subject.id", r.Subject.ID}, {"requested_by", r.RequestedBy},
	}
	if r.Subject.Controller != "" {
		ids = append(ids, struct{ field, id string }{"subject.controller", r.Subject.Controller})
	}
	for _, x := range ids {
		if err := privacy.CheckID(x.field, x.id); err != nil {
			return err
		}
	}
	return nil
}

func statuses() []Status {
	return append(OpenStatuses(), StatusForwarded, StatusCompleted, StatusRejected)
}

// Extension records an extension of the deadline (Art. 12(3)).
type Extension struct {
	// Months is the number of further months, 1 or 2.
	Months int `json:"months"`
	// Reason is why: the complexity or number of requests.
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Verification is the state of the subject's identity verification.
type Verification struct {
	// Status is "" (not attempted), "passed" or "failed".
	Status VerificationStatus `json:"status,omitempty"`
	// Method is how identity was checked, such as "email_link" or, for
	// a processor's subject, "controller_instruction".
	Method string    `json:"method,omitempty"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Note   string    `json:"note,omitempty"`
}

// VerificationStatus is the result of an identity verification.
type VerificationStatus string

// The results of a verification.
const (
	VerificationPassed VerificationStatus = "passed"
	VerificationFailed VerificationStatus = "failed"
)

// Correction is one change a rectification asks for.
type Correction struct {
	// Category is the catalog category of the data to correct.
	Category string `json:"category"`
	// Value is the correct value; anything encoding/json can marshal.
	Value any `json:"value"`
}

// OutcomeStatus is where one source stands in a request.
type OutcomeStatus string

// The states of a source's outcome.
const (
	OutcomePending OutcomeStatus = "pending"
	// OutcomeRunning: claimed by a Run; another Run leaves it alone until
	// the Desk's lease passes (a crashed run).
	OutcomeRunning OutcomeStatus = "running"
	OutcomeDone    OutcomeStatus = "done"
	OutcomeFailed  OutcomeStatus = "failed"
	// OutcomeRetired: the source was taken out of service before it did
	// its part, and what it held no longer exists (Desk.Retire); the
	// request completes without it.
	OutcomeRetired OutcomeStatus = "retired"
)

// settled reports whether a source has nothing left to do for the
// request: done, or retired.
func (s OutcomeStatus) settled() bool { return s == OutcomeDone || s == OutcomeRetired }

// Outcome is what one source did for a request.
type Outcome struct {
	Source string        `json:"source"`
	Status OutcomeStatus `json:"status"`
	// Attempts counts the runs that called the source.
	Attempts int `json:"attempts"`
	// Error is the last failure's message.
	Error string `json:"error,omitempty"`
	// StartedAt is when the last attempt started; FinishedAt when it ended.
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Records are what the source exported (access, portability). They are
	// the response to the subject; an erasure of the subject clears them.
	Records []Record `json:"records,omitempty"`
	// Erased is what the source erased (erasure).
	Erased []Erased `json:"erased,omitempty"`
	// Kept lists the categories the source still holds under an exemption
	// (erasure).
	Kept []string `json:"kept,omitempty"`
	// Rectified counts the records the source corrected (rectification).
	Rectified int `json:"rectified,omitempty"`
}

// Entry is one step of a request's audit trail.
type Entry struct {
	At time.Time `json:"at"`
	// Actor is who took the step: an operator, the controller, or "desk"
	// for the Desk's own steps.
	Actor string `json:"actor"`
	// Action names the step: opened, verified, verification_failed,
	// extended, forwarded, instructed, started, source_done,
	// source_failed, source_retired, exempted, state_written,
	// objection_without_effect, consent_pseudonymised,
	// exports_cleared, returned, recipients_listed, recipient_notified,
	// recipient_exempt, step_failed, blocked, resumed, completed, rejected.
	Action string `json:"action"`
	Source string `json:"source,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Filter selects requests in RequestStore.List. Zero fields select all.
type Filter struct {
	SubjectID string
	Status    Status
	// OverdueOn selects open requests (Status.Open) whose due date lies
	// before this date (midnight UTC, see Date).
	OverdueOn time.Time
}

// Match reports whether r passes the filter. Stores may use it.
func (f Filter) Match(r *Request) bool {
	return (f.SubjectID == "" || r.Subject.ID == f.SubjectID) &&
		(f.Status == "" || r.Status == f.Status) &&
		(f.OverdueOn.IsZero() || (r.Status.Open() && r.Due.Before(f.OverdueOn)))
}

// Refusal is what a subject whose request is rejected is told (Art.
// 12(4)): the reasons for not taking action, and the possibility of
// lodging a complaint with a supervisory authority and of seeking a
// judicial remedy.
type Refusal struct {
	Reason   string   `json:"reason"`
	Remedies []string `json:"remedies"`
}

// Remedies are the remedies a Refusal names (Art. 12(4), 77, 79).
var Remedies = []string{
	"lodging a complaint with a supervisory authority, in particular in the EU member state where you live or work or where the alleged infringement took place (GDPR Art. 77)",
	"an effective judicial remedy against the controller, before the courts of the member state where it is established or where you live (GDPR Art. 79)",
}

// Errors the Desk and stores return. Each wraps a privacy sentinel so that
// privacy.ErrorCode maps it.
var (
	// ErrNotFound: no request with that id.
	ErrNotFound = fmt.Errorf("request %w", privacy.ErrNotFound)
	// ErrTransition: the request's state does not allow the step.
	ErrTransition = fmt.Errorf("request state %w", privacy.ErrConflict)
	// ErrNotVerified: the step needs a verified identity (Art. 12(6)).
	ErrNotVerified = fmt.Errorf("identity not verified: %w", privacy.ErrConflict)
	// ErrBlocked: the request is blocked (StatusBlocked); an operator
	// removes the cause and resumes it (Desk.Resume).
	ErrBlocked = fmt.Errorf("request blocked: %w", privacy.ErrConflict)
	// ErrIncomplete: a Run ended with sources not done; run it again.
	ErrIncomplete = errors.New("request incomplete: some sources failed")
	// ErrNoSource: the request runs over the services' data (access,
	// portability, rectification, erasure) and the Desk has no source
	// registered (WithSource); it is left as it was.
	ErrNoSource = fmt.Errorf("no source registered: %w", privacy.ErrConflict)
	// ErrNoControllerData: an offboarding names a controller no source
	// holds data for and never offboarded (a mistyped customer id);
	// nothing is recorded.
	ErrNoControllerData = fmt.Errorf("no source holds data for the controller: %w", privacy.ErrNotFound)
)

// RequestStore keeps data-subject requests.
//
// Guarantees every implementation gives, and the conformance suite
// (storetest) checks: Create and Update are atomic. Update is
// serialised per request: fn sees the latest stored request, and concurrent
// Updates of one request (the Desk records each source's outcome from its
// own goroutine) never lose a change. A successful write is visible to the
// next read on the same store and, for shared stores, in every process
// using it. Requests come back exactly as stored: times as the same
// instants, source outcomes and trail in their order, record values as
// their JSON encoding decodes.
type RequestStore interface {
	// Create validates and stores a new request. It returns a
	// *privacy.ValidationError for a bad request and an error wrapping
	// privacy.ErrConflict when the id is taken.
	Create(ctx context.Context, r Request) error
	// Request returns the request with the id, or ErrNotFound.
	Request(ctx context.Context, id string) (Request, error)
	// Update reads the request, calls fn on it and stores the result in
	// one transaction, returning what it stored. An error from fn aborts,
	// changes nothing and is returned; a missing request is ErrNotFound;
	// fn may not change the id.
	Update(ctx context.Context, id string, fn func(*Request) error) (Request, error)
	// List returns the requests the filter selects, oldest receipt first
	// (ties by id), or an empty slice.
	List(ctx context.Context, f Filter) ([]Request, error)
}
