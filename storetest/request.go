package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

// RunRequestStore runs the conformance suite of dsar.RequestStore: it
// checks exactly the guarantees RequestStore documents. newStore returns an
// empty store for one subtest, and releases it with t.Cleanup. Subtests run
// in parallel.
func RunRequestStore(t *testing.T, newStore func(t *testing.T) dsar.RequestStore) {
	runSuite(t, newStore, []subtest[dsar.RequestStore]{
		{"RoundTrip", testRequestRoundTrip},
		{"CreateErrors", testRequestCreateErrors},
		{"NotFound", testRequestNotFound},
		{"UpdateFnErrorAborts", testRequestUpdateAborts},
		{"ConcurrentUpdatesOneRequest", testRequestConcurrentUpdates},
		{"List", testRequestList},
		{"CanceledContext", testRequestCanceledContext},
	})
}

var requestTime = time.Date(2026, time.January, 31, 9, 30, 0, 123456789, time.UTC)

// sampleRequest returns a request with every field set.
func sampleRequest(id string) dsar.Request {
	return dsar.Request{
		ID:          id,
		Kind:        dsar.KindErasure,
		Subject:     privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"},
		RequestedBy: "u-1",
		Channel:     "email",
		ReceivedAt:  requestTime,
		Due:         dsar.DueDate(requestTime, 0),
		Extension:   &dsar.Extension{Months: 2, Reason: "numerous requests", By: "op", At: requestTime.Add(time.Hour)},
		Status:      dsar.StatusInProgress,
		Verification: dsar.Verification{Status: dsar.VerificationPassed, Method: "email_link",
			By: "op", At: requestTime.Add(time.Minute), Note: "clicked"},
		Categories:      []string{"instance.contact", "instance.financial.card"},
		Purposes:        []string{"marketing.announcements"},
		DirectMarketing: true,
		Corrections:     []dsar.Correction{{Category: "instance.contact.email", Value: "new@example.com"}},
		Note:            "please hurry",
		Sources: []dsar.Outcome{
			{Source: "crm", Status: dsar.OutcomeDone, Attempts: 2, StartedAt: requestTime.Add(2 * time.Hour), FinishedAt: requestTime.Add(3 * time.Hour),
				Records: []dsar.Record{
					{Category: "instance.contact.email", ID: "c-1", Value: "a@example.com", CollectedAt: requestTime.Add(-time.Hour)},
					{Category: "instance.meeting.data", Value: map[string]any{"minutes": float64(30), "room": "r-1"}},
				},
				Erased: []dsar.Erased{{Category: "instance.contact.email", Method: dsar.Deleted, Count: 1}}, Kept: []string{"instance.financial.card"}, Rectified: 1},
			{Source: "meetings", Status: dsar.OutcomeFailed, Attempts: 1, Error: "connection refused"},
		},
		Exemptions: []dsar.Exemption{{Category: "instance.financial.card", Ground: dsar.GroundLegalObligation,
			Reason: "fiscal records", Until: requestTime.AddDate(7, 0, 0)}},
		Trail: []dsar.Entry{
			{At: requestTime, Actor: "u-1", Action: "opened", Detail: "erasure"},
			{At: requestTime.Add(time.Minute), Actor: "op", Action: "verified"},
			{At: requestTime.Add(3 * time.Hour), Actor: "desk", Action: "source_done", Source: "crm", Detail: "1 record"},
		},
		ClosedAt: requestTime.Add(4 * time.Hour),
	}
}

func testRequestRoundTrip(t *testing.T, s dsar.RequestStore) {
	want := sampleRequest("r-1")
	if err := s.Create(t.Context(), want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := s.Request(t.Context(), "r-1")
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Request after Create (-want +got):\n%s", diff)
	}

	want.Status = dsar.StatusCompleted
	want.Trail = append(want.Trail, dsar.Entry{At: requestTime.Add(5 * time.Hour), Actor: "desk", Action: "completed"})
	stored, err := s.Update(t.Context(), "r-1", func(r *dsar.Request) error {
		r.Status = want.Status
		r.Trail = append(r.Trail, want.Trail[len(want.Trail)-1])
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("Update's result (-want +got):\n%s", diff)
	}
	got, err = s.Request(t.Context(), "r-1")
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Request after Update (-want +got):\n%s", diff)
	}
}

