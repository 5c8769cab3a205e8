package dsar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		req   dsar.Request
		check func(t *testing.T, f *fixture, r dsar.Request)
	}{
		{
			name: "access exports every source's records",
			req:  dsar.Request{Kind: dsar.KindAccess, Subject: user},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				e, err := f.desk.Export(t.Context(), r.ID)
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				want := []dsar.ExportRecord{
					{Source: "crm", Record: dsar.Record{Category: "instance.contact.email", ID: "c-1", Value: "ann@example.com"}},
					{Source: "crm", Record: dsar.Record{Category: "instance.account.username", ID: "c-1", Value: "ann"}},
					{Source: "meetings", Record: dsar.Record{Category: "instance.meeting.data", ID: "m-1", Value: "weekly sync, 30 min"}},
					{Source: "meetings", Record: dsar.Record{Category: "instance.meeting.data", ID: "m-2", Value: "intake, 15 min"}},
				}
				if diff := cmp.Diff(want, e.Records); diff != "" {
					t.Errorf("export records (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "access narrowed to categories",
			req:  dsar.Request{Kind: dsar.KindAccess, Subject: user, Categories: []string{"instance.contact"}},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				e, err := f.desk.Export(t.Context(), r.ID)
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				if len(e.Records) != 1 || e.Records[0].Category != "instance.contact.email" {
					t.Errorf("export records = %+v, want only the email", e.Records)
				}
			},
		},
		{
			name: "portability exports data processed on consent or contract",
			req:  dsar.Request{Kind: dsar.KindPortability, Subject: user},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				e, err := f.desk.Export(t.Context(), r.ID)
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				if len(e.Records) != 4 || e.Article != "GDPR Art. 20" {
					t.Errorf("portability export: %d records under %s, want 4 under GDPR Art. 20", len(e.Records), e.Article)
				}
			},
		},
		{
			name: "rectification corrects in every source",
			req: dsar.Request{Kind: dsar.KindRectification, Subject: user,
				Corrections: []dsar.Correction{{Category: "instance.contact.email", Value: "ann@new.example"}}},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				if got := r.Outcome("crm").Rectified; got != 1 {
					t.Errorf("crm rectified %d records, want 1", got)
				}
				if got := r.Outcome("meetings").Rectified; got != 0 {
					t.Errorf("meetings rectified %d records, want 0", got)
				}
				recs, _ := f.crm.Export(t.Context(), user)
				if recs[0].Value != "ann@new.example" {
					t.Errorf("crm email = %v, want the correction", recs[0].Value)
				}
			},
		},
		{
			name: "erasure erases every source and deactivates",
			req:  dsar.Request{Kind: dsar.KindErasure, Subject: user},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				want := []dsar.Erased{{Category: "instance.meeting.data", Method: dsar.Deleted, Count: 2}}
				if diff := cmp.Diff(want, r.Outcome("meetings").Erased); diff != "" {
					t.Errorf("meetings erased (-want +got):\n%s", diff)
				}
				st, _ := f.states.State(t.Context(), user.ID)
				if !st.Deactivated || st.Restricted {
					t.Errorf("state after erasure: deactivated %v restricted %v, want deactivated only", st.Deactivated, st.Restricted)
				}
			},
		},
		{
			name: "restriction restricts the subject",
			req:  dsar.Request{Kind: dsar.KindRestriction, Subject: user},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				st, _ := f.states.State(t.Context(), user.ID)
				if !st.Restricted || st.Deactivated {
					t.Errorf("state: restricted %v deactivated %v, want restricted only", st.Restricted, st.Deactivated)
				}
			},
		},
		{
			name: "objection to a purpose and to direct marketing",
			req: dsar.Request{Kind: dsar.KindObjection, Subject: user,
				Purposes: []string{"service.personalisation"}, DirectMarketing: true},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				st, _ := f.states.State(t.Context(), user.ID)
				want := []subject.Objection{{DirectMarketing: true, At: received}, {Purpose: "service.personalisation", At: received}}
				if diff := cmp.Diff(want, st.Objections); diff != "" {
					t.Errorf("objections (-want +got):\n%s", diff)
				}
				if !st.ObjectsTo("marketing.announcements", true) {
					t.Errorf("state does not object to direct marketing")
				}
				if r.Refusal != nil {
					t.Errorf("refusal %+v for an objection every purpose of which it reaches", r.Refusal)
				}
			},
		},
		{
			// Art. 21(1) gives no right to object to processing on
			// contract or legal obligation: the objection is recorded, and
			// the subject is told that processing goes on, why, and of the
			// remedies (Art. 12(4)). Before, the request completed as if
			// the objection had been honoured.
			name: "objection to a purpose on contract is recorded and explained",
			req: dsar.Request{Kind: dsar.KindObjection, Subject: user,
				Purposes: []string{"service.delivery", "service.personalisation"}},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				if r.Refusal == nil || !strings.Contains(r.Refusal.Reason, "service.delivery (on contract)") ||
					strings.Contains(r.Refusal.Reason, "service.personalisation") || len(r.Refusal.Remedies) != 2 {
					t.Errorf("refusal %+v, want service.delivery explained (and not service.personalisation) with the remedies", r.Refusal)
				}
				if !slices.Contains(actions(r), "objection_without_effect") {
					t.Errorf("trail %v lacks objection_without_effect", actions(r))
				}
			},
		},
		{
			name: "deactivation deactivates the account",
			req:  dsar.Request{Kind: dsar.KindDeactivation, Subject: user},
			check: func(t *testing.T, f *fixture, r dsar.Request) {
				st, _ := f.states.State(t.Context(), user.ID)
				if !st.Deactivated {
					t.Errorf("state not deactivated")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := f.openVerified(t, tc.req)
			r = f.run(t, r.ID)
			if r.Status != dsar.StatusCompleted || !r.ClosedAt.Equal(received) {
				t.Fatalf("after Run: status %s closed %s, want completed at %s", r.Status, r.ClosedAt, received)
			}
			stored, err := f.desk.Request(t.Context(), r.ID)
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			if diff := cmp.Diff(r, stored); diff != "" {
				t.Errorf("stored request differs from Run's result (-want +got):\n%s", diff)
			}
			if got := actions(r); got[0] != "opened" || got[1] != "verified" || got[len(got)-1] != "completed" {
				t.Errorf("trail = %v, want opened, verified, …, completed", got)
			}
			tc.check(t, f, r)
		})
	}
}

