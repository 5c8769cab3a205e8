package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
)

// RunLedger runs the conformance suite of the ledger capabilities beyond
// consent.Store: Scan, Head, AppendBatch, Latest, Lapsed, Pseudonymise and Watch,
// and Verify over them. newStore returns an empty ledger for one subtest.
func RunLedger(t *testing.T, newStore func(t *testing.T) consent.Ledger) {
	runSuite(t, newStore, []subtest[consent.Ledger]{
		{"ScanInSeqOrderAfterSeq", testScan},
		{"ScanStopsAtError", testScanStops},
		{"HeadFollowsAppends", testHead},
		{"VerifyIntact", testVerifyIntact},
		{"AppendBatchConsecutive", testAppendBatch},
		{"AppendBatchAllOrNothing", testAppendBatchAtomic},
		{"ConcurrentBatchesOneSubject", testConcurrentBatches},
		{"Latest", testLatest},
		{"LapsedAndRecordExpiries", testLapsed},
		{"Pseudonymise", testPseudonymise},
		{"WatchSeesAppendsAndErasures", testWatch},
		{"WatchClosedWithContext", testWatchClosed},
		{"LedgerCanceledContext", testLedgerCanceled},
	})
}

func scanAll(t *testing.T, s consent.Scanner, after int64) []consent.Record {
	t.Helper()
	var out []consent.Record
	if err := s.Scan(t.Context(), after, func(r consent.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("Scan(%d): %v", after, err)
	}
	return out
}

func mustVerify(t *testing.T, s consent.Scanner) consent.Report {
	t.Helper()
	rep, err := consent.Verify(t.Context(), s)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func testScan(t *testing.T, s consent.Ledger) {
	// More than one page of the SQL stores (1000 records).
	var batch []consent.Record
	for i := range 1001 {
		batch = append(batch, grant(fmt.Sprintf("u-%d", i%7), "research.surveys", base().Add(-time.Duration(i)*time.Second)))
	}
	want, err := s.AppendBatch(t.Context(), batch)
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	tests := []struct {
		name  string
		after int64
		want  []consent.Record
	}{
		{"from the start", 0, want},
		{"negative", -5, want},
		{"after 1000", 1000, want[1000:]},
		{"after the last", 1001, nil},
		{"beyond", 5000, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, scanAll(t, s, tc.after), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Scan(%d) (-want +got):\n%s", tc.after, diff)
			}
		})
	}
	checkLedger(t, scanAll(t, s, 0))
}