func testRequestCreateErrors(t *testing.T, s dsar.RequestStore) {
	if err := s.Create(t.Context(), sampleRequest("r-1")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	noID := sampleRequest("")
	noSubject := sampleRequest("r-2")
	noSubject.Subject.ID = ""
	// Times the SQL stores cannot keep as 64-bit nanoseconds since 1970
	// are refused by every store alike, naming the field.
	oldReceipt := sampleRequest("r-3")
	oldReceipt.ReceivedAt = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	farDue := sampleRequest("r-4")
	farDue.Due = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		r         dsar.Request
		wantIs    error
		wantField string
	}{
		{name: "duplicate id", r: sampleRequest("r-1"), wantIs: privacy.ErrConflict},
		{name: "missing id", r: noID, wantIs: privacy.ErrInvalid, wantField: "id"},
		{name: "missing subject", r: noSubject, wantIs: privacy.ErrInvalid, wantField: "subject.id"},
		{name: "received before 1970", r: oldReceipt, wantIs: privacy.ErrInvalid, wantField: "received_at"},
		{name: "due after 2262", r: farDue, wantIs: privacy.ErrInvalid, wantField: "due"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Create(t.Context(), tc.r)
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("Create: got %v, want an error wrapping %v", err, tc.wantIs)
			}
			var ve *privacy.ValidationError
			if tc.wantField != "" && (!errors.As(err, &ve) || ve.Field != tc.wantField) {
				t.Errorf("Create: got %v, want a ValidationError on %s", err, tc.wantField)
			}
		})
	}
}

func testRequestNotFound(t *testing.T, s dsar.RequestStore) {
	if _, err := s.Request(t.Context(), "nope"); !errors.Is(err, dsar.ErrNotFound) {
		t.Errorf("Request: got %v, want ErrNotFound", err)
	}
	// An id no store can hold is not found alike in every store, and
	// lists nothing (PostgreSQL failed with a driver error).
	for _, id := range []string{"r\x00", "r\xff"} {
		if _, err := s.Request(t.Context(), id); !errors.Is(err, dsar.ErrNotFound) {
			t.Errorf("Request(%q): got %v, want ErrNotFound", id, err)
		}
		if got, err := s.List(t.Context(), dsar.Filter{SubjectID: id}); err != nil || len(got) != 0 {
			t.Errorf("List(subject %q): %d requests, %v; want none and no error", id, len(got), err)
		}
	}
	called := false
	_, err := s.Update(t.Context(), "nope", func(*dsar.Request) error { called = true; return nil })
	if !errors.Is(err, dsar.ErrNotFound) || called {
		t.Errorf("Update: got %v (fn called %v), want ErrNotFound without calling fn", err, called)
	}
}

