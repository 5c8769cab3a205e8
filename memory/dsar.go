package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

var _ dsar.RequestStore = (*RequestStore)(nil)

// RequestStore is an in-memory store of data-subject requests. Requests are
// kept as their JSON encoding, so that what comes back is exactly what a SQL
// store returns (record values decode as encoding/json decodes them).
type RequestStore struct {
	mu       sync.RWMutex
	requests map[string][]byte
}

// NewRequestStore returns an empty store.
func NewRequestStore() *RequestStore {
	return &RequestStore{requests: map[string][]byte{}}
}

// Create validates and stores a new request.
func (s *RequestStore) Create(ctx context.Context, r dsar.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requests[r.ID]; ok {
		return fmt.Errorf("request %s: %w", r.ID, privacy.ErrConflict)
	}
	s.requests[r.ID] = b
	return nil
}

// Request returns the request with the id, or dsar.ErrNotFound.
func (s *RequestStore) Request(ctx context.Context, id string) (dsar.Request, error) {
	if err := ctx.Err(); err != nil {
		return dsar.Request{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.get(id)
}

func (s *RequestStore) get(id string) (dsar.Request, error) {
	b, ok := s.requests[id]
	if !ok {
		return dsar.Request{}, fmt.Errorf("%w: %s", dsar.ErrNotFound, id)
	}
	var r dsar.Request
	if err := json.Unmarshal(b, &r); err != nil {
		return dsar.Request{}, fmt.Errorf("decode request %s: %w", id, err)
	}
	return r, nil
}

// Update applies fn to the request atomically.
func (s *RequestStore) Update(ctx context.Context, id string, fn func(*dsar.Request) error) (dsar.Request, error) {
	if err := ctx.Err(); err != nil {
		return dsar.Request{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(id)
	if err != nil {
		return dsar.Request{}, err
	}
	if err := fn(&r); err != nil {
		return dsar.Request{}, err
	}
	if r.ID != id {
		return dsar.Request{}, &privacy.ValidationError{Field: "id", Message: "may not change"}
	}
	if err := r.Validate(); err != nil {
		return dsar.Request{}, err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return dsar.Request{}, fmt.Errorf("encode request %s: %w", id, err)
	}
	s.requests[id] = b
	return s.get(id)
}

// List returns the requests the filter selects, oldest receipt first.
func (s *RequestStore) List(ctx context.Context, f dsar.Filter) ([]dsar.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []dsar.Request{}
	for id := range s.requests {
		r, err := s.get(id)
		if err != nil {
			return nil, err
		}
		if f.Match(&r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b dsar.Request) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}