func TestNothingHappensBeforeVerification(t *testing.T) {
	t.Parallel()
	refuse := dsar.VerifierFunc(func(_ context.Context, _ dsar.Request, ev dsar.Evidence) (bool, error) {
		return ev.Token == "right", nil
	})
	f := newFixture(t, dsar.WithVerifier(refuse))
	r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindErasure, Subject: user, Channel: "email"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrNotVerified) {
		t.Fatalf("Run before Verify: got %v, want ErrNotVerified", err)
	}
	r, err = f.desk.Verify(t.Context(), r.ID, dsar.Evidence{Method: "email_link", By: "op", Token: "wrong"})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if r.Status != dsar.StatusReceived || r.Verification.Status != dsar.VerificationFailed {
		t.Fatalf("after a failed check: status %s verification %s, want received and failed", r.Status, r.Verification.Status)
	}
	if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrNotVerified) {
		t.Fatalf("Run after failed Verify: got %v, want ErrNotVerified", err)
	}
	for name, s := range map[string]*source{"crm": f.crm, "meetings": f.meetings} {
		if n := s.count("export") + s.count("erase") + s.count("rectify"); n != 0 {
			t.Errorf("source %s called %d times before verification", name, n)
		}
	}
	r, err = f.desk.Verify(t.Context(), r.ID, dsar.Evidence{Method: "email_link", By: "op", Token: "right"})
	if err != nil || r.Status != dsar.StatusVerified {
		t.Fatalf("Verify with the right token: status %s, error %v", r.Status, err)
	}
	if _, err := f.desk.Verify(t.Context(), r.ID, operator); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Verify twice: got %v, want ErrTransition", err)
	}
	if diff := cmp.Diff([]string{"opened", "verification_failed", "verified"}, actions(r)); diff != "" {
		t.Errorf("trail (-want +got):\n%s", diff)
	}
}

func TestFailingSourceIsRetriedAlone(t *testing.T) {
	t.Parallel()
	for _, kind := range []dsar.Kind{dsar.KindAccess, dsar.KindErasure} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.meetings.failNext(1)
			r := f.openVerified(t, dsar.Request{Kind: kind, Subject: user})

			r, err := f.desk.Run(t.Context(), r.ID)
			if !errors.Is(err, dsar.ErrIncomplete) || !strings.Contains(err.Error(), "meetings: connection refused") {
				t.Fatalf("first Run: got %v, want ErrIncomplete naming meetings", err)
			}
			if r.Status != dsar.StatusInProgress {
				t.Fatalf("after a failed source: status %s, want in_progress", r.Status)
			}
			wantOutcomes := []dsar.Outcome{
				{Source: "crm", Status: dsar.OutcomeDone, Attempts: 1},
				{Source: "meetings", Status: dsar.OutcomeFailed, Attempts: 1, Error: "connection refused"},
			}
			ignore := cmpopts.IgnoreFields(dsar.Outcome{}, "StartedAt", "FinishedAt", "Records", "Erased")
			if diff := cmp.Diff(wantOutcomes, r.Sources, ignore); diff != "" {
				t.Errorf("outcomes after the first Run (-want +got):\n%s", diff)
			}

			crmCalls, meetingsCalls := f.crm.total(), f.meetings.total()
			r = f.run(t, r.ID)
			if r.Status != dsar.StatusCompleted {
				t.Fatalf("after the retry: status %s, want completed", r.Status)
			}
			if got := f.crm.total(); got != crmCalls {
				t.Errorf("crm called %d times in all, want %d as before the retry: a finished source was redone", got, crmCalls)
			}
			if got := f.meetings.total(); got <= meetingsCalls {
				t.Errorf("meetings called %d times in all, want more than %d: the failed source was not retried", got, meetingsCalls)
			}
			method := map[dsar.Kind]string{dsar.KindAccess: "export", dsar.KindErasure: "erase"}[kind]
			if got := f.crm.count(method); got != 1 {
				t.Errorf("crm %s called %d times, want 1", method, got)
			}
			if got := f.meetings.count(method); got != map[dsar.Kind]int{dsar.KindAccess: 2, dsar.KindErasure: 1}[kind] {
				t.Errorf("meetings %s called %d times", method, got)
			}
			wantOutcomes[1] = dsar.Outcome{Source: "meetings", Status: dsar.OutcomeDone, Attempts: 2}
			if diff := cmp.Diff(wantOutcomes, r.Sources, ignore); diff != "" {
				t.Errorf("outcomes after the retry (-want +got):\n%s", diff)
			}
			if _, err := f.desk.Run(t.Context(), r.ID); err != nil {
				t.Errorf("Run of a completed request: %v", err)
			}
			if f.crm.total() != crmCalls {
				t.Errorf("Run of a completed request called crm again")
			}
		})
	}
}

