package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/subject"
)

// RunStateStore runs the conformance suite of subject.StateStore. newStore
// returns an empty store for one subtest, and releases it with t.Cleanup.
// Subtests run in parallel.
func RunStateStore(t *testing.T, newStore func(t *testing.T) subject.StateStore) {
	runSuite(t, newStore, []subtest[subject.StateStore]{
		{"UnknownSubjectHasZeroState", testUnknownSubject},
		{"UpdatePersists", testUpdatePersists},
		{"UpdateSeesLatestState", testUpdateSeesLatest},
		{"UpdateFnErrorAborts", testUpdateFnErrorAborts},
		{"ObjectionOrderKept", testObjectionOrder},
		{"ObjectionFieldsRoundTrip", testObjectionFields},
		{"RestrictedDeactivatedRoundTrip", testFlagsRoundTrip},
		{"SubjectsIsolated", testSubjectsIsolated},
		{"ConcurrentUpdatesOneSubject", testConcurrentUpdatesOneSubject},
		{"ConcurrentUpdatesManySubjects", testConcurrentUpdatesManySubjects},
		{"CanceledContext", testStateCanceledContext},
		{"UpdateRefusesIDsNoStoreHolds", testStateBadIDs},
		{"UpdateRefusesTextNoStoreHolds", testStateBadText},
		{"LifecycleRoundTrip", testLifecycleRoundTrip},
		{"AssessmentsRoundTrip", testAssessmentsRoundTrip},
	})
}

// ignoreUpdatedAt leaves UpdatedAt, which the store's clock sets, out of a
// comparison.
func ignoreUpdatedAt() cmp.Option { return cmpopts.IgnoreFields(subject.State{}, "UpdatedAt") }

func mustSubject(t *testing.T, s subject.StateStore, subjectID string) subject.State {
	t.Helper()
	st, err := s.State(t.Context(), subjectID)
	if err != nil {
		t.Fatalf("State(%s): %v", subjectID, err)
	}
	return st
}

func mustUpdate(t *testing.T, s subject.StateStore, subjectID string, fn func(*subject.State) error) {
	t.Helper()
	if err := s.Update(t.Context(), subjectID, fn); err != nil {
		t.Fatalf("Update(%s): %v", subjectID, err)
	}
}

func testUnknownSubject(t *testing.T, s subject.StateStore) {
	got := mustSubject(t, s, "nobody")
	want := subject.State{SubjectID: "nobody", Objections: []subject.Objection{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("State of an unknown subject (-want +got):\n%s", diff)
	}
	if got.Objections == nil {
		t.Error("State of an unknown subject: Objections is nil, want an empty slice")
	}
}

func testUpdatePersists(t *testing.T, s subject.StateStore) {
	o := subject.Objection{Purpose: "marketing.announcements", At: base()}
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Object(o)
		st.Restricted = true
		return nil
	})
	got := mustSubject(t, s, "u-1")
	want := subject.State{SubjectID: "u-1", Objections: []subject.Objection{o}, Restricted: true}
	if diff := cmp.Diff(want, got, ignoreUpdatedAt()); diff != "" {
		t.Errorf("State after Update (-want +got):\n%s", diff)
	}
	if got.UpdatedAt.IsZero() {
		t.Error("State after Update: UpdatedAt is zero, want the time of the update")
	}
}

func testUpdateSeesLatest(t *testing.T, s subject.StateStore) {
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Object(subject.Objection{Purpose: "a", At: base()})
		return nil
	})
	var seen subject.State
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		seen = *st
		st.Deactivated = true
		return nil
	})
	want := subject.State{SubjectID: "u-1", Objections: []subject.Objection{{Purpose: "a", At: base()}}}
	if diff := cmp.Diff(want, seen, ignoreUpdatedAt()); diff != "" {
		t.Errorf("state fn saw (-want +got):\n%s", diff)
	}
	want.Deactivated = true
	if diff := cmp.Diff(want, mustSubject(t, s, "u-1"), ignoreUpdatedAt()); diff != "" {
		t.Errorf("State after two Updates (-want +got):\n%s", diff)
	}
}

