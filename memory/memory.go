// Package memory implements the module's stores in process memory. They
// keep nothing across restarts: use them in tests and examples, and SQLite
// or PostgreSQL in production. They pass the same conformance suite as the
// SQL stores, and are safe for concurrent use.
package memory

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/watch"
	"github.com/privacykit/privacy/plan"
	"github.com/privacykit/privacy/subject"
)

var (
	_ consent.Ledger     = (*ConsentStore)(nil)
	_ subject.StateStore = (*StateStore)(nil)
)

// ConsentStore is an in-memory consent ledger. It implements every
// capability of consent.Ledger; its watchers see the appends of this store
// only.
type ConsentStore struct {
	mu      sync.RWMutex
	records []consent.Record
	key     []byte
	keys    consent.KeyProvider
	hub     watch.Hub
	// Now returns the current time; tests may replace it before use.
	Now func() time.Time
}

// ConsentOption configures NewConsentStore.
type ConsentOption func(*ConsentStore)

// WithKeys seals the ledger's records with the current key of keys
// (HMAC-SHA256), so that consent.VerifyWith with the keys shows a record
// edited and resealed without them.
func WithKeys(keys consent.KeyProvider) ConsentOption {
	return func(s *ConsentStore) { s.keys = keys }
}

// NewConsentStore returns an empty ledger with a random pseudonymisation
// key. Its records are sealed with plain SHA-256 unless WithKeys is given.
func NewConsentStore(opts ...ConsentOption) *ConsentStore {
	key := make([]byte, 32)
	rand.Read(key) // never fails: crypto/rand crashes the program instead
	s := &ConsentStore{Now: time.Now, key: key}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Append validates, seals and stores r.
func (s *ConsentStore) Append(ctx context.Context, r consent.Record) (consent.Record, error) {
	rs, err := s.appendAll(ctx, []consent.Record{r}, false)
	if err != nil {
		return consent.Record{}, err
	}
	return rs[0], nil
}

// AppendBatch validates every record, then seals and stores them all, in
// order and with consecutive Seqs, or none.
func (s *ConsentStore) AppendBatch(ctx context.Context, rs []consent.Record) ([]consent.Record, error) {
	return s.appendAll(ctx, rs, true)
}

func (s *ConsentStore) appendAll(ctx context.Context, rs []consent.Record, batch bool) ([]consent.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			if batch {
				return nil, consent.BatchError(i, err)
			}
			return nil, err
		}
	}
	key, err := consent.SealingKey(ctx, s.keys)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	out := make([]consent.Record, 0, len(rs))
	for _, r := range rs {
		prev := ""
		if n := len(s.records); n > 0 {
			prev = s.records[n-1].Hash
		}
		r.Seq = int64(len(s.records)) + 1
		r.RecordID = fmt.Sprintf("cr-%d", r.Seq)
		r.Categories = slices.Clone(r.Categories)
		// Times in UTC, as the SQL stores give them back.
		r.CollectedAt = r.CollectedAt.UTC()
		if !r.ExpiresAt.IsZero() {
			r.ExpiresAt = r.ExpiresAt.UTC()
		}
		r.SubjectRef = consent.SubjectRef(s.key, r.SubjectID)
		r.SealWith(prev, key)
		s.records = append(s.records, r)
		out = append(out, cloneRecord(r))
	}
	s.mu.Unlock()
	s.hub.Publish(watch.Changes(out)...)
	return out, nil
}