// A Desk that no longer registers a source an earlier run fanned out to
// (restarted without it, or with it renamed) must not complete the
// request: that source's part was never done.
func TestUnregisteredSourceNotDoneKeepsRequestOpen(t *testing.T) {
	t.Parallel()
	for _, kind := range []dsar.Kind{dsar.KindAccess, dsar.KindErasure} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.meetings.failNext(1)
			r := f.openVerified(t, dsar.Request{Kind: kind, Subject: user})
			if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrIncomplete) {
				t.Fatalf("first Run: got %v, want ErrIncomplete", err)
			}
			crmOnly := dsar.NewDesk(f.requests, f.states, dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithClock(f.clock.Now), dsar.WithSource("crm", f.crm))
			r, err := crmOnly.Run(t.Context(), r.ID)
			if !errors.Is(err, dsar.ErrIncomplete) || !strings.Contains(err.Error(), "meetings: failed and not registered") {
				t.Errorf("Run without meetings: got %v, want ErrIncomplete naming meetings as not registered", err)
			}
			if r.Status != dsar.StatusInProgress {
				t.Errorf("Run without meetings: status %s, want in_progress", r.Status)
			}
			// With meetings back, the request completes.
			if r = f.run(t, r.ID); r.Status != dsar.StatusCompleted {
				t.Errorf("Run with meetings back: status %s, want completed", r.Status)
			}
		})
	}
}

// TestRetireDecommissionedSource: a source taken out of service for good
// (its data destroyed) after a request's earlier run used it can be
// retired, with a note saying how; the next Run completes the request.
// Before, such a request stayed in progress for ever. A registered source,
// one the request never used, a missing note and a source done already
// are refused.
func TestRetireDecommissionedSource(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.meetings.failNext(1)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrIncomplete) {
		t.Fatalf("first Run: got %v, want ErrIncomplete", err)
	}
	crmOnly := dsar.NewDesk(f.requests, f.states, dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithClock(f.clock.Now), dsar.WithSource("crm", f.crm))
	var ve *privacy.ValidationError
	if _, err := crmOnly.Retire(t.Context(), r.ID, "meetings", "", "ops"); !errors.As(err, &ve) || ve.Field != "note" {
		t.Errorf("Retire without a note: %v, want a ValidationError on note", err)
	}
	if _, err := crmOnly.Retire(t.Context(), r.ID, "crm", "gone", "ops"); !errors.As(err, &ve) || ve.Field != "source" {
		t.Errorf("Retire of a registered source: %v, want a ValidationError on source", err)
	}
	if _, err := crmOnly.Retire(t.Context(), r.ID, "meeting", "gone", "ops"); !errors.As(err, &ve) || ve.Field != "source" || !strings.Contains(err.Error(), `did you mean "meetings"`) {
		t.Errorf("Retire of a source the request never used: %v, want a ValidationError suggesting meetings", err)
	}
	if _, err := crmOnly.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrIncomplete) {
		t.Fatalf("Run without meetings: got %v, want ErrIncomplete", err)
	}
	got, err := crmOnly.Retire(t.Context(), r.ID, "meetings", "meetings database destroyed with its backups, ticket OPS-12", "ops")
	if err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if o := got.Outcome("meetings"); o == nil || o.Status != dsar.OutcomeRetired {
		t.Fatalf("meetings outcome after Retire: %+v, want retired", o)
	}
	last := got.Trail[len(got.Trail)-1]
	if last.Action != "source_retired" || last.Source != "meetings" || last.Actor != "ops" || !strings.Contains(last.Detail, "OPS-12") {
		t.Errorf("trail entry %+v, want source_retired by ops with the note", last)
	}
	if _, err := crmOnly.Retire(t.Context(), r.ID, "meetings", "again", "ops"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Retire twice: %v, want ErrTransition", err)
	}
	if got, err = crmOnly.Run(t.Context(), r.ID); err != nil || got.Status != dsar.StatusCompleted {
		t.Errorf("Run after Retire: %v, status %s; want completed", err, got.Status)
	}
	if _, err := crmOnly.Retire(t.Context(), r.ID, "meetings", "closed", "ops"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Retire on a completed request: %v, want ErrTransition", err)
	}
}