func testUpdateFnErrorAborts(t *testing.T, s subject.StateStore) {
	errStop := errors.New("stop")
	change := func(st *subject.State) error {
		st.Object(subject.Objection{Purpose: "b", At: base()})
		st.Restricted, st.Deactivated = true, true
		return errStop
	}
	// A subject never seen stays unseen.
	if err := s.Update(t.Context(), "new", change); !errors.Is(err, errStop) {
		t.Errorf("Update with a failing fn: got error %v, want %v", err, errStop)
	}
	want := subject.State{SubjectID: "new", Objections: []subject.Objection{}}
	if diff := cmp.Diff(want, mustSubject(t, s, "new")); diff != "" {
		t.Errorf("State after an aborted Update of a new subject (-want +got):\n%s", diff)
	}
	// A known subject keeps its state.
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Object(subject.Objection{Purpose: "a", At: base()})
		return nil
	})
	before := mustSubject(t, s, "u-1")
	if err := s.Update(t.Context(), "u-1", change); !errors.Is(err, errStop) {
		t.Errorf("Update with a failing fn: got error %v, want %v", err, errStop)
	}
	if diff := cmp.Diff(before, mustSubject(t, s, "u-1")); diff != "" {
		t.Errorf("State after an aborted Update (-want +got):\n%s", diff)
	}
}

func testObjectionOrder(t *testing.T, s subject.StateStore) {
	purposes := []string{"zeta", "alpha", "mu", "beta", "omega"}
	for i, p := range purposes {
		mustUpdate(t, s, "u-1", func(st *subject.State) error {
			st.Object(subject.Objection{Purpose: p, At: base().Add(-time.Duration(i) * time.Hour)})
			return nil
		})
	}
	got := func() []string {
		var ps []string
		for _, o := range mustSubject(t, s, "u-1").Objections {
			ps = append(ps, o.Purpose)
		}
		return ps
	}
	if diff := cmp.Diff(purposes, got()); diff != "" {
		t.Errorf("objection order (-want +got):\n%s", diff)
	}
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.WithdrawObjection("mu")
		st.Object(subject.Objection{Purpose: "mu", At: base()})
		return nil
	})
	if diff := cmp.Diff([]string{"zeta", "alpha", "beta", "omega", "mu"}, got()); diff != "" {
		t.Errorf("objection order after withdrawing and objecting again (-want +got):\n%s", diff)
	}
}

func testObjectionFields(t *testing.T, s subject.StateStore) {
	want := []subject.Objection{
		{DirectMarketing: true, At: time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC)},
		{Purpose: "service.personalisation", At: time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC)},
		{Purpose: "no.time"},
	}
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Objections = append(st.Objections, want...)
		return nil
	})
	got := mustSubject(t, s, "u-1").Objections
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Objections (-want +got):\n%s", diff)
	}
	for i, o := range got {
		if !o.At.IsZero() && o.At.Nanosecond() != want[i].At.Nanosecond() {
			t.Errorf("objection %d: At %s, want %s", i, o.At.Format(time.RFC3339Nano), want[i].At.Format(time.RFC3339Nano))
		}
	}
}

func testFlagsRoundTrip(t *testing.T, s subject.StateStore) {
	for _, tc := range []struct {
		name                    string
		restricted, deactivated bool
	}{
		{"restricted", true, false},
		{"both", true, true},
		{"deactivated", false, true},
		{"neither", false, false},
	} {
		mustUpdate(t, s, "u-1", func(st *subject.State) error {
			st.Restricted, st.Deactivated = tc.restricted, tc.deactivated
			return nil
		})
		got := mustSubject(t, s, "u-1")
		if got.Restricted != tc.restricted || got.Deactivated != tc.deactivated {
			t.Errorf("%s: Restricted %v, Deactivated %v; want %v, %v", tc.name, got.Restricted, got.Deactivated, tc.restricted, tc.deactivated)
		}
	}
}

