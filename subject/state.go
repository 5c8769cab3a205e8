package subject

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/privacykit/privacy"
)

// Objection is a subject's objection to processing (Art. 21).
type Objection struct {
	// Purpose is the purpose objected to; empty when DirectMarketing is set.
	Purpose string `json:"purpose,omitempty"`
	// DirectMarketing objects to every direct-marketing purpose of the
	// catalog at once (Art. 21(2)), present and future.
	DirectMarketing bool      `json:"direct_marketing,omitempty"`
	At              time.Time `json:"at"`
}

// Assessment is the controller's recorded finding, for one subject, that
// compelling legitimate grounds override that subject's objection to a
// purpose on legitimate interests or public task (Art. 21(1)). Compelling
// grounds are weighed case by case against the subject's particular
// situation, so an assessment holds for the subject and purpose it names
// only, and only once it is made after the objection it answers: the
// policy decides, and an objection stops the processing until then.
// Record one with Assess.
type Assessment struct {
	// Purpose is the purpose objected to.
	Purpose string `json:"purpose"`
	// By names who assessed (a person or role accountable for it).
	By string `json:"by"`
	// Reason states the compelling grounds and why they override the
	// subject's interests, rights and freedoms.
	Reason string `json:"reason"`
	// At is when the assessment was made.
	At time.Time `json:"at"`
}

// MaxReasonBytes bounds the Reason of an Assessment.
const MaxReasonBytes = 16 << 10

// State is what the engine reads about a subject. The zero State (no
// objection, not restricted, active) is the state of a subject never seen.
type State struct {
	SubjectID  string      `json:"subject_id"`
	Objections []Objection `json:"objections"`
	// Assessments holds the assessments of compelling grounds recorded
	// for the subject, at most one per purpose (Assess).
	Assessments []Assessment `json:"assessments,omitempty"`
	// Restricted: processing is restricted (Art. 18); only storage and
	// legal purposes remain.
	Restricted bool `json:"restricted"`
	// Deactivated: the account is deactivated or erased; only legal
	// purposes remain.
	Deactivated bool `json:"deactivated"`
	// Lifecycle holds the times of the subject's retention triggers
	// (account closed, last activity, consent withdrawn …), so that the
	// engine can deny processing of a category past its retention
	// (reason retention.expired). Record them with RecordLifecycle.
	Lifecycle map[privacy.Trigger]time.Time `json:"lifecycle,omitempty"`
	UpdatedAt time.Time                     `json:"updated_at,omitzero"`
}

// Clone returns a copy of s that shares no slice or map with it;
// Objections is never nil in the copy.
func (s State) Clone() State {
	s.Objections = slices.Clone(s.Objections)
	if s.Objections == nil {
		s.Objections = []Objection{}
	}
	s.Assessments = slices.Clone(s.Assessments)
	s.Lifecycle = maps.Clone(s.Lifecycle)
	return s
}

// CheckTimes returns a *privacy.ValidationError naming the first
// objection or lifecycle time that 64-bit nanoseconds cannot hold or
// that is at or before 1970 (privacy.CheckTime), or a lifecycle time that
// is zero (the map holds only triggers that happened); stores call it
// before they keep a state.
func (s *State) CheckTimes() error {
	for i, o := range s.Objections {
		if err := privacy.CheckTime("objections["+strconv.Itoa(i)+"].at", o.At); err != nil {
			return err
		}
	}
	for i, a := range s.Assessments {
		if err := privacy.CheckRequiredTime("assessments["+strconv.Itoa(i)+"].at", a.At); err != nil {
			return err
		}
	}
	for _, tr := range slices.Sorted(maps.Keys(s.Lifecycle)) {
		if err := privacy.CheckRequiredTime("lifecycle."+string(tr), s.Lifecycle[tr]); err != nil {
			return err
		}
	}
	return nil
}

