package storetest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/storetest"
	"github.com/privacykit/privacy/subject"
)

// mapStates is a subject.StateStore written as a user of the module
// would write one: a map behind a lock, using only the public API.
type mapStates struct {
	mu sync.Mutex
	m  map[string]subject.State
}

func newMapStates() *mapStates { return &mapStates{m: map[string]subject.State{}} }

func (s *mapStates) State(ctx context.Context, subjectID string) (subject.State, error) {
	if err := ctx.Err(); err != nil {
		return subject.State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[subjectID]
	if !ok {
		st = subject.State{SubjectID: subjectID}
	}
	return st.Clone(), nil
}

func (s *mapStates) Update(ctx context.Context, subjectID string, fn func(*subject.State) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := privacy.CheckID("subject_id", subjectID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[subjectID]
	if !ok {
		st = subject.State{SubjectID: subjectID}
	}
	st = st.Clone()
	if err := fn(&st); err != nil {
		return err
	}
	if err := st.Check(); err != nil {
		return err
	}
	st.SubjectID, st.UpdatedAt = subjectID, time.Now().UTC()
	s.m[subjectID] = st.Clone()
	return nil
}

// TestMapStates is all a store's own package needs: one call runs the
// conformance suite of every interface the Factory names.
func TestMapStates(t *testing.T) {
	storetest.Run(t, storetest.Factory{
		State: func(t *testing.T) subject.StateStore { return newMapStates() },
	})
}

// A Factory names a constructor per interface; Run runs a suite for each,
// as a subtest named after the interface. In a _test.go file of the
// store's package:
//
//	func TestStores(t *testing.T) { storetest.Run(t, factory) }
//
// TestMapStates in this file does exactly that for a map-based store.
func Example() {
	factory := storetest.Factory{
		State: func(t *testing.T) subject.StateStore { return newMapStates() },
	}
	fmt.Println(factory.Suites(false))
	// Output: [StateStore]
}