func TestResumeAfterCrash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dsar.WithLease(5*time.Minute))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
	// A process claimed meetings and died: its outcome stays running.
	if _, err := f.requests.Update(t.Context(), r.ID, func(r *dsar.Request) error {
		r.Status = dsar.StatusInProgress
		r.Sources = []dsar.Outcome{{Source: "meetings", Status: dsar.OutcomeRunning, Attempts: 1, StartedAt: received}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	f.clock.Add(time.Minute)
	r, err := f.desk.Run(t.Context(), r.ID)
	if !errors.Is(err, dsar.ErrIncomplete) || !strings.Contains(err.Error(), "meetings: running") {
		t.Fatalf("Run within the lease: got %v, want ErrIncomplete with meetings running", err)
	}
	if f.crm.count("export") != 1 || f.meetings.count("export") != 0 {
		t.Fatalf("within the lease: crm %d, meetings %d exports, want 1 and 0", f.crm.count("export"), f.meetings.count("export"))
	}

	f.clock.Add(5 * time.Minute)
	r = f.run(t, r.ID)
	if r.Status != dsar.StatusCompleted {
		t.Fatalf("after the lease: status %s, want completed", r.Status)
	}
	if f.crm.count("export") != 1 || f.meetings.count("export") != 1 {
		t.Errorf("after the lease: crm %d, meetings %d exports, want 1 each", f.crm.count("export"), f.meetings.count("export"))
	}
	if got := r.Outcome("meetings").Attempts; got != 2 {
		t.Errorf("meetings attempts = %d, want 2", got)
	}
}

func TestConcurrentRunsCallEachSourceOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gate := make(chan struct{})
	f.crm.gate, f.meetings.gate = gate, gate
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _, _ = f.desk.Run(t.Context(), r.ID) })
	}
	// Whichever order the runs claim in, and whether or not a source has
	// answered by then, a source is claimed once.
	close(gate)
	wg.Wait()
	r = f.run(t, r.ID)
	if r.Status != dsar.StatusCompleted {
		t.Fatalf("status %s, want completed", r.Status)
	}
	if f.crm.count("export") != 1 || f.meetings.count("export") != 1 {
		t.Errorf("crm %d, meetings %d exports, want 1 each", f.crm.count("export"), f.meetings.count("export"))
	}
}