// Check returns a *privacy.ValidationError naming the first field of s
// that no store can keep: what CheckTimes finds, an objection's purpose
// that is not an id (privacy.CheckID) or, for an objection to all direct
// marketing, not empty; an assessment's purpose or assessor that is not
// an id, or a reason that is blank, longer than MaxReasonBytes, not UTF-8
// or holds a NUL byte; a lifecycle trigger that is not an id. Stores call
// it before they keep a state.
func (s *State) Check() error {
	if err := s.CheckTimes(); err != nil {
		return err
	}
	bad := func(field, msg string) error { return &privacy.ValidationError{Field: field, Message: msg} }
	for i, o := range s.Objections {
		field := "objections[" + strconv.Itoa(i) + "].purpose"
		if o.DirectMarketing {
			if o.Purpose != "" {
				return bad(field, "must be empty in an objection to all direct marketing")
			}
			continue
		}
		if err := privacy.CheckID(field, o.Purpose); err != nil {
			return err
		}
	}
	for i, a := range s.Assessments {
		field := "assessments[" + strconv.Itoa(i) + "]."
		if err := cmp.Or(privacy.CheckID(field+"purpose", a.Purpose), privacy.CheckID(field+"by", a.By), checkReason(field+"reason", a.Reason)); err != nil {
			return err
		}
	}
	for _, tr := range slices.Sorted(maps.Keys(s.Lifecycle)) {
		if err := privacy.CheckID("lifecycle", string(tr)); err != nil {
			return err
		}
	}
	return nil
}

// checkReason checks an assessment's reason: given, at most
// MaxReasonBytes, UTF-8 without NUL.
func checkReason(field, r string) error {
	bad := func(format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case strings.TrimSpace(r) == "":
		return bad("is required: state the compelling grounds and why they override the subject's interests")
	case len(r) > MaxReasonBytes:
		return bad("is %d bytes long, more than %d (subject.MaxReasonBytes)", len(r), MaxReasonBytes)
	case !utf8.ValidString(r):
		return bad("is not valid UTF-8")
	case strings.IndexByte(r, 0) >= 0:
		return bad("holds a NUL byte")
	}
	return nil
}

// ObjectsTo reports whether the state holds an objection to the purpose,
// counting an objection to all direct marketing when directMarketing is set.
func (s *State) ObjectsTo(purpose string, directMarketing bool) bool {
	return slices.ContainsFunc(s.Objections, func(o Objection) bool {
		return o.Purpose == purpose || (directMarketing && o.DirectMarketing)
	})
}

// Object adds an objection unless an equal one is on record.
func (s *State) Object(o Objection) {
	if slices.ContainsFunc(s.Objections, func(x Objection) bool {
		return x.Purpose == o.Purpose && x.DirectMarketing == o.DirectMarketing
	}) {
		return
	}
	s.Objections = append(s.Objections, o)
}

// WithdrawObjection removes the objection to the purpose (or, for purpose
// "", the objection to all direct marketing) and reports whether there was
// one.
func (s *State) WithdrawObjection(purpose string) bool {
	n := len(s.Objections)
	s.Objections = slices.DeleteFunc(s.Objections, func(o Objection) bool {
		if purpose == "" {
			return o.DirectMarketing
		}
		return o.Purpose == purpose && !o.DirectMarketing
	})
	return len(s.Objections) != n
}

// Assess keeps a, replacing an assessment for the same purpose.
func (s *State) Assess(a Assessment) {
	s.WithdrawAssessment(a.Purpose)
	s.Assessments = append(s.Assessments, a)
}

// WithdrawAssessment removes the assessment for the purpose and reports
// whether there was one.
func (s *State) WithdrawAssessment(purpose string) bool {
	n := len(s.Assessments)
	s.Assessments = slices.DeleteFunc(s.Assessments, func(a Assessment) bool { return a.Purpose == purpose })
	return len(s.Assessments) != n
}

// StateReader returns a subject's state. It is all the engine needs.
type StateReader interface {
	// State returns the subject's state, the zero State (with SubjectID
	// set) for a subject never seen. It returns an error only when the
	// store fails.
	State(ctx context.Context, subjectID string) (State, error)
}

// SharedStateReader is a StateReader that keeps states in memory and can
// hand one out without copying it (stateview.View's reader is one).
// SharedState answers as State does, but the returned state's Objections
// and Lifecycle belong to the reader: the caller must not modify them. The
// policies engine, which only reads state, uses SharedState when its
// StateReader has it.
type SharedStateReader interface {
	StateReader
	SharedState(ctx context.Context, subjectID string) (State, error)
}

