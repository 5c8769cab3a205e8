package stateview_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/stateview"
)

// heldLedger holds every History call after it read the store, until the
// test releases it, so that a write can land between a view's fetch and
// its keeping what it fetched.
type heldLedger struct {
	consent.Store
	fetched, release chan struct{}
}

func (l heldLedger) History(ctx context.Context, subjectID string) ([]consent.Record, error) {
	rs, err := l.Store.History(ctx, subjectID)
	l.fetched <- struct{}{}
	<-l.release
	return rs, err
}

// TestForgetDuringFetch checks that a read which fetched before a write
// and finished after the write's Forget does not keep what it fetched.
func TestForgetDuringFetch(t *testing.T) {
	ctx := t.Context()
	store := memory.NewConsentStore()
	held := heldLedger{Store: store, fetched: make(chan struct{}), release: make(chan struct{})}
	v := stateview.New(held, memory.NewStateStore())
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

	first := make(chan consent.State)
	go func() {
		st, _ := v.Consents().State(ctx, "u-1", "research.surveys", at.Add(time.Hour))
		first <- st
	}()
	<-held.fetched // the read has fetched an empty history
	if _, err := consent.Grant(ctx, store, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: at}); err != nil {
		t.Fatal(err)
	}
	v.Forget("u-1") // as the store's hook does after the commit
	held.release <- struct{}{}
	if st := <-first; st.Event != "" {
		t.Fatalf("the read that fetched before the grant: %q", st.Event)
	}

	go func() { <-held.fetched; held.release <- struct{}{} }()
	st, err := v.Consents().State(ctx, "u-1", "research.surveys", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Event != consent.Given {
		t.Fatalf("after the grant and Forget: %q; the view kept a fetch older than the write", st.Event)
	}
}

// TestSizeBound checks that the view holds no more subjects than WithSize.
func TestSizeBound(t *testing.T) {
	ctx := t.Context()
	v := stateview.New(memory.NewConsentStore(), memory.NewStateStore(), stateview.WithSize(128))
	for i := range 5000 {
		id := fmt.Sprintf("u-%d", i)
		if _, err := v.Subjects().State(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Consents().State(ctx, id, "billing", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if s := v.Stats(); s.Subjects > 128 || s.Subjects < 64 {
		t.Errorf("holds %d subjects, want between 64 and the bound 128", s.Subjects)
	}
}

// TestErrorsNotKept checks that a failed read keeps nothing and reports
// the store's error.
func TestErrorsNotKept(t *testing.T) {
	v := stateview.New(memory.NewConsentStore(), memory.NewStateStore())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := v.Consents().State(ctx, "u-1", "billing", time.Now()); err == nil {
		t.Error("consent read with a canceled context: no error")
	}
	if _, err := v.Subjects().State(ctx, "u-1"); err == nil {
		t.Error("state read with a canceled context: no error")
	}
	if s := v.Stats(); s.Subjects != 0 {
		t.Errorf("kept %d subjects after failed reads", s.Subjects)
	}
}

// TestUnvouchedViewReadsThrough checks that a view whose feed vouches
// answers from memory only while the last vouch is younger than
// MaxStaleness, and reads through to the store otherwise.
func TestUnvouchedViewReadsThrough(t *testing.T) {
	ctx := t.Context()
	v := stateview.New(memory.NewConsentStore(), memory.NewStateStore(), stateview.WithMaxStaleness(time.Hour))
	if !v.Live() {
		t.Fatal("a view no feed vouches for is not live")
	}
	read := func() stateview.Stats {
		for range 2 {
			if _, err := v.Subjects().State(ctx, "u-1"); err != nil {
				t.Fatalf("State: %v", err)
			}
		}
		return v.Stats()
	}

	v.Vouch(time.Now().Add(-2 * time.Hour)) // the feed went silent long ago
	before := v.Stats()
	if v.Live() {
		t.Error("Live after the last vouch lapsed")
	}
	if got := read(); got.Hits != before.Hits || got.Bypassed != before.Bypassed+2 {
		t.Errorf("lapsed view: %+v after %+v; want both reads through", got, before)
	}

	v.Vouch(time.Now())
	v.Vouch(time.Now().Add(-2 * time.Hour)) // an older vouch changes nothing
	if !v.Live() {
		t.Error("not Live after a fresh vouch")
	}
	before = v.Stats()
	if got := read(); got.Hits != before.Hits+1 {
		t.Errorf("vouched view: %+v after %+v; want the second read from memory", got, before)
	}
}