func TestErasureKeepsWhatTheLawKeeps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		holds          dsar.Holds
		wantExemptions []dsar.Exemption
		wantLeft       []string // categories left in the sources
	}{
		{
			name: "financial record under the fiscal duty",
			wantExemptions: []dsar.Exemption{
				{Category: "instance.financial.payment", Ground: dsar.GroundLegalObligation, Reason: "fiscal records are kept 7 years (AWR art. 52(4), BW 2:10(3))"},
			},
			wantLeft: []string{"instance.financial.payment"},
		},
		{
			name: "meeting data under a legal hold",
			holds: &dsar.CatalogHolds{Catalog: privacy.DefaultCatalog(), FiscalReason: "fiscal duty",
				LegalHolds: []dsar.LegalHold{{SubjectID: user.ID, Categories: []string{"instance.meeting"}, Reason: "dispute 2026-17"}}},
			wantExemptions: []dsar.Exemption{
				{Category: "instance.financial.payment", Ground: dsar.GroundLegalObligation, Reason: "fiscal duty"},
				{Category: "instance.meeting.data", Ground: dsar.GroundLegalClaims, Reason: "dispute 2026-17"},
			},
			wantLeft: []string{"instance.financial.payment", "instance.meeting.data", "instance.meeting.data"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			billing := newSource(user.ID,
				dsar.Record{Category: "instance.financial.payment", ID: "inv-2026-001", Value: "EUR 49.00 paid 2026-01-02"},
				dsar.Record{Category: "instance.contact.email", ID: "inv-2026-001", Value: "ann@example.com"})
			opts := []dsar.Option{dsar.WithSource("billing", billing)}
			if tc.holds != nil {
				opts = append(opts, dsar.WithHolds(tc.holds))
			}
			f := newFixture(t, opts...)
			r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
			r = f.run(t, r.ID)
			if r.Status != dsar.StatusCompleted {
				t.Fatalf("status %s, want completed", r.Status)
			}
			if diff := cmp.Diff(tc.wantExemptions, r.Exemptions); diff != "" {
				t.Errorf("exemptions (-want +got):\n%s", diff)
			}
			wantBilling := []dsar.Erased{{Category: "instance.contact.email", Method: dsar.Deleted, Count: 1}}
			if diff := cmp.Diff(wantBilling, r.Outcome("billing").Erased); diff != "" {
				t.Errorf("billing erased (-want +got):\n%s", diff)
			}
			st, _ := f.states.State(t.Context(), user.ID)
			if !st.Deactivated || !st.Restricted {
				t.Errorf("state: deactivated %v restricted %v, want both: kept data is restricted", st.Deactivated, st.Restricted)
			}
			if !strings.Contains(strings.Join(actions(r), " "), "exempted") {
				t.Errorf("trail %v records no exemption", actions(r))
			}

			// What is left is exactly what was kept: an access request shows it.
			a := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
			f.run(t, a.ID)
			e, err := f.desk.Export(t.Context(), a.ID)
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			left := []string{}
			for _, rec := range e.Records {
				left = append(left, rec.Category)
			}
			if diff := cmp.Diff(tc.wantLeft, left); diff != "" {
				t.Errorf("categories left after erasure (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessAfterErasureReturnsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
	f.run(t, before.ID)
	erasure := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	f.run(t, erasure.ID)
	after := f.openVerified(t, dsar.Request{Kind: dsar.KindAccess, Subject: user})
	f.run(t, after.ID)

	e, err := f.desk.Export(t.Context(), after.ID)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if len(e.Records) != 0 || len(e.Categories) != 0 {
		t.Errorf("access after erasure: %d records in %d categories, want none", len(e.Records), len(e.Categories))
	}
	if diff := cmp.Diff([]string{"crm", "meetings"}, e.Sources); diff != "" {
		t.Errorf("sources searched (-want +got):\n%s", diff)
	}
	if !strings.Contains(e.Summary(), "We hold no personal data about you") {
		t.Errorf("summary does not say so:\n%s", e.Summary())
	}
	// The copy made by the earlier access request is gone too.
	old, err := f.desk.Export(t.Context(), before.ID)
	if err != nil {
		t.Fatalf("Export of the earlier request: %v", err)
	}
	if len(old.Records) != 0 {
		t.Errorf("earlier access request still holds %d records after the erasure", len(old.Records))
	}
}

type pseudonymiser struct {
	mu    sync.Mutex
	calls []string
}

func (p *pseudonymiser) Pseudonymise(_ context.Context, subjectID string) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, subjectID)
	return 1, nil
}

func TestErasurePseudonymisesConsentEvidence(t *testing.T) {
	t.Parallel()
	p := &pseudonymiser{}
	f := newFixture(t, dsar.WithConsent(p))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	r = f.run(t, r.ID)
	if diff := cmp.Diff([]string{user.ID}, p.calls); diff != "" {
		t.Errorf("Pseudonymise calls (-want +got):\n%s", diff)
	}
	want := []string{"opened", "verified", "started", "source_done", "source_done", "consent_pseudonymised", "state_written", "recipients_listed", "completed"}
	if diff := cmp.Diff(want, actions(r)); diff != "" {
		t.Errorf("trail (-want +got):\n%s", diff)
	}
}

func TestGuestRequestIsForwardedNotFulfilled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		proceed    bool
		wantStatus dsar.Status
		wantErased int
	}{
		{name: "controller instructs to proceed", proceed: true, wantStatus: dsar.StatusCompleted, wantErased: 1},
		{name: "controller declines", proceed: false, wantStatus: dsar.StatusRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var forwarded []dsar.Request
			notify := dsar.NotifierFunc(func(_ context.Context, r dsar.Request) error {
				mu.Lock()
				defer mu.Unlock()
				forwarded = append(forwarded, r)
				return nil
			})
			f := newFixture(t, dsar.WithNotifier(notify))
			f.meetings.data[guest.ID] = []dsar.Record{{Category: "guest.contact.email", Value: "gina@example.com"}}

			r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindErasure, Subject: guest, RequestedBy: "gina@example.com"})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := f.desk.Verify(t.Context(), r.ID, operator); !errors.Is(err, dsar.ErrTransition) {
				t.Errorf("Verify of a guest request: got %v, want ErrTransition (the controller verifies)", err)
			}
			r = f.run(t, r.ID)
			if r.Status != dsar.StatusForwarded {
				t.Fatalf("after Run: status %s, want forwarded", r.Status)
			}
			if len(forwarded) != 1 || forwarded[0].ID != r.ID || forwarded[0].Subject.Controller != "acme" {
				t.Fatalf("forwarded %+v, want the request once, to acme", forwarded)
			}
			if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrTransition) {
				t.Errorf("Run while awaiting the controller: got %v, want ErrTransition", err)
			}
			if n := f.crm.count("erase") + f.meetings.count("erase"); n != 0 {
				t.Fatalf("sources erased %d times before the controller's instruction", n)
			}
			if _, err := f.desk.Overdue(t.Context()); err != nil {
				t.Fatal(err)
			}

			r, err = f.desk.Instruct(t.Context(), r.ID, dsar.Instruction{By: "dpo@acme.example", Proceed: tc.proceed, Reference: "ACME-42"})
			if err != nil {
				t.Fatalf("Instruct: %v", err)
			}
			r = f.run(t, r.ID)
			if r.Status != tc.wantStatus {
				t.Fatalf("after the instruction: status %s, want %s", r.Status, tc.wantStatus)
			}
			erased := 0
			for _, o := range r.Sources {
				for _, e := range o.Erased {
					erased += e.Count
				}
			}
			if erased != tc.wantErased {
				t.Errorf("erased %d records, want %d", erased, tc.wantErased)
			}
		})
	}
}

func TestGuestRequestWithoutNotifierStaysReceived(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: guest})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r, err = f.desk.Run(t.Context(), r.ID)
	if err == nil || r.Status != dsar.StatusReceived {
		t.Errorf("Run without a notifier: status %s, error %v; want received and an error", r.Status, err)
	}
}