func testScanStops(t *testing.T, s consent.Ledger) {
	for i := range 3 {
		mustAppend(t, s, grant("u-1", fmt.Sprintf("p%d", i), base()))
	}
	stop := errors.New("enough")
	var seen []int64
	err := s.Scan(t.Context(), 0, func(r consent.Record) error {
		seen = append(seen, r.Seq)
		if r.Seq == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Scan: got error %v, want the callback's", err)
	}
	if diff := cmp.Diff([]int64{1, 2}, seen); diff != "" {
		t.Errorf("Scan after the callback failed (-want +got):\n%s", diff)
	}
}

func testHead(t *testing.T, s consent.Ledger) {
	h, err := s.Head(t.Context())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if diff := cmp.Diff(consent.Head{}, h); diff != "" {
		t.Errorf("Head of an empty ledger (-want +got):\n%s", diff)
	}
	mustAppend(t, s, grant("u-1", "referral", base()))
	rs, err := s.AppendBatch(t.Context(), []consent.Record{grant("u-2", "referral", base()), withdrawal("u-1", "referral", base())})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	h, err = s.Head(t.Context())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if diff := cmp.Diff(consent.Head{Seq: 3, Hash: rs[1].Hash}, h); diff != "" {
		t.Errorf("Head (-want +got):\n%s", diff)
	}
}

func testVerifyIntact(t *testing.T, s consent.Ledger) {
	empty := mustVerify(t, s)
	if diff := cmp.Diff(consent.Report{Intact: true}, empty); diff != "" {
		t.Errorf("Verify of an empty ledger (-want +got):\n%s", diff)
	}
	g := grant("u-1", "marketing.profiling", base())
	g.Categories, g.ExpiresAt, g.Guardian = []string{"instance.contact.email"}, base().AddDate(1, 0, 0), true
	mustAppend(t, s, g)
	mustAppend(t, s, withdrawal("u-1", "marketing.profiling", base().Add(time.Hour)))
	mid, err := s.Head(t.Context())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	rs, err := s.AppendBatch(t.Context(), []consent.Record{grant("u-2", "referral", base()), grant("u-3", "referral", base())})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	want := consent.Report{Intact: true, Checked: 4, Unkeyed: 4, Head: consent.Head{Seq: 4, Hash: rs[1].Hash}}
	if diff := cmp.Diff(want, mustVerify(t, s)); diff != "" {
		t.Errorf("Verify (-want +got):\n%s", diff)
	}
	got, err := consent.VerifyAgainst(t.Context(), s, mid)
	if err != nil {
		t.Fatalf("VerifyAgainst: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerifyAgainst an earlier head (-want +got):\n%s", diff)
	}
	// A head the ledger never had.
	got, err = consent.VerifyAgainst(t.Context(), s, consent.Head{Seq: 2, Hash: rs[0].Hash})
	if err != nil {
		t.Fatalf("VerifyAgainst: %v", err)
	}
	if got.Intact || got.Problem != consent.Truncated || got.Seq != 2 {
		t.Errorf("VerifyAgainst a foreign head: got %+v, want truncated at seq 2", got)
	}
}

func testAppendBatch(t *testing.T, s consent.Ledger) {
	first := mustAppend(t, s, grant("u-0", "referral", base()))
	in := []consent.Record{
		grant("u-1", "research.surveys", base()),
		withdrawal("u-1", "research.surveys", base().Add(time.Minute)),
		grant("u-2", "referral", base()),
	}
	got, err := s.AppendBatch(t.Context(), in)
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if len(got) != len(in) {
		t.Fatalf("AppendBatch returned %d records, want %d", len(got), len(in))
	}
	prev := first.Hash
	for i, r := range got {
		want := in[i]
		want.Seq, want.RecordID, want.SubjectRef, want.PrevHash, want.Hash = int64(i)+2, r.RecordID, s.SubjectRef(in[i].SubjectID), prev, r.Hash
		if diff := cmp.Diff(want, r, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("AppendBatch record %d (-want +got):\n%s", i, diff)
		}
		prev = r.Hash
	}
	checkLedger(t, scanAll(t, s, 0))
	if st := mustState(t, s, "u-1", "research.surveys", base().Add(time.Hour)); st.Event != consent.Withdrawn {
		t.Errorf("State after a batch: Event %q, want withdrawn", st.Event)
	}
	empty, err := s.AppendBatch(t.Context(), nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("AppendBatch(nil): got %v, %v; want no records and no error", empty, err)
	}
}

func testAppendBatchAtomic(t *testing.T, s consent.Ledger) {
	bad := grant("u-1", "", base())
	_, err := s.AppendBatch(t.Context(), []consent.Record{grant("u-1", "referral", base()), grant("u-2", "referral", base()), bad})
	var ve *privacy.ValidationError
	if !errors.As(err, &ve) || ve.Field != "records[2].purpose" || !errors.Is(err, privacy.ErrInvalid) {
		t.Fatalf("AppendBatch with a bad third record: got %v, want a ValidationError on records[2].purpose", err)
	}
	if got := scanAll(t, s, 0); len(got) != 0 {
		t.Errorf("ledger after a rejected batch: %d records, want none", len(got))
	}
	if r := mustAppend(t, s, grant("u-1", "referral", base())); r.Seq != 1 {
		t.Errorf("append after a rejected batch: Seq %d, want 1", r.Seq)
	}
}

func testConcurrentBatches(t *testing.T, s consent.Ledger) {
	const batch = 5
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all [][]consent.Record
	)
	errs := make(chan error, goroutines*perRoutine)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perRoutine / 2 {
				var rs []consent.Record
				for j := range batch {
					rs = append(rs, grant("u-1", fmt.Sprintf("p-%d-%d-%d", g, i, j), base()))
				}
				got, err := s.AppendBatch(t.Context(), rs)
				if err != nil {
					errs <- err
					continue
				}
				// Single appends interleave with the batches.
				one, err := s.Append(t.Context(), withdrawal("u-1", fmt.Sprintf("p-%d-%d-0", g, i), base().Add(time.Second)))
				if err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				all = append(all, got, []consent.Record{one})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent AppendBatch: %v", err)
	}
	var flat []consent.Record
	for _, rs := range all {
		for i := 1; i < len(rs); i++ {
			if rs[i].Seq != rs[i-1].Seq+1 {
				t.Errorf("a batch's records got Seqs %d and %d, want consecutive", rs[i-1].Seq, rs[i].Seq)
			}
		}
		flat = append(flat, rs...)
	}
	history := mustHistory(t, s, "u-1")
	if want := goroutines * perRoutine / 2 * (batch + 1); len(history) != want {
		t.Fatalf("History after concurrent batches: %d records, want %d", len(history), want)
	}
	checkLedger(t, history)
	slices.SortFunc(flat, func(a, b consent.Record) int { return int(a.Seq - b.Seq) })
	if diff := cmp.Diff(flat, history, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("History differs from what the appends returned (-want +got):\n%s", diff)
	}
	if rep := mustVerify(t, s); !rep.Intact || rep.Checked != int64(len(history)) {
		t.Errorf("Verify after concurrent batches: %s", rep)
	}
}

