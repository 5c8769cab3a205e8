package subject

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

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

// State is what the engine reads about a subject. The zero State (no
// objection, not restricted, active) is the state of a subject never seen.
type State struct {
	SubjectID  string      `json:"subject_id"`
	Objections []Objection `json:"objections"`
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
	for _, tr := range slices.Sorted(maps.Keys(s.Lifecycle)) {
		if err := privacy.CheckRequiredTime("lifecycle."+string(tr), s.Lifecycle[tr]); err != nil {
			return err
		}
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

// Object records an objection of the subject to the purpose, made now.
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
	if !o.DirectMarketing && strings.TrimSpace(o.Purpose) == "" {
		return &privacy.ValidationError{Field: "purpose", Message: "is required"}
	}
	if o.At.IsZero() {
		o.At = time.Now().UTC()
	}
	return s.Update(ctx, subjectID, func(st *State) error {
		st.Object(o)
		return nil
	})
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
	if strings.TrimSpace(string(trigger)) == "" {
		return &privacy.ValidationError{Field: "trigger", Message: "is required"}
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