// The request of a subject the operator processes for a controller (a
// guest) is the controller's to decide (Art. 28(3)(e)): the operator
// cannot reject it, received or after the controller said to proceed; the
// controller's decline rejects it.
func TestProcessorCannotRejectAGuestRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: guest})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got, err := f.desk.Reject(t.Context(), r.ID, "we would rather not", "op"); !errors.Is(err, dsar.ErrTransition) || got.Status == dsar.StatusRejected {
		t.Errorf("Reject of a guest's request: status %s, error %v; want ErrTransition", got.Status, err)
	}
	if got, err := f.desk.Request(t.Context(), r.ID); err != nil || got.Status != dsar.StatusReceived {
		t.Errorf("after the refused Reject: status %s, error %v; want received", got.Status, err)
	}
}

func TestOpenValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       dsar.Request
		wantField string
	}{
		{name: "unknown kind", req: dsar.Request{Kind: "forget", Subject: user}, wantField: "kind"},
		{name: "no subject id", req: dsar.Request{Kind: dsar.KindAccess, Subject: privacy.Subject{Kind: "user"}}, wantField: "subject.id"},
		{name: "unknown subject kind", req: dsar.Request{Kind: dsar.KindAccess, Subject: privacy.Subject{ID: "x", Kind: "robot"}}, wantField: "subject.kind"},
		{name: "guest without controller", req: dsar.Request{Kind: dsar.KindAccess, Subject: privacy.Subject{ID: "g", Kind: "guest"}}, wantField: "subject.controller"},
		{name: "unknown category", req: dsar.Request{Kind: dsar.KindErasure, Subject: user, Categories: []string{"instance.shoe_size"}}, wantField: "categories[0]"},
		{name: "another kind's category", req: dsar.Request{Kind: dsar.KindErasure, Subject: user, Categories: []string{"guest.it"}}, wantField: "categories[0]"},
		{name: "objection to nothing", req: dsar.Request{Kind: dsar.KindObjection, Subject: user}, wantField: "purposes"},
		{name: "objection to an unknown purpose", req: dsar.Request{Kind: dsar.KindObjection, Subject: user, Purposes: []string{"spam"}}, wantField: "purposes[0]"},
		{name: "rectification without corrections", req: dsar.Request{Kind: dsar.KindRectification, Subject: user}, wantField: "corrections"},
		{name: "correction of an unknown category", req: dsar.Request{Kind: dsar.KindRectification, Subject: user,
			Corrections: []dsar.Correction{{Category: "nope", Value: 1}}}, wantField: "corrections[0].category"},
		{name: "subject id longer than the stores keep", req: dsar.Request{Kind: dsar.KindErasure,
			Subject: privacy.Subject{ID: strings.Repeat("u", privacy.MaxIDLength+1), Kind: privacy.SubjectUser}}, wantField: "subject.id"},
		{name: "subject id with a NUL byte", req: dsar.Request{Kind: dsar.KindErasure,
			Subject: privacy.Subject{ID: "u\x00-1", Kind: privacy.SubjectUser}}, wantField: "subject.id"},
		{name: "requester longer than the stores keep", req: dsar.Request{Kind: dsar.KindAccess, Subject: user,
			RequestedBy: strings.Repeat("r", privacy.MaxIDLength+1)}, wantField: "requested_by"},
		{name: "controller longer than the stores keep", req: dsar.Request{Kind: dsar.KindAccess,
			Subject: privacy.Subject{ID: "g", Kind: "guest", Controller: strings.Repeat("c", privacy.MaxIDLength+1)}}, wantField: "subject.controller"},
		{name: "rectification without a value", req: dsar.Request{Kind: dsar.KindRectification, Subject: user,
			Corrections: []dsar.Correction{{Category: "instance.contact.email"}}}, wantField: "corrections[0].value"},
		// A receipt dated ahead of the desk's clock would move the
		// deadline (Art. 12(3): one month from receipt) as far.
		{name: "received in the future", req: dsar.Request{Kind: dsar.KindAccess, Subject: user,
			ReceivedAt: received.AddDate(0, 3, 0)}, wantField: "received_at"},
		{name: "received before 1970", req: dsar.Request{Kind: dsar.KindAccess, Subject: user,
			ReceivedAt: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, wantField: "received_at"},
		{name: "channel with a NUL byte", req: dsar.Request{Kind: dsar.KindAccess, Subject: user, Channel: "email\x00"}, wantField: "channel"},
		{name: "note of megabytes", req: dsar.Request{Kind: dsar.KindAccess, Subject: user, Note: strings.Repeat("n", 4<<20)}, wantField: "note"},
		{name: "note with invalid UTF-8", req: dsar.Request{Kind: dsar.KindAccess, Subject: user, Note: "n\xff"}, wantField: "note"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.desk.Open(t.Context(), tc.req)
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.wantField || privacy.ErrorCode(err) != privacy.EINVALID {
				t.Errorf("Open: got %v, want a ValidationError on %s", err, tc.wantField)
			}
			if got, _ := f.desk.List(t.Context(), dsar.Filter{}); len(got) != 0 {
				t.Errorf("Open refused the request but stored %d", len(got))
			}
		})
	}
}