// Scan calls fn with every record after afterSeq in Seq order, from a
// snapshot taken when it starts.
func (s *ConsentStore) Scan(ctx context.Context, afterSeq int64, fn func(consent.Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	snapshot := s.records[min(max(afterSeq, 0), int64(len(s.records))):]
	s.mu.RUnlock()
	// Records are never changed in place but by Pseudonymise, which
	// replaces them under the write lock: read each under the read lock.
	for i := range snapshot {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.RLock()
		r := cloneRecord(snapshot[i])
		s.mu.RUnlock()
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Head returns the last record's Seq and Hash.
func (s *ConsentStore) Head(ctx context.Context) (consent.Head, error) {
	if err := ctx.Err(); err != nil {
		return consent.Head{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if n := len(s.records); n > 0 {
		return consent.Head{Seq: s.records[n-1].Seq, Hash: s.records[n-1].Hash}, nil
	}
	return consent.Head{}, nil
}

// Latest returns, sorted by subject, each subject's consent state for the
// purpose by its latest record, whatever its event.
func (s *ConsentStore) Latest(ctx context.Context, purpose string) ([]consent.State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	latest := map[string]*consent.Record{}
	for i := range s.records {
		r := &s.records[i]
		if r.Purpose != purpose || r.SubjectID == "" {
			continue
		}
		if l := latest[r.SubjectID]; l == nil || !r.CollectedAt.Before(l.CollectedAt) {
			latest[r.SubjectID] = r
		}
	}
	out := []consent.State{}
	for id, r := range latest {
		out = append(out, consent.StateAt([]consent.Record{*r}, id, purpose, r.CollectedAt))
	}
	slices.SortFunc(out, func(a, b consent.State) int { return strings.Compare(a.SubjectID, b.SubjectID) })
	return out, nil
}

// Lapsed returns up to limit given consents that are the latest record of their subject and purpose at at
// and whose expiry is at or before at.
func (s *ConsentStore) Lapsed(ctx context.Context, at time.Time, limit int) ([]consent.State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	type pair struct{ subject, purpose string }
	latest := map[pair]*consent.Record{}
	for i := range s.records {
		r := &s.records[i]
		if r.SubjectID == "" || r.CollectedAt.After(at) {
			continue
		}
		k := pair{r.SubjectID, r.Purpose}
		if l := latest[k]; l == nil || !r.CollectedAt.Before(l.CollectedAt) {
			latest[k] = r
		}
	}
	out := []consent.State{}
	for _, r := range latest {
		if r.Event == consent.Given && !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(at) {
			out = append(out, consent.StateAt([]consent.Record{*r}, r.SubjectID, r.Purpose, at))
		}
	}
	slices.SortFunc(out, func(a, b consent.State) int {
		return cmp.Or(strings.Compare(a.SubjectID, b.SubjectID), strings.Compare(a.Purpose, b.Purpose))
	})
	return out[:min(len(out), max(limit, 0))], nil
}

// SubjectRef returns the subject's pseudonym in this ledger.
func (s *ConsentStore) SubjectRef(subjectID string) string {
	return consent.SubjectRef(s.key, subjectID)
}

// Pseudonymise blanks SubjectID in the subject's records.
func (s *ConsentStore) Pseudonymise(ctx context.Context, subjectID string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if subjectID == "" {
		return 0, &privacy.ValidationError{Field: "subject_id", Message: "is required"}
	}
	s.mu.Lock()
	var n int64
	for i := range s.records {
		if s.records[i].SubjectID == subjectID && s.records[i].SubjectRef != "" {
			r := cloneRecord(s.records[i])
			r.SubjectID = ""
			s.records[i] = r
			n++
		}
	}
	s.mu.Unlock()
	if n > 0 {
		s.hub.Publish(consent.Change{SubjectID: subjectID})
	}
	return n, nil
}

// PartlyErased returns the first record whose SubjectID is blank while an
// earlier record with its SubjectRef keeps its SubjectID.
func (s *ConsentStore) PartlyErased(ctx context.Context) (consent.Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return consent.Record{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	kept := map[string]bool{}
	for _, r := range s.records {
		switch {
		case r.SubjectRef == "":
		case r.SubjectID != "":
			kept[r.SubjectRef] = true
		case kept[r.SubjectRef]:
			return cloneRecord(r), true, nil
		}
	}
	return consent.Record{}, false, nil
}

// Watch returns a channel of the changes committed to this store after it
// returns. It is closed when ctx is done, or when the watcher falls more
// than 1024 changes behind.
func (s *ConsentStore) Watch(ctx context.Context) (<-chan consent.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.hub.Subscribe(ctx), nil
}

// State returns the latest record of the subject and purpose at or before at.
func (s *ConsentStore) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	if err := ctx.Err(); err != nil {
		return consent.State{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return consent.StateAt(s.records, subjectID, purpose, at), nil
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
		if r.SubjectID == subjectID && subjectID != "" {
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
	return s.get(subjectID).Clone(), nil
}

// SharedState is State without the copy (subject.SharedStateReader): the
// returned state's Objections and Lifecycle are the store's own, which
// Update never modifies (it stores a new copy), so the caller must only
// read them. The policies engine uses it, so that a cached decision for a
// subject with objections allocates nothing.
func (s *StateStore) SharedState(ctx context.Context, subjectID string) (subject.State, error) {
	if err := ctx.Err(); err != nil {
		return subject.State{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.get(subjectID), nil
}

var _ subject.SharedStateReader = (*StateStore)(nil)

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
	if err := privacy.CheckID("subject_id", subjectID); err != nil {
		return fmt.Errorf("update subject state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(subjectID).Clone()
	if err := fn(&st); err != nil {
		return err
	}
	if err := st.Check(); err != nil {
		return fmt.Errorf("update subject state: %w", err)
	}
	st.SubjectID = subjectID
	st.UpdatedAt = s.Now().UTC()
	s.states[subjectID] = st.Clone()
	return nil
}

var _ plan.Matcher = (*ConsentStore)(nil)

// MatchPlan evaluates the plan's condition (plan.Eval) for each subject of
// batch on its consent in this ledger and its state in states, which must
// be a *StateStore of this package (ok false otherwise).
func (s *ConsentStore) MatchPlan(ctx context.Context, states subject.StateReader, p *plan.Plan, batch []plan.Subject, fn func(i int, t plan.Truth)) (bool, error) {
	ss, ok := states.(*StateStore)
	if !ok {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return true, err
	}
	// One pass over the ledger for the batch's consents.
	var consents map[string]consent.State
	if p.ReadsConsent {
		latest := make(map[string]*consent.Record, len(batch))
		for _, sub := range batch {
			latest[sub.ID] = nil
		}
		s.mu.RLock()
		for i := range s.records {
			r := &s.records[i]
			if r.Purpose != p.Purpose || r.SubjectID == "" || r.CollectedAt.After(p.At) {
				continue
			}
			if l, ok := latest[r.SubjectID]; ok && (l == nil || !r.CollectedAt.Before(l.CollectedAt)) {
				latest[r.SubjectID] = r
			}
		}
		consents = make(map[string]consent.State, len(latest))
		for id, r := range latest {
			if r != nil {
				consents[id] = consent.State{SubjectID: id, Purpose: p.Purpose, Event: r.Event, RecordID: r.RecordID,
					PolicyVersion: r.PolicyVersion, Guardian: r.Guardian, CollectedAt: r.CollectedAt, ExpiresAt: r.ExpiresAt, Act: r.Act}
			}
		}
		s.mu.RUnlock()
	}
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	for i, sub := range batch {
		f := plan.Facts{Age: sub.Age, Country: sub.Country, Consent: consents[sub.ID]}
		st := ss.get(sub.ID)
		f.State = &st
		if t := plan.Eval(&p.Cond, &f); t != plan.False {
			fn(i, t)
		}
	}
	return true, nil
}