func testRequestUpdateAborts(t *testing.T, s dsar.RequestStore) {
	want := sampleRequest("r-1")
	if err := s.Create(t.Context(), want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	boom := errors.New("boom")
	_, err := s.Update(t.Context(), "r-1", func(r *dsar.Request) error {
		r.Status = dsar.StatusRejected
		r.Trail = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	_, err = s.Update(t.Context(), "r-1", func(r *dsar.Request) error { r.ID = "other"; return nil })
	if err == nil {
		t.Errorf("Update changing the id: got no error")
	}
	got, err := s.Request(t.Context(), "r-1")
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request changed by aborted updates (-want +got):\n%s", diff)
	}
}

func testRequestConcurrentUpdates(t *testing.T, s dsar.RequestStore) {
	r := sampleRequest("r-1")
	r.Sources, r.Trail = nil, nil
	if err := s.Create(t.Context(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.Update(t.Context(), "r-1", func(r *dsar.Request) error {
				r.Sources = append(r.Sources, dsar.Outcome{Source: fmt.Sprintf("s-%02d", i), Status: dsar.OutcomeDone})
				r.Trail = append(r.Trail, dsar.Entry{At: requestTime, Actor: "desk", Action: "source_done", Source: fmt.Sprintf("s-%02d", i)})
				return nil
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got, err := s.Request(t.Context(), "r-1")
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if len(got.Sources) != n || len(got.Trail) != n {
		t.Fatalf("after %d concurrent updates: got %d outcomes and %d trail entries, want %d each", n, len(got.Sources), len(got.Trail), n)
	}
	seen := map[string]bool{}
	for i, o := range got.Sources {
		seen[o.Source] = true
		if got.Trail[i].Source != o.Source {
			t.Errorf("outcome %d is %s but trail entry %d is %s: one update's writes were split", i, o.Source, i, got.Trail[i].Source)
		}
	}
	if len(seen) != n {
		t.Errorf("got %d distinct outcomes, want %d: an update was lost", len(seen), n)
	}
}

func testRequestList(t *testing.T, s dsar.RequestStore) {
	mk := func(id, subj string, received time.Time, st dsar.Status) dsar.Request {
		r := sampleRequest(id)
		r.Subject.ID, r.ReceivedAt, r.Due, r.Status = subj, received, dsar.DueDate(received, 0), st
		return r
	}
	jan31 := time.Date(2026, time.January, 31, 12, 0, 0, 0, time.UTC) // due 2026-02-28
	feb01 := time.Date(2026, time.February, 1, 8, 0, 0, 0, time.UTC)  // due 2026-03-01
	reqs := []dsar.Request{
		mk("b", "u-1", jan31, dsar.StatusInProgress),
		mk("a", "u-1", jan31, dsar.StatusReceived),
		mk("c", "u-2", feb01, dsar.StatusVerified),
		mk("d", "u-2", jan31, dsar.StatusCompleted),
		mk("e", "u-3", jan31, dsar.StatusForwarded),
		mk("f", "u-3", feb01, dsar.StatusBlocked),
	}
	reqs[len(reqs)-1].Blocked = "write subject state: subject_id: refused"
	for _, r := range reqs {
		if err := s.Create(t.Context(), r); err != nil {
			t.Fatalf("Create %s: %v", r.ID, err)
		}
	}
	tests := []struct {
		name string
		f    dsar.Filter
		want []string
	}{
		{name: "all, oldest first, ties by id", want: []string{"a", "b", "d", "e", "c", "f"}},
		{name: "by subject", f: dsar.Filter{SubjectID: "u-2"}, want: []string{"d", "c"}},
		{name: "by status", f: dsar.Filter{Status: dsar.StatusReceived}, want: []string{"a"}},
		{name: "none", f: dsar.Filter{SubjectID: "nobody"}, want: []string{}},
		{name: "not overdue on the due date", f: dsar.Filter{OverdueOn: dsar.Date(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC))}, want: []string{}},
		{name: "overdue the day after, open only", f: dsar.Filter{OverdueOn: dsar.Date(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))}, want: []string{"a", "b"}},
		{name: "overdue later, blocked too", f: dsar.Filter{OverdueOn: dsar.Date(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))}, want: []string{"a", "b", "c", "f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.List(t.Context(), tc.f)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			ids := []string{}
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("List(%+v) ids (-want +got):\n%s", tc.f, diff)
			}
		})
	}
}

func testRequestCanceledContext(t *testing.T, s dsar.RequestStore) {
	if err := s.Create(t.Context(), sampleRequest("r-1")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Request(ctx, "r-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Request with a canceled context: got %v, want context.Canceled", err)
	}
	if err := s.Create(ctx, sampleRequest("r-2")); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a canceled context: got %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx, dsar.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a canceled context: got %v, want context.Canceled", err)
	}
	called := false
	_, err := s.Update(ctx, "r-1", func(r *dsar.Request) error { called = true; r.Status = dsar.StatusRejected; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("Update with a canceled context: got %v (fn called %v), want context.Canceled without calling fn", err, called)
	}
	got, err := s.Request(t.Context(), "r-1")
	if err != nil || got.Status != dsar.StatusInProgress {
		t.Errorf("after canceled writes: status %s, error %v; want the request unchanged", got.Status, err)
	}
	if _, err := s.Request(t.Context(), "r-2"); !errors.Is(err, dsar.ErrNotFound) {
		t.Errorf("Create with a canceled context stored the request: %v", err)
	}
}