func testSubjectsIsolated(t *testing.T, s subject.StateStore) {
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Object(subject.Objection{Purpose: "a", At: base()})
		st.Restricted = true
		return nil
	})
	mustUpdate(t, s, "u-2", func(st *subject.State) error {
		st.Deactivated = true
		return nil
	})
	want := subject.State{SubjectID: "u-2", Objections: []subject.Objection{}, Deactivated: true}
	if diff := cmp.Diff(want, mustSubject(t, s, "u-2"), ignoreUpdatedAt()); diff != "" {
		t.Errorf("State(u-2) (-want +got):\n%s", diff)
	}
	want = subject.State{SubjectID: "u-1", Objections: []subject.Objection{{Purpose: "a", At: base()}}, Restricted: true}
	if diff := cmp.Diff(want, mustSubject(t, s, "u-1"), ignoreUpdatedAt()); diff != "" {
		t.Errorf("State(u-1) (-want +got):\n%s", diff)
	}
}

// updateConcurrently has goroutines each add one distinct objection to the
// subject subjectOf gives them.
func updateConcurrently(t *testing.T, s subject.StateStore, subjectOf func(g int) string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			err := s.Update(t.Context(), subjectOf(g), func(st *subject.State) error {
				st.Object(subject.Objection{Purpose: fmt.Sprintf("p-%d", g), At: base()})
				return nil
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Update: %v", err)
	}
}

func testConcurrentUpdatesOneSubject(t *testing.T, s subject.StateStore) {
	updateConcurrently(t, s, func(int) string { return "u-1" })
	got := map[string]int{}
	for _, o := range mustSubject(t, s, "u-1").Objections {
		got[o.Purpose]++
	}
	want := map[string]int{}
	for g := range goroutines {
		want[fmt.Sprintf("p-%d", g)] = 1
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objections after %d concurrent Updates (-want +got):\n%s", goroutines, diff)
	}
}

func testConcurrentUpdatesManySubjects(t *testing.T, s subject.StateStore) {
	subjectOf := func(g int) string { return fmt.Sprintf("u-%d", g) }
	updateConcurrently(t, s, subjectOf)
	for g := range goroutines {
		want := []subject.Objection{{Purpose: fmt.Sprintf("p-%d", g), At: base()}}
		if diff := cmp.Diff(want, mustSubject(t, s, subjectOf(g)).Objections); diff != "" {
			t.Errorf("Objections of %s (-want +got):\n%s", subjectOf(g), diff)
		}
	}
}

func testStateCanceledContext(t *testing.T, s subject.StateStore) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.State(ctx, "u-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("State with a canceled context: got error %v, want one wrapping context.Canceled", err)
	}
	called := false
	err := s.Update(ctx, "u-1", func(st *subject.State) error {
		called = true
		st.Restricted = true
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: got error %v, want one wrapping context.Canceled", err)
	}
	if called {
		t.Error("Update with a canceled context called fn")
	}
	if got := mustSubject(t, s, "u-1"); got.Restricted {
		t.Error("Update with a canceled context changed the state")
	}
}

// testLifecycleRoundTrip checks that retention trigger times (branch
// retention) are kept to the nanosecond, in UTC, and can be forgotten.
func testLifecycleRoundTrip(t *testing.T, s subject.StateStore) {
	closed := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	active := time.Date(2026, 2, 27, 18, 0, 0, 0, time.UTC)
	if err := subject.RecordLifecycle(t.Context(), s, "u-1", privacy.TriggerAccountClosed, closed); err != nil {
		t.Fatalf("RecordLifecycle: %v", err)
	}
	if err := subject.RecordLifecycle(t.Context(), s, "u-1", privacy.TriggerLastActivity, active); err != nil {
		t.Fatalf("RecordLifecycle: %v", err)
	}
	want := map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: closed.UTC(), privacy.TriggerLastActivity: active}
	if diff := cmp.Diff(want, mustSubject(t, s, "u-1").Lifecycle); diff != "" {
		t.Errorf("Lifecycle (-want +got):\n%s", diff)
	}
	if err := subject.RecordLifecycle(t.Context(), s, "u-1", privacy.TriggerAccountClosed, time.Time{}); err != nil {
		t.Fatalf("RecordLifecycle (forget): %v", err)
	}
	delete(want, privacy.TriggerAccountClosed)
	if diff := cmp.Diff(want, mustSubject(t, s, "u-1").Lifecycle); diff != "" {
		t.Errorf("Lifecycle after forgetting account_closed (-want +got):\n%s", diff)
	}
	if got := mustSubject(t, s, "u-2").Lifecycle; len(got) != 0 {
		t.Errorf("another subject's Lifecycle = %v, want empty", got)
	}
}