func TestReject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Reject(t.Context(), r.ID, "", "op"); !errors.Is(err, privacy.ErrInvalid) {
		t.Errorf("Reject without a reason: got %v, want ErrInvalid", err)
	}
	r, err = f.desk.Reject(t.Context(), r.ID, "identity could not be established (Art. 12(6))", "op")
	if err != nil || r.Status != dsar.StatusRejected {
		t.Fatalf("Reject: status %s, error %v", r.Status, err)
	}
	// Art. 12(4): the subject is told why, and of the right to complain to
	// a supervisory authority and to a judicial remedy; the stored request
	// keeps what they were told.
	stored, err := f.desk.Request(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []dsar.Request{r, stored} {
		if got.Refusal == nil || got.Refusal.Reason != "identity could not be established (Art. 12(6))" ||
			len(got.Refusal.Remedies) != 2 || !strings.Contains(got.Refusal.Remedies[0], "Art. 77") || !strings.Contains(got.Refusal.Remedies[1], "Art. 79") {
			t.Errorf("refusal %+v: want the reason and the remedies of Art. 77 and 79", got.Refusal)
		}
	}
	if _, err := f.desk.Reject(t.Context(), r.ID, "again", "op"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Reject twice: got %v, want ErrTransition", err)
	}
	if _, err := f.desk.Export(t.Context(), r.ID); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Export of a rejected request: got %v, want ErrTransition", err)
	}
	if _, err := f.desk.Run(t.Context(), "r-404"); !errors.Is(err, dsar.ErrNotFound) || privacy.ErrorCode(err) != privacy.ENOTFOUND {
		t.Errorf("Run of an unknown request: got %v, want ErrNotFound", err)
	}
}

func TestRejectInProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.meetings.failNext(1)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrIncomplete) {
		t.Fatalf("Run: got %v, want ErrIncomplete", err)
	}
	if _, err := f.desk.Reject(t.Context(), r.ID, "changed my mind", "op"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Reject of an erasure in progress: got %v, want ErrTransition", err)
	}
}

func TestRunWithoutSources(t *testing.T) {
	t.Parallel()
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}))
	r, err := desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Verify(t.Context(), r.ID, operator); err != nil {
		t.Fatal(err)
	}
	r, err = desk.Run(t.Context(), r.ID)
	if !errors.Is(err, dsar.ErrNoSource) || r.Status != dsar.StatusVerified {
		t.Errorf("Run without sources: status %s, error %v; want ErrNoSource and nothing answered", r.Status, err)
	}
}

func TestAttestation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   dsar.Evidence
		want bool
	}{
		{name: "method and operator", ev: dsar.Evidence{Method: "id_document", By: "op-anna"}, want: true},
		{name: "no method", ev: dsar.Evidence{By: "op-anna"}},
		{name: "no operator", ev: dsar.Evidence{Method: "id_document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
			if err != nil {
				t.Fatal(err)
			}
			r, err = f.desk.Verify(t.Context(), r.ID, tc.ev)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := r.Status == dsar.StatusVerified; got != tc.want {
				t.Errorf("verified = %v, want %v (verification %+v)", got, tc.want, r.Verification)
			}
		})
	}
}

// The consent ledgers of the module are ConsentErasers as they are.
var (
	_ dsar.ConsentEraser = (*memory.ConsentStore)(nil)
)

// The text an operator or controller gives a step goes into the trail
// that every store keeps: it is bounded and checked as Open checks a
// request's note, and the field is named.
func TestStepTextIsChecked(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", subject.MaxReasonBytes+1)
	cases := []struct {
		name, field string
		call        func(d *dsar.Desk, id string) error
	}{
		{"extend long reason", "reason", func(d *dsar.Desk, id string) error {
			_, err := d.Extend(t.Context(), id, 1, long, "op")
			return err
		}},
		{"extend NUL by", "by", func(d *dsar.Desk, id string) error {
			_, err := d.Extend(t.Context(), id, 1, "numerous requests", "op\x00")
			return err
		}},
		{"reject invalid UTF-8 reason", "reason", func(d *dsar.Desk, id string) error {
			_, err := d.Reject(t.Context(), id, "unfounded \xff", "op")
			return err
		}},
		{"reject long reason", "reason", func(d *dsar.Desk, id string) error {
			_, err := d.Reject(t.Context(), id, long, "op")
			return err
		}},
		{"resume long note", "note", func(d *dsar.Desk, id string) error {
			_, err := d.Resume(t.Context(), id, long, "op")
			return err
		}},
		{"verify long note", "note", func(d *dsar.Desk, id string) error {
			_, err := d.Verify(t.Context(), id, dsar.Evidence{Method: "email_link", By: "op", Note: long})
			return err
		}},
		{"verify NUL method", "method", func(d *dsar.Desk, id string) error {
			_, err := d.Verify(t.Context(), id, dsar.Evidence{Method: "email\x00", By: "op"})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
			if err != nil {
				t.Fatal(err)
			}
			err = c.call(f.desk, r.ID)
			if ve, ok := errors.AsType[*privacy.ValidationError](err); !ok || ve.Field != c.field {
				t.Errorf("got %v, want a *privacy.ValidationError naming %s", err, c.field)
			}
			got, err := f.desk.Request(t.Context(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"opened"}, actions(got)); diff != "" {
				t.Errorf("trail after a refused step (-want +got):\n%s", diff)
			}
		})
	}
}