// StateStore keeps subjects' state.
//
// Guarantees every implementation gives, and the conformance suite checks:
// Update is atomic and serialised per subject: fn sees the latest state and
// concurrent Updates of one subject never lose a change. A successful Update
// is visible to the next State on the same store and, for shared stores, in
// every process using it. Objections come back in the order they were made.
type StateStore interface {
	StateReader
	// Update reads the subject's state, calls fn on it and stores the
	// result in one transaction; an error from fn aborts and is returned.
	// UpdatedAt is set by the store.
	Update(ctx context.Context, subjectID string, fn func(*State) error) error
}

func checkID(id string) error { return privacy.CheckID("subject_id", id) }

// Object records an objection of the subject to the purpose, made now. It
// does not know the catalog: use CheckObjection first.
func Object(ctx context.Context, s StateStore, subjectID, purpose string) error {
	return RecordObjection(ctx, s, subjectID, Objection{Purpose: purpose})
}

// ObjectToDirectMarketing records an objection to all direct marketing
// (Art. 21(2)), made now.
func ObjectToDirectMarketing(ctx context.Context, s StateStore, subjectID string) error {
	return RecordObjection(ctx, s, subjectID, Objection{DirectMarketing: true})
}

// RecordObjection records the subject's objection o: to o.Purpose, or with
// DirectMarketing to all direct marketing. o.At is when it was made (now
// when zero), so that a caller with a clock of its own records its time.
func RecordObjection(ctx context.Context, s StateStore, subjectID string, o Objection) error {
	if err := checkID(subjectID); err != nil {
		return err
	}
	switch {
	case o.DirectMarketing && o.Purpose != "":
		return &privacy.ValidationError{Field: "purpose", Message: "must be empty in an objection to all direct marketing"}
	case !o.DirectMarketing:
		if err := privacy.CheckID("purpose", o.Purpose); err != nil {
			return err
		}
	}
	if err := privacy.CheckTime("at", o.At); err != nil {
		return err
	}
	if o.At.IsZero() {
		o.At = time.Now().UTC()
	}
	o.At = o.At.UTC()
	return s.Update(ctx, subjectID, func(st *State) error {
		st.Object(o)
		return nil
	})
}

// CheckObjection checks an objection against the catalog before it is
// recorded (Object and RecordObjection have no catalog): what they check,
// and that the purpose objected to is one the catalog declares. An
// objection to a purpose the catalog does not know (a misspelt key)
// would be recorded and stop nothing. It returns a
// *privacy.ValidationError naming the field, with the nearest purpose.
func CheckObjection(cat *privacy.Catalog, o Objection) error {
	switch {
	case o.DirectMarketing && o.Purpose != "":
		return &privacy.ValidationError{Field: "purpose", Message: "must be empty in an objection to all direct marketing"}
	case o.DirectMarketing:
		return privacy.CheckTime("at", o.At)
	}
	if err := cmp.Or(privacy.CheckID("purpose", o.Purpose), privacy.CheckTime("at", o.At)); err != nil {
		return err
	}
	if cat.Purpose(o.Purpose) == nil {
		return &privacy.ValidationError{Field: "purpose", Message: fmt.Sprintf("the catalog declares no purpose %q%s",
			o.Purpose, privacy.DidYouMean(o.Purpose, cat.PurposeKeys()))}
	}
	return nil
}

// SetRestricted restricts (Art. 18) or lifts the restriction of the subject.
func SetRestricted(ctx context.Context, s StateStore, subjectID string, restricted bool) error {
	if err := checkID(subjectID); err != nil {
		return err
	}
	return s.Update(ctx, subjectID, func(st *State) error {
		st.Restricted = restricted
		return nil
	})
}

// SetDeactivated deactivates or reactivates the subject's account.
func SetDeactivated(ctx context.Context, s StateStore, subjectID string, deactivated bool) error {
	if err := checkID(subjectID); err != nil {
		return err
	}
	return s.Update(ctx, subjectID, func(st *State) error {
		st.Deactivated = deactivated
		return nil
	})
}

// RecordLifecycle records when a retention trigger happened for the
// subject, such as privacy.TriggerAccountClosed when the account closes;
// a zero time forgets it (the account was reopened). Retention periods
// that run from the trigger start at that time.
func RecordLifecycle(ctx context.Context, s StateStore, subjectID string, trigger privacy.Trigger, at time.Time) error {
	if err := checkID(subjectID); err != nil {
		return err
	}
	if err := privacy.CheckID("trigger", string(trigger)); err != nil {
		return err
	}
	if err := privacy.CheckTime("at", at); err != nil {
		return err
	}
	return s.Update(ctx, subjectID, func(st *State) error {
		if at.IsZero() {
			delete(st.Lifecycle, trigger)
			return nil
		}
		if st.Lifecycle == nil {
			st.Lifecycle = map[privacy.Trigger]time.Time{}
		}
		st.Lifecycle[trigger] = at.UTC()
		return nil
	})
}