// testLatest checks that Latest lists each subject's state by its latest
// record, as consent.StateAt reads it, whatever its event or version: the
// store lists, the policy judges (policies.Engine.StaleConsents).
func testLatest(t *testing.T, s consent.Ledger) {
	at := func(h int) time.Time { return base().Add(time.Duration(h) * time.Hour) }
	withVersion := func(r consent.Record, v string) consent.Record { r.PolicyVersion = v; return r }
	var appended []consent.Record
	for _, r := range []consent.Record{
		withVersion(grant("old", "research.surveys", at(0)), "1.1"),
		withVersion(grant("current", "research.surveys", at(0)), "1.2"),
		withVersion(grant("regiven", "research.surveys", at(0)), "1.0"),
		withVersion(grant("regiven", "research.surveys", at(1)), "1.2"),
		withVersion(grant("withdrawn", "research.surveys", at(0)), "1.0"),
		withdrawal("withdrawn", "research.surveys", at(1)),
		// Recorded late, dated early: the later grant still counts.
		withVersion(grant("late", "research.surveys", at(2)), "1.0"),
		withdrawal("late", "research.surveys", at(1)),
		// Two records at one time: the later in the ledger counts.
		grant("tie", "research.surveys", at(3)),
		withdrawal("tie", "research.surveys", at(3)),
		withVersion(grant("expired", "research.surveys", at(0)), "0.9"),
		withVersion(grant("other-purpose", "referral", at(0)), "1.0"),
		withVersion(grant("erased", "research.surveys", at(0)), "1.0"),
	} {
		if r.SubjectID == "expired" {
			r.ExpiresAt = at(1)
		}
		appended = append(appended, mustAppend(t, s, r))
	}
	if _, err := s.Pseudonymise(t.Context(), "erased"); err != nil {
		t.Fatalf("Pseudonymise: %v", err)
	}
	states := func(purpose string, subjects ...string) []consent.State {
		out := []consent.State{}
		for _, id := range subjects {
			out = append(out, consent.StateAt(appended, id, purpose, at(100)))
		}
		return out
	}
	tests := []struct {
		name    string
		purpose string
		want    []consent.State
	}{
		{"every event, by subject", "research.surveys", states("research.surveys", "current", "expired", "late", "old", "regiven", "tie", "withdrawn")},
		{"other purpose", "referral", states("referral", "other-purpose")},
		{"purpose without records", "support", states("support")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Latest(t.Context(), tc.purpose)
			if err != nil {
				t.Fatalf("Latest: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("Latest(%s) (-want +got):\n%s", tc.purpose, diff)
			}
		})
	}
}

