package dsar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

// faultyStates is a state store whose Update fails with err while it is set.
type faultyStates struct {
	*memory.StateStore
	mu  sync.Mutex
	err error
}

func (s *faultyStates) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *faultyStates) Update(ctx context.Context, id string, fn func(*subject.State) error) error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.StateStore.Update(ctx, id, fn)
}

// refused is what a state store with a shorter id limit than the Desk's
// says: the store will never take this subject id.
var refused = &privacy.ValidationError{Field: "subject_id", Message: "is longer than this store keeps"}

func newFaultyDesk(t *testing.T) (*fixture, *faultyStates) {
	t.Helper()
	f := newFixture(t)
	states := &faultyStates{StateStore: f.states}
	f.desk = dsar.NewDesk(f.requests, states, dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithClock(f.clock.Now),
		dsar.WithSource("crm", f.crm), dsar.WithSource("meetings", f.meetings))
	return f, states
}

func count(actions []string, action string) int {
	n := 0
	for _, a := range actions {
		if a == action {
			n++
		}
	}
	return n
}

// An erasure whose subject state the store refuses, after its sources have
// erased the data, ends blocked with the reason, is not retried by every
// Run, still counts against its deadline, and completes once an operator
// has removed the cause and resumed it (issue 13, item 15).
func TestErasureThatCannotFinishIsBlockedWithItsReason(t *testing.T) {
	t.Parallel()
	f, states := newFaultyDesk(t)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	states.fail(refused)

	got, err := f.desk.Run(t.Context(), r.ID)
	if !errors.Is(err, dsar.ErrBlocked) {
		t.Fatalf("Run: error %v, want one wrapping ErrBlocked", err)
	}
	if got.Status != dsar.StatusBlocked || !strings.Contains(got.Blocked, "write subject state") || !strings.Contains(got.Blocked, "subject_id") {
		t.Fatalf("Run: status %s, blocked %q; want blocked, naming the step and the field", got.Status, got.Blocked)
	}
	stored, err := f.desk.Request(t.Context(), r.ID)
	if err != nil || stored.Status != dsar.StatusBlocked || stored.Blocked != got.Blocked {
		t.Fatalf("stored: status %s, blocked %q, error %v; want the block recorded", stored.Status, stored.Blocked, err)
	}
	erases := f.crm.count("erase")
	if erases != 1 {
		t.Fatalf("crm erased %d times, want 1", erases)
	}

	// Running again does not loop: no source is called, nothing is added.
	again, err := f.desk.Run(t.Context(), r.ID)
	if !errors.Is(err, dsar.ErrBlocked) || again.Status != dsar.StatusBlocked {
		t.Fatalf("second Run: status %s, error %v; want blocked and ErrBlocked", again.Status, err)
	}
	if n := f.crm.count("erase"); n != erases {
		t.Errorf("second Run called crm Erase again (%d calls)", n)
	}
	if n := count(actions(again), "blocked"); n != 1 {
		t.Errorf("trail %v: %d blocked entries, want 1", actions(again), n)
	}

	// It still counts against the deadline.
	f.clock.Set(r.Due.AddDate(0, 0, 2))
	overdue, err := f.desk.Overdue(t.Context())
	if err != nil || !slices.ContainsFunc(overdue, func(q dsar.Request) bool { return q.ID == r.ID }) {
		t.Errorf("Overdue: %d requests, error %v; want the blocked request among them", len(overdue), err)
	}
	// Its sources erased data: it cannot be rejected, only finished.
	if _, err := f.desk.Reject(t.Context(), r.ID, "cannot finish", "op"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Reject after sources ran: %v, want ErrTransition", err)
	}

	states.fail(nil)
	resumed, err := f.desk.Resume(t.Context(), r.ID, "state store limit raised", "op-anna")
	if err != nil || resumed.Status != dsar.StatusInProgress || resumed.Blocked != "" {
		t.Fatalf("Resume: status %s, blocked %q, error %v; want in progress, unblocked", resumed.Status, resumed.Blocked, err)
	}
	done := f.run(t, r.ID)
	if done.Status != dsar.StatusCompleted {
		t.Fatalf("Run after Resume: status %s, want completed", done.Status)
	}
	if n := f.crm.count("erase"); n != erases {
		t.Errorf("Run after Resume called crm Erase again (%d calls): done sources are not retried", n)
	}
	if st, _ := f.states.State(t.Context(), user.ID); !st.Deactivated {
		t.Error("subject not deactivated after the erasure completed")
	}
}

// A request that only writes the subject state and is refused blocks
// before any source ran, so the operator may reject it.
func TestObjectionThatCannotBeWrittenIsBlocked(t *testing.T) {
	t.Parallel()
	f, states := newFaultyDesk(t)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindObjection, Subject: user, DirectMarketing: true})
	states.fail(refused)
	got, err := f.desk.Run(t.Context(), r.ID)
	if !errors.Is(err, dsar.ErrBlocked) || got.Status != dsar.StatusBlocked {
		t.Fatalf("Run: status %s, error %v; want blocked", got.Status, err)
	}
	rej, err := f.desk.Reject(t.Context(), r.ID, "the subject id cannot be kept", "op-anna")
	if err != nil || rej.Status != dsar.StatusRejected || rej.Blocked != "" {
		t.Errorf("Reject: status %s, blocked %q, error %v; want rejected", rej.Status, rej.Blocked, err)
	}
}

// A failure running again may cure is noted in the trail and retried.
func TestTransientStateFailureIsNotedAndRetried(t *testing.T) {
	t.Parallel()
	f, states := newFaultyDesk(t)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	states.fail(errors.New("connection reset"))
	got, err := f.desk.Run(t.Context(), r.ID)
	if err == nil || errors.Is(err, dsar.ErrBlocked) || got.Status != dsar.StatusInProgress {
		t.Fatalf("Run: status %s, error %v; want in progress and an error that is not ErrBlocked", got.Status, err)
	}
	if n := count(actions(got), "step_failed"); n != 1 {
		t.Errorf("trail %v: %d step_failed entries, want 1", actions(got), n)
	}
	states.fail(nil)
	if done := f.run(t, r.ID); done.Status != dsar.StatusCompleted {
		t.Errorf("retry: status %s, want completed", done.Status)
	}
}

func TestResumeOnlyBlocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
	if _, err := f.desk.Resume(t.Context(), r.ID, "fixed", "op"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Resume of a verified request: %v, want ErrTransition", err)
	}
	var ve *privacy.ValidationError
	if _, err := f.desk.Resume(t.Context(), r.ID, " ", "op"); !errors.As(err, &ve) || ve.Field != "note" {
		t.Errorf("Resume without a note: %v, want a ValidationError on note", err)
	}
}