// A Desk built with a nil store or option, or a lease or concurrency that
// is not positive, says so from every method instead of panicking at
// first use (a nil source panicked in a goroutine of Run) or letting two
// Runs claim one source at once (a lease of zero).
func TestBadOptionsAreErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, field string
		opt         dsar.Option
	}{
		{"nil location", "WithLocation", dsar.WithLocation(nil)},
		{"nil clock", "WithClock", dsar.WithClock(nil)},
		{"nil source", "WithSource", dsar.WithSource("billing", nil)},
		{"blank source name", "WithSource name", dsar.WithSource(" ", newSource(user.ID))},
		{"zero lease", "WithLease", dsar.WithLease(0)},
		{"negative lease", "WithLease", dsar.WithLease(-time.Minute)},
		{"zero concurrency", "WithConcurrency", dsar.WithConcurrency(0)},
		{"nil verifier", "WithVerifier", dsar.WithVerifier(nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
			d := dsar.NewDesk(f.requests, f.states, dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}), dsar.WithSource("crm", f.crm), c.opt)
			check := func(what string, err error) {
				t.Helper()
				if ve, ok := errors.AsType[*privacy.ValidationError](err); !ok || ve.Field != c.field {
					t.Errorf("%s: got %v, want a *privacy.ValidationError naming %s", what, err, c.field)
				}
			}
			_, err := d.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
			check("Open", err)
			_, err = d.Run(t.Context(), r.ID)
			check("Run", err)
			_, err = d.Overdue(t.Context())
			check("Overdue", err)
			if f.crm.total() != 0 {
				t.Errorf("a source was called by a Desk with a bad option")
			}
		})
	}
	if _, err := dsar.NewDesk(nil, memory.NewStateStore(), dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()})).Request(t.Context(), "r-1"); err == nil {
		t.Errorf("a Desk without a request store: Request returned no error")
	}
}

// panicSource panics in every method, as a buggy service adapter might.
type panicSource struct{}

func (panicSource) Export(context.Context, privacy.Subject) ([]dsar.Record, error) {
	panic("index out of range for u-1")
}

func (panicSource) Erase(context.Context, privacy.Subject, []string) ([]dsar.Erased, error) {
	panic("index out of range for u-1")
}

func (panicSource) Rectify(context.Context, privacy.Subject, []dsar.Correction) (int, error) {
	panic("index out of range for u-1")
}

// A source that panics fails its outcome (without the panic's text, which
// may hold the subject's data) instead of taking the process down from
// Run's goroutine; the others' outcomes are recorded.
func TestPanickingSourceFailsItsOutcome(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dsar.WithSource("billing", panicSource{}))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	r, err := f.desk.Run(t.Context(), r.ID)
	if !errors.Is(err, dsar.ErrIncomplete) || !strings.Contains(err.Error(), "billing: the source panicked") {
		t.Fatalf("Run: got %v, want ErrIncomplete naming billing as panicked", err)
	}
	if strings.Contains(err.Error(), user.ID) {
		t.Errorf("Run's error names the subject: %v", err)
	}
	if o := r.Outcome("crm"); o == nil || o.Status != dsar.OutcomeDone {
		t.Errorf("crm outcome: %+v, want done", o)
	}
	if r.Status != dsar.StatusInProgress {
		t.Errorf("status %s, want in_progress", r.Status)
	}
}

// A Desk given no holds (WithHolds) erases nothing: an erasure or an
// offboarding is refused, naming holds, before any source is called or the
// request changes, rather than erase what a legal hold placed in the
// retention store keeps (Art. 17(3)(e)). Requests that erase nothing run.
func TestErasureNeedsHolds(t *testing.T) {
	t.Parallel()
	src := newSource(user.ID, dsar.Record{Category: "instance.contact.email", ID: "e-1", Value: "a@example.com"})
	desk := dsar.NewDesk(memory.NewRequestStore(), memory.NewStateStore(), dsar.WithSource("crm", src))
	open := func(kind dsar.Kind) dsar.Request {
		r, err := desk.Open(t.Context(), dsar.Request{Kind: kind, Subject: user})
		if err != nil {
			t.Fatalf("Open %s: %v", kind, err)
		}
		if r, err = desk.Verify(t.Context(), r.ID, dsar.Evidence{Method: "attestation", By: "op"}); err != nil {
			t.Fatalf("Verify %s: %v", kind, err)
		}
		return r
	}
	r := open(dsar.KindErasure)
	got, err := desk.Run(t.Context(), r.ID)
	var ve *privacy.ValidationError
	if !errors.As(err, &ve) || ve.Field != "holds" {
		t.Fatalf("Run of an erasure without holds: %v, want a ValidationError naming holds", err)
	}
	if got.Status != dsar.StatusVerified || len(src.calls) != 0 {
		t.Errorf("after the refused Run: status %s, source calls %v; want verified and none", got.Status, src.calls)
	}
	if _, err := desk.Offboard(t.Context(), dsar.Offboarding{Controller: "acme"}); !errors.As(err, &ve) || ve.Field != "holds" {
		t.Errorf("Offboard without holds: %v, want a ValidationError naming holds", err)
	}
	if got, err := desk.Run(t.Context(), open(dsar.KindAccess).ID); err != nil || got.Status != dsar.StatusCompleted {
		t.Errorf("access without holds: status %s, error %v; want completed", got.Status, err)
	}
}