func testPseudonymise(t *testing.T, s consent.Ledger) {
	mine := []consent.Record{
		mustAppend(t, s, grant("u-1", "research.surveys", base())),
		mustAppend(t, s, grant("u-2", "research.surveys", base())),
		mustAppend(t, s, withdrawal("u-1", "research.surveys", base().Add(time.Hour))),
		mustAppend(t, s, grant("u-1", "referral", base())),
	}
	ref := s.SubjectRef("u-1")
	if ref == "" || ref == s.SubjectRef("u-2") || ref != mine[0].SubjectRef {
		t.Fatalf("SubjectRef(u-1) = %q: empty, shared with u-2, or not the records' %q", ref, mine[0].SubjectRef)
	}
	n, err := s.Pseudonymise(t.Context(), "u-1")
	if err != nil {
		t.Fatalf("Pseudonymise: %v", err)
	}
	if n != 3 {
		t.Errorf("Pseudonymise changed %d records, want 3", n)
	}
	if got := mustHistory(t, s, "u-1"); len(got) != 0 {
		t.Errorf("History after erasure: %d records, want none", len(got))
	}
	if got := mustState(t, s, "u-1", "referral", base().Add(time.Hour)); got.Event != "" {
		t.Errorf("State after erasure: Event %q, want none", got.Event)
	}
	if got := mustState(t, s, "", "referral", base().Add(time.Hour)); got.Event != "" {
		t.Errorf("State of the empty subject after erasure: Event %q, want none", got.Event)
	}
	if got := mustHistory(t, s, ""); len(got) != 0 {
		t.Errorf("History of the empty subject after erasure: %d records, want none", len(got))
	}
	// The proof stays: the same records, the subject's id gone, its
	// pseudonym kept, and the chain intact.
	var want []consent.Record
	for _, r := range mine {
		if r.SubjectID == "u-1" {
			r.SubjectID = ""
		}
		want = append(want, r)
	}
	if diff := cmp.Diff(want, scanAll(t, s, 0), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ledger after erasure (-want +got):\n%s", diff)
	}
	if rep := mustVerify(t, s); !rep.Intact || rep.Checked != 4 {
		t.Errorf("Verify after erasure: %s", rep)
	}
	if got := mustHistory(t, s, "u-2"); len(got) != 1 {
		t.Errorf("History of another subject after erasure: %d records, want 1", len(got))
	}
	if n, err := s.Pseudonymise(t.Context(), "u-1"); err != nil || n != 0 {
		t.Errorf("second Pseudonymise: got %d, %v; want 0, nil", n, err)
	}
	// The subject may come back: new records carry the same pseudonym.
	again := mustAppend(t, s, grant("u-1", "referral", base().Add(2*time.Hour)))
	if again.SubjectRef != ref {
		t.Errorf("record after erasure: SubjectRef %q, want %q", again.SubjectRef, ref)
	}
	// Blanked records before the subject's return are erasure, not
	// tampering.
	if r, found, err := s.PartlyErased(t.Context()); err != nil || found {
		t.Errorf("PartlyErased after erasure and return: %v %+v, %v; want none", found, r, err)
	}
	if rep := mustVerify(t, s); !rep.Intact || rep.Checked != 5 {
		t.Errorf("Verify after erasure and return: %s", rep)
	}
}

// receive returns the next change, failing the test if none comes within
// a generous deadline (a missing notification, not a slow one).
func receive(t *testing.T, ch <-chan consent.Change) consent.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("Watch channel closed")
		}
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("no change received")
	}
	return consent.Change{}
}

