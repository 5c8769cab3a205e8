package storetest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/stateview"
	"github.com/privacykit/privacy/subject"
)

// ViewEnv is a view over a pair of stores that keep it current, and the
// stores, through which a test writes.
type ViewEnv struct {
	Consents consent.Ledger
	States   subject.StateStore
	View     *stateview.View
}

// RunView checks a stateview.View that the stores keep current, as the
// DB.View methods make them: every read through the view answers what the
// store answers at that moment, right after writes of this process,
// concurrent ones included. newEnv returns empty stores and their view for
// one subtest. Subtests run in parallel.
func RunView(t *testing.T, newEnv func(t *testing.T) ViewEnv) {
	runSuite(t, newEnv, []subtest[ViewEnv]{
		{"ReadsOwnWrites", testViewReadsOwnWrites},
		{"MatchesStoreOnRandomHistories", testViewMatchesStore},
		{"ConcurrentWritersAndReaders", testViewConcurrent},
		{"PausedReadsThrough", testViewPaused},
	})
}

// sameAsStore fails the test unless the view answers as the stores do for
// the subject: its state, and its consent to the purpose at each time.
func sameAsStore(t *testing.T, env ViewEnv, subjectID, purpose string, at ...time.Time) {
	t.Helper()
	ctx := t.Context()
	want, err := env.States.State(ctx, subjectID)
	if err != nil {
		t.Fatalf("store State(%s): %v", subjectID, err)
	}
	got, err := env.View.Subjects().State(ctx, subjectID)
	if err != nil {
		t.Fatalf("view State(%s): %v", subjectID, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("subject state of %s: view differs from store (-store +view):\n%s", subjectID, diff)
	}
	for _, a := range at {
		want, err := env.Consents.State(ctx, subjectID, purpose, a)
		if err != nil {
			t.Fatalf("store consent State(%s, %s, %v): %v", subjectID, purpose, a, err)
		}
		got, err := env.View.Consents().State(ctx, subjectID, purpose, a)
		if err != nil {
			t.Fatalf("view consent State(%s, %s, %v): %v", subjectID, purpose, a, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("consent of %s to %s at %v: view differs from store (-store +view):\n%s", subjectID, purpose, a, diff)
		}
	}
}

// testViewReadsOwnWrites warms the view on a subject, then writes through
// the stores: each change is in the view's next answer.
func testViewReadsOwnWrites(t *testing.T, env ViewEnv) {
	ctx, at := t.Context(), base()
	later := at.Add(24 * time.Hour)
	consentOf := func() consent.State {
		t.Helper()
		st, err := env.View.Consents().State(ctx, "u-1", "research.surveys", later)
		if err != nil {
			t.Fatalf("view consent State: %v", err)
		}
		return st
	}
	stateOf := func() subject.State {
		t.Helper()
		st, err := env.View.Subjects().State(ctx, "u-1")
		if err != nil {
			t.Fatalf("view State: %v", err)
		}
		return st
	}
	if st := consentOf(); st.Event != "" {
		t.Fatalf("before any record: event %q", st.Event)
	}
	stateOf()
	mustAppend(t, env.Consents, grant("u-1", "research.surveys", at))
	if st := consentOf(); st.Event != consent.Given {
		t.Fatalf("after the grant: event %q, want given", st.Event)
	}
	mustAppend(t, env.Consents, withdrawal("u-1", "research.surveys", at.Add(time.Hour)))
	if st := consentOf(); st.Event != consent.Withdrawn {
		t.Fatalf("after the withdrawal: event %q, want withdrawn", st.Event)
	}
	if err := subject.Object(ctx, env.States, "u-1", "research.surveys"); err != nil {
		t.Fatal(err)
	}
	if st := stateOf(); !st.ObjectsTo("research.surveys", false) {
		t.Fatalf("after the objection: %+v", st)
	}
	if err := subject.SetRestricted(ctx, env.States, "u-1", true); err != nil {
		t.Fatal(err)
	}
	if st := stateOf(); !st.Restricted {
		t.Fatalf("after the restriction: %+v", st)
	}
	if err := subject.RecordLifecycle(ctx, env.States, "u-1", privacy.TriggerAccountClosed, at); err != nil {
		t.Fatal(err)
	}
	if st := stateOf(); !st.Lifecycle[privacy.TriggerAccountClosed].Equal(at) {
		t.Fatalf("after the lifecycle event: %+v", st)
	}
	// What the caller does to a state it was given does not reach the view.
	st := stateOf()
	st.Objections[0].Purpose = "changed"
	st.Lifecycle[privacy.TriggerAccountClosed] = time.Time{}
	sameAsStore(t, env, "u-1", "research.surveys", later)

	if _, err := env.Consents.Pseudonymise(ctx, "u-1"); err != nil {
		t.Fatal(err)
	}
	if st := consentOf(); st.Event != "" {
		t.Fatalf("after erasure: event %q, want none", st.Event)
	}
	if s := env.View.Stats(); s.Hits == 0 {
		t.Errorf("the view answered nothing from memory: %+v", s)
	}
}

// testViewMatchesStore runs a seeded random history of appends (with tied
// times and expiries) and state updates, reading every subject through the
// view and the store after each write, at times before, between and after
// the records: 60 steps, 200 with the long runs (testenv).
func testViewMatchesStore(t *testing.T, env ViewEnv) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(27, 560))
	subjects := []string{"u-1", "u-2", "u-3"}
	purposes := []string{"research.surveys", "marketing.newsletter", "analytics.product"}
	events := []consent.Event{consent.Given, consent.Refused, consent.Withdrawn, consent.Expired}
	at := func() time.Time { return base().Add(time.Duration(rng.IntN(6)) * time.Hour) }
	// Two engines without a decision cache, one reading the stores and one
	// the view, must decide alike whatever the view holds.
	engine := func(c consent.Reader, st subject.StateReader) *policies.Engine {
		e, err := policies.New(ctx, policies.WithConsents(c), policies.WithSubjects(st), policies.WithCache(0))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	direct, viewed := engine(env.Consents, env.States), engine(env.View.Consents(), env.View.Subjects())
	// The quick form is the first 60 steps of the long form's history.
	steps := 60
	if testenv.Long() {
		steps = 200
	}
	for i := range steps {
		for range 2 {
			req := privacy.Request{
				Subject: privacy.Subject{ID: subjects[rng.IntN(len(subjects))], Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
				Purpose: purposes[rng.IntN(len(purposes))], Data: []string{"instance.contact.email"}, Time: at(),
			}
			want, werr := direct.Decide(ctx, req)
			got, gerr := viewed.Decide(ctx, req)
			if diff := cmp.Diff(want, got); diff != "" || (werr == nil) != (gerr == nil) {
				t.Fatalf("step %d: decision through the view differs from the store's (-store +view):\n%s\nerrors: %v, %v", i, diff, werr, gerr)
			}
		}
		s := subjects[rng.IntN(len(subjects))]
		switch rng.IntN(3) {
		case 0, 1:
			r := grant(s, purposes[rng.IntN(len(purposes))], at())
			r.Event = events[rng.IntN(len(events))]
			if r.Event == consent.Given && rng.IntN(3) == 0 {
				r.ExpiresAt = r.CollectedAt.Add(time.Duration(1+rng.IntN(3)) * time.Hour)
			}
			mustAppend(t, env.Consents, r)
		case 2:
			err := env.States.Update(ctx, s, func(st *subject.State) error {
				switch rng.IntN(4) {
				case 0:
					st.Object(subject.Objection{Purpose: purposes[rng.IntN(len(purposes))], At: at()})
				case 1:
					st.Restricted = !st.Restricted
				case 2:
					st.Deactivated = !st.Deactivated
				default:
					if st.Lifecycle == nil {
						st.Lifecycle = map[privacy.Trigger]time.Time{}
					}
					st.Lifecycle[privacy.TriggerLastActivity] = at()
				}
				return nil
			})
			if err != nil {
				t.Fatalf("step %d: Update: %v", i, err)
			}
		}
		for _, s := range subjects {
			for _, p := range purposes {
				sameAsStore(t, env, s, p, at(), at(), base().Add(-time.Hour), base().Add(48*time.Hour))
			}
		}
	}
	if s := env.View.Stats(); s.Hits == 0 || s.Misses == 0 {
		t.Errorf("want hits and misses: %+v", s)
	}
}

// testViewConcurrent runs writers, each on a subject of its own, that read
// each write back through the view at once, beside readers of every
// subject; then every subject reads as in the store.
func testViewConcurrent(t *testing.T, env ViewEnv) {
	ctx := t.Context()
	const writers, readers, rounds = 4, 4, 15
	far := base().Add(1000 * time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("w-%d", w)
			for i := range rounds {
				r := grant(id, "research.surveys", base().Add(time.Duration(i)*time.Minute))
				if i%2 == 1 {
					r = withdrawal(id, "research.surveys", r.CollectedAt)
				}
				if _, err := env.Consents.Append(ctx, r); err != nil {
					errs <- err
					return
				}
				st, err := env.View.Consents().State(ctx, id, "research.surveys", far)
				if err != nil || st.Event != r.Event {
					errs <- fmt.Errorf("%s round %d: view says %q (%v) right after %q", id, i, st.Event, err, r.Event)
					return
				}
				restricted := i%2 == 0
				if err := subject.SetRestricted(ctx, env.States, id, restricted); err != nil {
					errs <- err
					return
				}
				ss, err := env.View.Subjects().State(ctx, id)
				if err != nil || ss.Restricted != restricted {
					errs <- fmt.Errorf("%s round %d: view says restricted=%v (%v) right after setting %v", id, i, ss.Restricted, err, restricted)
					return
				}
			}
		}()
	}
	var rg sync.WaitGroup
	for r := range readers {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				id := fmt.Sprintf("w-%d", (r+i)%writers)
				if _, err := env.View.Consents().State(ctx, id, "research.surveys", far); err != nil {
					errs <- err
					return
				}
				if _, err := env.View.Subjects().State(ctx, id); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range writers {
		sameAsStore(t, env, fmt.Sprintf("w-%d", w), "research.surveys", far, base())
	}
}

// testViewPaused checks that a paused view reads every answer from the
// stores and keeps nothing, and that it keeps again once resumed.
func testViewPaused(t *testing.T, env ViewEnv) {
	ctx := t.Context()
	mustAppend(t, env.Consents, grant("u-1", "research.surveys", base()))
	env.View.Pause()
	if env.View.Live() {
		t.Fatal("Live after Pause")
	}
	before := env.View.Stats()
	sameAsStore(t, env, "u-1", "research.surveys", base())
	sameAsStore(t, env, "u-1", "research.surveys", base())
	after := env.View.Stats()
	if after.Hits != before.Hits || after.Misses != before.Misses || after.Bypassed != before.Bypassed+4 || after.Subjects != 0 {
		t.Errorf("paused view: stats went from %+v to %+v; want 4 bypassed reads and nothing kept", before, after)
	}
	env.View.Resume()
	// Resumed, the view keeps what it reads and answers the next read from
	// memory. A store that also learns of its own writes asynchronously
	// (PostgreSQL's NOTIFY of the grant above) may make it forget once
	// more in between: read until a hit, within bounds.
	for i := 0; ; i++ {
		sameAsStore(t, env, "u-1", "research.surveys", base())
		if s := env.View.Stats(); s.Hits > after.Hits && s.Subjects == 1 {
			break
		}
		if i == 100 {
			t.Fatalf("resumed view: no read answered from memory: %+v", env.View.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := env.View.Consents().State(ctx, "", "research.surveys", base()); err != nil {
		t.Errorf("erased subject: %v", err)
	}
}