// testAssessmentsRoundTrip: assessments of compelling grounds (Art.
// 21(1)) come back as recorded (who, when to the nanosecond, why), in the
// order they were recorded, one per purpose, for their subject only;
// withdrawing one removes it and leaves the rest.
func testAssessmentsRoundTrip(t *testing.T, s subject.StateStore) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	fraud := subject.Assessment{Purpose: "security.fraud_prevention", By: "dpo@example.com", Reason: "an open fraud case: the account was used for card testing", At: at}
	claims := subject.Assessment{Purpose: "legal.claims", By: "legal team", Reason: "défense d'une réclamation — the subject's own claim", At: at.Add(time.Hour)}
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Object(subject.Objection{Purpose: fraud.Purpose, At: base()})
		st.Assess(fraud)
		st.Assess(claims)
		return nil
	})
	utc := func(list ...subject.Assessment) []subject.Assessment {
		for i := range list {
			list[i].At = list[i].At.UTC()
		}
		return list
	}
	if diff := cmp.Diff(utc(fraud, claims), mustSubject(t, s, "u-1").Assessments); diff != "" {
		t.Errorf("Assessments (-want +got):\n%s", diff)
	}
	again := fraud
	again.Reason, again.At = "the fraud case was confirmed by the bank", at.Add(2*time.Hour)
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Assess(again)
		return nil
	})
	if diff := cmp.Diff(utc(claims, again), mustSubject(t, s, "u-1").Assessments); diff != "" {
		t.Errorf("Assessments after assessing a purpose again (-want +got):\n%s", diff)
	}
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		if !st.WithdrawAssessment(claims.Purpose) {
			t.Error("WithdrawAssessment of a recorded assessment reported none")
		}
		return nil
	})
	if diff := cmp.Diff(utc(again), mustSubject(t, s, "u-1").Assessments); diff != "" {
		t.Errorf("Assessments after a withdrawal (-want +got):\n%s", diff)
	}
	if got := mustSubject(t, s, "u-2").Assessments; len(got) != 0 {
		t.Errorf("another subject's Assessments = %v, want none", got)
	}
	// A time a store cannot keep is refused, naming the field.
	err := s.Update(t.Context(), "u-1", func(st *subject.State) error {
		st.Assess(subject.Assessment{Purpose: "x", By: "y", Reason: "z"})
		return nil
	})
	var ve *privacy.ValidationError
	if !errors.As(err, &ve) || ve.Field != "assessments[1].at" {
		t.Errorf("an assessment without a time: error %v, want a ValidationError naming assessments[1].at", err)
	}
}

// testStateBadIDs: ids PostgreSQL's text cannot hold (a NUL byte, invalid
// UTF-8) and blank ids are refused alike by every store, naming the field.
func testStateBadIDs(t *testing.T, s subject.StateStore) {
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	const who = "u-ann.jansen@example.com"
	err := s.Update(t.Context(), who, func(st *subject.State) error {
		st.Lifecycle = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: far}
		return nil
	})
	var tv *privacy.ValidationError
	if !errors.As(err, &tv) || tv.Field != "lifecycle.account_closed" {
		t.Errorf("a lifecycle time in 2300: error %v, want a ValidationError naming lifecycle.account_closed", err)
	}
	if err != nil && strings.Contains(err.Error(), who) {
		t.Errorf("the error %q names the subject: personal data stays in", err)
	}
	for _, id := range []string{"", " ", "u\x00", "u\xff"} {
		err := s.Update(t.Context(), id, func(st *subject.State) error { st.Restricted = true; return nil })
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != "subject_id" {
			t.Errorf("Update(%q): error %v, want a ValidationError naming subject_id", id, err)
		}
		// Nothing can be on record for it: its state is the zero state,
		// in every store alike (PostgreSQL failed with a driver error).
		if st, err := s.State(t.Context(), id); err != nil || !emptyState(st) {
			t.Errorf("State(%q): %+v, %v; want the zero state and no error", id, st, err)
		}
	}
}