func testWatch(t *testing.T, s consent.Ledger) {
	ch, err := s.Watch(t.Context())
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	g := mustAppend(t, s, grant("u-1", "research.surveys", base()))
	if diff := cmp.Diff(consent.Change{SubjectID: "u-1", Purpose: "research.surveys", Seq: g.Seq}, receive(t, ch)); diff != "" {
		t.Errorf("change after Append (-want +got):\n%s", diff)
	}
	rs, err := s.AppendBatch(t.Context(), []consent.Record{
		grant("u-2", "referral", base()),
		withdrawal("u-1", "research.surveys", base()),
		withdrawal("u-2", "referral", base()),
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	// One change per subject and purpose, with its last record; in the
	// order the batch first touched them.
	want := []consent.Change{
		{SubjectID: "u-2", Purpose: "referral", Seq: rs[2].Seq},
		{SubjectID: "u-1", Purpose: "research.surveys", Seq: rs[1].Seq},
	}
	got := []consent.Change{receive(t, ch), receive(t, ch)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes after AppendBatch (-want +got):\n%s", diff)
	}
	if _, err := s.Pseudonymise(t.Context(), "u-1"); err != nil {
		t.Fatalf("Pseudonymise: %v", err)
	}
	if diff := cmp.Diff(consent.Change{SubjectID: "u-1"}, receive(t, ch)); diff != "" {
		t.Errorf("change after Pseudonymise (-want +got):\n%s", diff)
	}
}

func testWatchClosed(t *testing.T, s consent.Ledger) {
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	cancel()
	for range ch {
		// Drain whatever came before the cancellation.
	}
	if _, err := s.Watch(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch with a canceled context: got %v, want context.Canceled", err)
	}
}

func testLedgerCanceled(t *testing.T, s consent.Ledger) {
	mustAppend(t, s, grant("u-1", "referral", base()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(method string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: got error %v, want one wrapping context.Canceled", method, err)
		}
	}
	check("Scan", s.Scan(ctx, 0, func(consent.Record) error { return nil }))
	_, err := s.Head(ctx)
	check("Head", err)
	_, err = s.AppendBatch(ctx, []consent.Record{grant("u-1", "referral", base())})
	check("AppendBatch", err)
	_, err = s.Latest(ctx, "referral")
	check("Latest", err)
	_, err = s.Pseudonymise(ctx, "u-1")
	check("Pseudonymise", err)
	_, err = consent.Verify(ctx, s)
	check("Verify", err)
	if got := mustHistory(t, s, "u-1"); len(got) != 1 {
		t.Errorf("History after canceled writes: %d records, want 1", len(got))
	}
}

// testLapsed checks which given consents Lapsed lists at a time, and that
// consent.RecordExpiries writes one expiry record for each, dated at the
// expiry, after which nothing is lapsed and decisions read the same.
func testLapsed(t *testing.T, s consent.Ledger) {
	ctx := t.Context()
	at := func(h int) time.Time { return base().Add(time.Duration(h) * time.Hour) }
	expiring := func(subjectID, purpose string, collected, expires int) consent.Record {
		r := grant(subjectID, purpose, at(collected))
		r.ExpiresAt = at(expires)
		return r
	}
	for _, r := range []consent.Record{
		expiring("lapsed", "research.surveys", 0, 2),
		expiring("lapsed", "referral", 0, 3),
		expiring("at-the-hour", "research.surveys", 0, 4),
		expiring("not-yet", "research.surveys", 0, 5),
		grant("no-expiry", "research.surveys", at(0)),
		expiring("withdrawn", "research.surveys", 0, 2),
		withdrawal("withdrawn", "research.surveys", at(1)),
		expiring("regiven", "research.surveys", 0, 1),
		grant("regiven", "research.surveys", at(2)),
		// A record dated after the time asked about does not hide the
		// lapse before it.
		expiring("future", "research.surveys", 0, 1),
		withdrawal("future", "research.surveys", at(9)),
		expiring("erased", "research.surveys", 0, 1),
	} {
		mustAppend(t, s, r)
	}
	if _, err := s.Pseudonymise(ctx, "erased"); err != nil {
		t.Fatalf("Pseudonymise: %v", err)
	}
	lapsed := func(h, limit int) []string {
		t.Helper()
		sts, err := s.Lapsed(ctx, at(h), limit)
		if err != nil {
			t.Fatalf("Lapsed(%d h): %v", h, err)
		}
		out := []string{}
		for _, st := range sts {
			if st.Event != consent.Given || st.RecordID == "" || st.ExpiresAt.After(at(h)) {
				t.Errorf("Lapsed(%d h) lists %+v", h, st)
			}
			out = append(out, st.SubjectID+"/"+st.Purpose)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"at-the-hour/research.surveys", "future/research.surveys", "lapsed/referral", "lapsed/research.surveys"}
	if diff := cmp.Diff(want, lapsed(4, 100)); diff != "" {
		t.Errorf("Lapsed at 4 h (-want +got):\n%s", diff)
	}
	if got := lapsed(4, 2); len(got) != 2 {
		t.Errorf("Lapsed with limit 2: %v", got)
	}
	if diff := cmp.Diff([]string{"future/research.surveys", "regiven/research.surveys"}, lapsed(1, 100)); diff != "" {
		t.Errorf("Lapsed at 1 h (-want +got):\n%s", diff)
	}

	n, err := consent.RecordExpiries(ctx, s, at(4))
	if err != nil || n != len(want) {
		t.Fatalf("RecordExpiries = %d, %v; want %d", n, err, len(want))
	}
	if got := lapsed(4, 100); len(got) != 0 {
		t.Errorf("Lapsed after RecordExpiries: %v", got)
	}
	if n, err := consent.RecordExpiries(ctx, s, at(4)); err != nil || n != 0 {
		t.Errorf("second RecordExpiries = %d, %v; want 0", n, err)
	}
	st := mustState(t, s, "lapsed", "research.surveys", at(4))
	if st.Event != consent.Expired || !st.CollectedAt.Equal(at(2)) || st.PolicyVersion != "1.2" {
		t.Errorf("state after the expiry record: %+v; want expired at 2 h, version 1.2", st)
	}
	if st := mustState(t, s, "lapsed", "research.surveys", at(1)); st.Event != consent.Given || !st.ExpiresAt.After(at(1)) {
		t.Errorf("state before the expiry: %+v; want the live grant", st)
	}
	if st := mustState(t, s, "future", "research.surveys", at(10)); st.Event != consent.Withdrawn {
		t.Errorf("state after the later withdrawal: %+v", st)
	}
	if st := mustState(t, s, "not-yet", "research.surveys", at(4)); st.Event != consent.Given || !st.ExpiresAt.After(at(4)) {
		t.Errorf("consent not yet expired: %+v", st)
	}
	if rep := mustVerify(t, s); !rep.Intact {
		t.Errorf("chain after RecordExpiries: %+v", rep)
	}
}