// Assess records the controller's assessment a that compelling legitimate
// grounds override the subject's objection to a.Purpose (Art. 21(1)),
// replacing an earlier one for that purpose. It is the edge where an
// assessment meets the catalog: a.By and a.Reason must be given
// (a.Reason at most MaxReasonBytes), a.At must be a time not after now,
// and cat must declare a.Purpose on legitimate interests or public task,
// not for direct marketing (an objection to it is absolute, Art. 21(3)),
// with a legitimate-interest assessment that leaves compelling grounds
// open (lawfulbasis.Assessment.CompellingGrounds). The subject must have
// objected to the purpose. Each failure is a *privacy.ValidationError
// naming the field; a subject without that objection is privacy.ErrNotFound.
//
// Whether the assessment lets processing go on is for the policy to
// decide: only for this subject, and only when it was made after the
// objection.
func Assess(ctx context.Context, s StateStore, cat *privacy.Catalog, subjectID string, a Assessment) error {
	if s == nil || cat == nil {
		return errors.New("record assessment: a store and a catalog are required")
	}
	if err := CheckAssessment(cat, a, time.Now()); err != nil {
		return fmt.Errorf("record assessment: %w", err)
	}
	if err := checkID(subjectID); err != nil {
		return fmt.Errorf("record assessment: %w", err)
	}
	a.At = a.At.UTC()
	return s.Update(ctx, subjectID, func(st *State) error {
		if !st.ObjectsTo(a.Purpose, false) {
			return fmt.Errorf("record assessment: the subject has not objected to %q, there is nothing to assess: %w", a.Purpose, privacy.ErrNotFound)
		}
		st.Assess(a)
		return nil
	})
}

// CheckAssessment returns the validation error Assess returns for a under
// cat at the time now, without recording it.
func CheckAssessment(cat *privacy.Catalog, a Assessment, now time.Time) error {
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if err := privacy.CheckID("purpose", a.Purpose); err != nil {
		return err
	}
	p := cat.Purpose(a.Purpose)
	if p == nil {
		return bad("purpose", "the catalog declares no purpose %q%s", a.Purpose, privacy.DidYouMean(a.Purpose, cat.PurposeKeys()))
	}
	objectionable := false
	for _, k := range p.Subjects {
		for _, b := range p.BasesFor(k) {
			objectionable = objectionable || b.Objectionable()
		}
	}
	switch {
	case !objectionable:
		return bad("purpose", "%s is not processed on legitimate interests or public task (its bases: %v): there is no objection under Art. 21(1) to assess", p.Key, p.Bases)
	case p.DirectMarketing:
		return bad("purpose", "%s is direct marketing: an objection to it is absolute and no grounds override it (Art. 21(3))", p.Key)
	case p.LIA != nil && !p.LIA.CompellingGrounds:
		return bad("purpose", "the catalog's legitimate-interest assessment of %s rules out compelling grounds (lia.compelling_grounds is false): an objection to it always stops it", p.Key)
	}
	if err := privacy.CheckID("by", a.By); err != nil {
		return err
	}
	if err := checkReason("reason", a.Reason); err != nil {
		return err
	}
	if err := privacy.CheckRequiredTime("at", a.At); err != nil {
		return err
	}
	if a.At.After(now) {
		return bad("at", "%s is in the future: record an assessment once it is made", a.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// WithdrawAssessment removes the subject's assessment for the purpose, so
// that an objection to it stops the processing again. Withdrawing one that
// was never recorded is privacy.ErrNotFound.
func WithdrawAssessment(ctx context.Context, s StateStore, subjectID, purpose string) error {
	if err := cmp.Or(checkID(subjectID), privacy.CheckID("purpose", purpose)); err != nil {
		return fmt.Errorf("withdraw assessment: %w", err)
	}
	return s.Update(ctx, subjectID, func(st *State) error {
		if !st.WithdrawAssessment(purpose) {
			return fmt.Errorf("withdraw assessment: no assessment for %q on record: %w", purpose, privacy.ErrNotFound)
		}
		return nil
	})
}
