// Package memory implements the module's stores in process memory. They
// keep nothing across restarts: use them in tests and examples, and SQLite
// or PostgreSQL in production. They pass the same conformance suite as the
// SQL stores, and are safe for concurrent use.
package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

var (
	_ consent.Store      = (*ConsentStore)(nil)
	_ subject.StateStore = (*StateStore)(nil)
)

// ConsentStore is an in-memory consent ledger.
type ConsentStore struct {
	mu      sync.RWMutex
	records []consent.Record
	// Now returns the current time; tests may replace it before use.
	Now func() time.Time
}

// NewConsentStore returns an empty ledger.
func NewConsentStore() *ConsentStore { return &ConsentStore{Now: time.Now} }

// Append validates, seals and stores r.
func (s *ConsentStore) Append(ctx context.Context, r consent.Record) (consent.Record, error) {
	if err := ctx.Err(); err != nil {
		return consent.Record{}, err
	}
	if err := r.Validate(); err != nil {
		return consent.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := ""
	if n := len(s.records); n > 0 {
		prev = s.records[n-1].Hash
	}
	r.Seq = int64(len(s.records)) + 1
	r.RecordID = fmt.Sprintf("cr-%d", r.Seq)
	r.Categories = slices.Clone(r.Categories)
	r.Seal(prev)
	s.records = append(s.records, r)
	return cloneRecord(r), nil
}

// State returns the latest record of the subject and purpose at or before at.
func (s *ConsentStore) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	if err := ctx.Err(); err != nil {
		return consent.State{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := consent.State{SubjectID: subjectID, Purpose: purpose}
	var latest *consent.Record
	for i := range s.records {
		r := &s.records[i]
		if r.SubjectID != subjectID || r.Purpose != purpose || r.CollectedAt.After(at) {
			continue
		}
		// Ledger order breaks ties between records with the same time.
		if latest == nil || !r.CollectedAt.Before(latest.CollectedAt) {
			latest = r
		}
	}
	if latest != nil {
		st.Event = latest.Event
		st.RecordID = latest.RecordID
		st.PolicyVersion = latest.PolicyVersion
		st.Guardian = latest.Guardian
		st.CollectedAt = latest.CollectedAt
		st.ExpiresAt = latest.ExpiresAt
	}
	return st, nil
}

// History returns the subject's records in ledger order.
func (s *ConsentStore) History(ctx context.Context, subjectID string) ([]consent.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []consent.Record{}
	for _, r := range s.records {
		if r.SubjectID == subjectID {
			out = append(out, cloneRecord(r))
		}
	}
	return out, nil
}

// Record returns the record with the id, or consent.ErrNotFound.
func (s *ConsentStore) Record(ctx context.Context, recordID string) (consent.Record, error) {
	if err := ctx.Err(); err != nil {
		return consent.Record{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.records {
		if r.RecordID == recordID {
			return cloneRecord(r), nil
		}
	}
	return consent.Record{}, fmt.Errorf("%w: %s", consent.ErrNotFound, recordID)
}

func cloneRecord(r consent.Record) consent.Record {
	r.Categories = slices.Clone(r.Categories)
	return r
}

// StateStore is an in-memory subject-state store.
type StateStore struct {
	mu     sync.RWMutex
	states map[string]subject.State
	// Now returns the current time; tests may replace it before use.
	Now func() time.Time
}

// NewStateStore returns an empty store.
func NewStateStore() *StateStore {
	return &StateStore{states: map[string]subject.State{}, Now: time.Now}
}

// State returns the subject's state, the zero state for an unknown subject.
func (s *StateStore) State(ctx context.Context, subjectID string) (subject.State, error) {
	if err := ctx.Err(); err != nil {
		return subject.State{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return cloneState(s.get(subjectID)), nil
}

func (s *StateStore) get(subjectID string) subject.State {
	st, ok := s.states[subjectID]
	if !ok {
		st = subject.State{SubjectID: subjectID, Objections: []subject.Objection{}}
	}
	return st
}

// Update applies fn to the subject's state atomically.
func (s *StateStore) Update(ctx context.Context, subjectID string, fn func(*subject.State) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := cloneState(s.get(subjectID))
	if err := fn(&st); err != nil {
		return err
	}
	st.SubjectID = subjectID
	st.UpdatedAt = s.Now().UTC()
	s.states[subjectID] = cloneState(st)
	return nil
}

func cloneState(st subject.State) subject.State {
	st.Objections = slices.Clone(st.Objections)
	if st.Objections == nil {
		st.Objections = []subject.Objection{}
	}
	st.Lifecycle = maps.Clone(st.Lifecycle)
	return st
}