// testStateBadText: the purposes, triggers and assessments a state holds
// are ids (privacy.CheckID; an assessment's reason at most
// subject.MaxReasonBytes): PostgreSQL's text cannot hold a NUL byte or
// invalid UTF-8, nor its index a key of megabytes, so every store refuses
// them alike, naming the field, and keeps the state it had.
func testStateBadText(t *testing.T, s subject.StateStore) {
	long := strings.Repeat("p", privacy.MaxIDLength+1)
	at := base()
	tests := []struct {
		name  string
		edit  func(st *subject.State)
		field string
	}{
		{"NUL in an objection's purpose", func(st *subject.State) { st.Object(subject.Objection{Purpose: "support\x00", At: at}) }, "objections[1].purpose"},
		{"invalid UTF-8 in an objection's purpose", func(st *subject.State) { st.Object(subject.Objection{Purpose: "support\xff", At: at}) }, "objections[1].purpose"},
		{"overlong objection purpose", func(st *subject.State) { st.Object(subject.Objection{Purpose: long, At: at}) }, "objections[1].purpose"},
		{"objection to nothing", func(st *subject.State) { st.Object(subject.Objection{At: at}) }, "objections[1].purpose"},
		{"objection to direct marketing and a purpose", func(st *subject.State) {
			st.Object(subject.Objection{Purpose: "support", DirectMarketing: true, At: at})
		}, "objections[1].purpose"},
		{"NUL in a trigger", func(st *subject.State) {
			st.Lifecycle = map[privacy.Trigger]time.Time{"account_closed\x00": at}
		}, "lifecycle"},
		{"overlong trigger", func(st *subject.State) { st.Lifecycle = map[privacy.Trigger]time.Time{privacy.Trigger(long): at} }, "lifecycle"},
		{"NUL in an assessment's purpose", func(st *subject.State) {
			st.Assess(subject.Assessment{Purpose: "support\x00", By: "dpo", Reason: "r", At: at})
		}, "assessments[0].purpose"},
		{"invalid UTF-8 in an assessor", func(st *subject.State) {
			st.Assess(subject.Assessment{Purpose: "support", By: "dpo\xff", Reason: "r", At: at})
		}, "assessments[0].by"},
		{"NUL in an assessment's reason", func(st *subject.State) {
			st.Assess(subject.Assessment{Purpose: "support", By: "dpo", Reason: "r\x00", At: at})
		}, "assessments[0].reason"},
		{"overlong assessment reason", func(st *subject.State) {
			st.Assess(subject.Assessment{Purpose: "support", By: "dpo", Reason: strings.Repeat("r", subject.MaxReasonBytes+1), At: at})
		}, "assessments[0].reason"},
	}
	mustUpdate(t, s, "u-1", func(st *subject.State) error {
		st.Object(subject.Objection{Purpose: "support", At: at})
		return nil
	})
	want := mustSubject(t, s, "u-1")
	for _, tc := range tests {
		err := s.Update(t.Context(), "u-1", func(st *subject.State) error { tc.edit(st); return nil })
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: error %v, want a ValidationError naming %s", tc.name, err, tc.field)
		}
	}
	if diff := cmp.Diff(want, mustSubject(t, s, "u-1")); diff != "" {
		t.Errorf("state after refused updates (-want +got):\n%s", diff)
	}
}

func emptyState(st subject.State) bool {
	return len(st.Objections) == 0 && len(st.Assessments) == 0 && !st.Restricted && !st.Deactivated && len(st.Lifecycle) == 0
}
