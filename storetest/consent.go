package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
)

// base returns the time the tests record events at. It has nanoseconds,
// so that a store that rounds shows it.
func base() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.UTC) }

// grant returns a valid given-consent record.
func grant(subjectID, purpose string, at time.Time) consent.Record {
	return consent.Record{
		SubjectID:     subjectID,
		Purpose:       purpose,
		Event:         consent.Given,
		PolicyVersion: "1.2",
		Method:        consent.MethodCheckbox,
		CollectedAt:   at,
	}
}

// withdrawal returns a valid withdrawal record.
func withdrawal(subjectID, purpose string, at time.Time) consent.Record {
	return consent.Record{
		SubjectID:   subjectID,
		Purpose:     purpose,
		Event:       consent.Withdrawn,
		Method:      consent.MethodAPI,
		CollectedAt: at,
	}
}

func mustAppend(t *testing.T, s consent.Store, r consent.Record) consent.Record {
	t.Helper()
	got, err := s.Append(t.Context(), r)
	if err != nil {
		t.Fatalf("Append(%s %s %s): %v", r.SubjectID, r.Purpose, r.Event, err)
	}
	return got
}

func mustHistory(t *testing.T, s consent.Store, subjectID string) []consent.Record {
	t.Helper()
	got, err := s.History(t.Context(), subjectID)
	if err != nil {
		t.Fatalf("History(%s): %v", subjectID, err)
	}
	return got
}

func mustState(t *testing.T, s consent.Store, subjectID, purpose string, at time.Time) consent.State {
	t.Helper()
	got, err := s.State(t.Context(), subjectID, purpose, at)
	if err != nil {
		t.Fatalf("State(%s, %s, %s): %v", subjectID, purpose, at, err)
	}
	return got
}

// checkLedger checks that records, which must be the whole ledger, hold
// every Seq from 1 to len(records) once, distinct record ids, a PrevHash
// chained to the record before, and a Hash equal to the Digest.
func checkLedger(t *testing.T, records []consent.Record) {
	t.Helper()
	rs := slices.Clone(records)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Seq < rs[j].Seq })
	ids := map[string]int64{}
	prev := ""
	for i, r := range rs {
		if want := int64(i) + 1; r.Seq != want {
			t.Fatalf("ledger seqs: got %d at position %d, want %d (gap or duplicate)", r.Seq, i, want)
		}
		if r.RecordID == "" {
			t.Errorf("seq %d: empty RecordID", r.Seq)
		}
		if other, ok := ids[r.RecordID]; ok {
			t.Errorf("seq %d: RecordID %q already used by seq %d", r.Seq, r.RecordID, other)
		}
		ids[r.RecordID] = r.Seq
		if r.PrevHash != prev {
			t.Errorf("seq %d: PrevHash = %q, want the Hash of seq %d, %q", r.Seq, r.PrevHash, r.Seq-1, prev)
		}
		if d := r.Digest(); r.Hash != d {
			t.Errorf("seq %d: Hash = %q, want Digest() %q", r.Seq, r.Hash, d)
		}
		prev = r.Hash
	}
}

// RunConsentStore runs the conformance suite of consent.Store. newStore
// returns an empty store for one subtest, and releases it with t.Cleanup.
// Subtests run in parallel.
func RunConsentStore(t *testing.T, newStore func(t *testing.T) consent.Store) {
	runSuite(t, newStore, []subtest[consent.Store]{
		{"AppendAssignsGaplessSeqAndUniqueIDs", testAppendAssignsSeq},
		{"AppendChainsHashes", testAppendChainsHashes},
		{"AppendReturnsWhatIsStored", testAppendReturnsStored},
		{"AppendRejectsInvalidRecords", testAppendRejectsInvalid},
		{"StateBeforeAndAfterGrant", testStateBeforeAfterGrant},
		{"StateAfterWithdrawal", testStateAfterWithdrawal},
		{"WithdrawalOutranksAGrantDatedAhead", testWithdrawOutranksFutureGrant},
		{"StateLatestByTimeNotByAppend", testStateLatestByTime},
		{"StateTiesBrokenByLedgerOrder", testStateTies},
		{"StateIsolatesSubjectsAndPurposes", testStateIsolation},
		{"TimesRoundTripExactly", testTimesRoundTrip},
		{"GuardianAndVersionRoundTrip", testGuardianVersionRoundTrip},
		{"ActRoundTrip", testActRoundTrip},
		{"HistoryOrderAndIsolation", testHistory},
		{"RecordFound", testRecordFound},
		{"RecordNotFound", testRecordNotFound},
		{"ConcurrentAppendsOneSubject", testConcurrentAppendsOneSubject},
		{"ConcurrentAppendsManySubjects", testConcurrentAppendsManySubjects},
		{"CanceledContext", testConsentCanceledContext},
		{"ErrorsNameNoSubject", testConsentErrorsNameNoSubject},
		{"ReadsOfIDsNoStoreHolds", testConsentReadsOfBadIDs},
	})
}

func testAppendAssignsSeq(t *testing.T, s consent.Store) {
	var got []int64
	ids := map[string]bool{}
	for i := range 5 {
		r := mustAppend(t, s, grant(fmt.Sprintf("u-%d", i%2), "research.surveys", base().Add(time.Duration(i)*time.Second)))
		got = append(got, r.Seq)
		if r.RecordID == "" || ids[r.RecordID] {
			t.Errorf("append %d: RecordID %q is empty or reused", i, r.RecordID)
		}
		ids[r.RecordID] = true
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 4, 5}, got); diff != "" {
		t.Errorf("Seqs (-want +got):\n%s", diff)
	}
}

func testAppendChainsHashes(t *testing.T, s consent.Store) {
	var rs []consent.Record
	for i := range 4 {
		rs = append(rs, mustAppend(t, s, grant("u-1", fmt.Sprintf("p%d", i), base())))
	}
	if rs[0].PrevHash != "" {
		t.Errorf("first record: PrevHash = %q, want empty", rs[0].PrevHash)
	}
	checkLedger(t, rs)
	checkLedger(t, mustHistory(t, s, "u-1"))
}

func testAppendReturnsStored(t *testing.T, s consent.Store) {
	in := consent.Record{
		SubjectID:     "u-1",
		Controller:    "acme",
		Purpose:       "marketing.profiling",
		Categories:    []string{"instance.contact.email", "guest.it.usage"},
		Event:         consent.Given,
		PolicyVersion: "1.2",
		NoticeHash:    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Method:        consent.MethodDoubleOptIn,
		CollectedBy:   "signup-form",
		Language:      "nl",
		Jurisdiction:  "NL",
		CollectedAt:   base(),
		ExpiresAt:     base().AddDate(1, 0, 0),
		Guardian:      true,
	}
	got := mustAppend(t, s, in)
	want := in
	want.Seq, want.RecordID, want.PrevHash, want.Hash, want.SubjectRef = 1, got.RecordID, "", got.Hash, got.SubjectRef
	if got.SubjectRef == "" {
		t.Error("Append returned no SubjectRef")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Append returned (-want +got):\n%s", diff)
	}
	rec, err := s.Record(t.Context(), got.RecordID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if diff := cmp.Diff(got, rec); diff != "" {
		t.Errorf("Record (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]consent.Record{got}, mustHistory(t, s, "u-1")); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	// Without categories a store may give back nil or an empty slice: the
	// digest does not tell them apart.
	bare := mustAppend(t, s, withdrawal("u-2", "referral", base()))
	rec, err = s.Record(t.Context(), bare.RecordID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if diff := cmp.Diff(bare, rec, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Record without categories (-want +got):\n%s", diff)
	}
	if rec.Hash != rec.Digest() {
		t.Errorf("Record without categories: Hash %q, Digest() %q", rec.Hash, rec.Digest())
	}
}

func testAppendRejectsInvalid(t *testing.T, s consent.Store) {
	tests := []struct {
		name  string
		edit  func(r *consent.Record)
		field string
	}{
		{"missing subject", func(r *consent.Record) { r.SubjectID = " " }, "subject_id"},
		{"missing purpose", func(r *consent.Record) { r.Purpose = "" }, "purpose"},
		{"unknown event", func(r *consent.Record) { r.Event = "maybe" }, "event"},
		{"bad policy version", func(r *consent.Record) { r.PolicyVersion = "v1" }, "policy_version"},
		{"given without version", func(r *consent.Record) { r.PolicyVersion = "" }, "policy_version"},
		{"missing collected_at", func(r *consent.Record) { r.CollectedAt = time.Time{} }, "collected_at"},
		{"notice hash not a SHA-256", func(r *consent.Record) { r.NoticeHash = "9f86" }, "notice_hash"},
		{"collected before 1677", func(r *consent.Record) { r.CollectedAt = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC) }, "collected_at"},
		{"expiring after 2262", func(r *consent.Record) { r.ExpiresAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, "expires_at"},
		{"NUL in the subject id", func(r *consent.Record) { r.SubjectID = "u\x00" }, "subject_id"},
		{"invalid UTF-8 in the purpose", func(r *consent.Record) { r.Purpose = "p\xff" }, "purpose"},
		{"policy version not a version", func(r *consent.Record) { r.PolicyVersion = "garbage" }, "policy_version"},
		{"expiry before collection", func(r *consent.Record) { r.ExpiresAt = r.CollectedAt.Add(-time.Nanosecond) }, "expires_at"},
		{"expiry at collection", func(r *consent.Record) { r.ExpiresAt = r.CollectedAt }, "expires_at"},
		{"empty subject id", func(r *consent.Record) { r.SubjectID = "" }, "subject_id"},
		{"pre-ticked box", func(r *consent.Record) { r.Act = consent.ActPreTickedBox }, "act"},
		{"silence", func(r *consent.Record) { r.Act = consent.ActSilence }, "act"},
		{"implied consent", func(r *consent.Record) { r.Act = consent.ActImplied }, "act"},
		{"continued use", func(r *consent.Record) { r.Act = consent.ActContinuedUse }, "act"},
		{"unknown act", func(r *consent.Record) { r.Act = "nod" }, "act"},
		{"api act without the collecting system", func(r *consent.Record) { r.Act, r.CollectedBy = consent.ActAPI, " " }, "collected_by"},
		// The free-text fields: PostgreSQL refuses NUL and invalid UTF-8
		// with a driver error, and stores that keep text as UTF-8 would
		// give back other bytes than the hash covers.
		{"NUL in the method", func(r *consent.Record) { r.Method = "check\x00box" }, "method"},
		{"invalid UTF-8 in the controller", func(r *consent.Record) { r.Controller = "acme\xff" }, "controller"},
		{"NUL in collected_by", func(r *consent.Record) { r.CollectedBy = "form\x00" }, "collected_by"},
		{"NUL in the language", func(r *consent.Record) { r.Language = "nl\x00" }, "language"},
		{"invalid UTF-8 in the jurisdiction", func(r *consent.Record) { r.Jurisdiction = "N\xff" }, "jurisdiction"},
		{"overlong method", func(r *consent.Record) { r.Method = strings.Repeat("m", privacy.MaxIDLength+1) }, "method"},
		{"invalid UTF-8 in a category", func(r *consent.Record) {
			r.Categories = []string{"instance.contact.email", "instance.\xff"}
		}, "personal_data[1]"},
		{"blank category", func(r *consent.Record) { r.Categories = []string{" "} }, "personal_data[0]"},
		{"too many categories", func(r *consent.Record) {
			r.Categories = make([]string, privacy.MaxDataKeys+1)
			for i := range r.Categories {
				r.Categories[i] = "instance.contact.email"
			}
		}, "personal_data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := grant("u-1", "research.surveys", base())
			tc.edit(&r)
			_, err := s.Append(t.Context(), r)
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Append: got error %v, want a *privacy.ValidationError", err)
			}
			if ve.Field != tc.field {
				t.Errorf("ValidationError.Field = %q, want %q", ve.Field, tc.field)
			}
			if !errors.Is(err, privacy.ErrInvalid) {
				t.Errorf("Append: error %v does not wrap privacy.ErrInvalid", err)
			}
		})
	}
	if got := mustHistory(t, s, "u-1"); len(got) != 0 {
		t.Errorf("History after rejected appends: got %d records, want none", len(got))
	}
	// A rejected record takes no seq.
	if r := mustAppend(t, s, grant("u-1", "research.surveys", base())); r.Seq != 1 {
		t.Errorf("first valid append after rejections: Seq = %d, want 1", r.Seq)
	}
}

// stateOf returns the State that r, the latest record, makes.
func stateOf(r consent.Record) consent.State {
	return consent.State{
		SubjectID:     r.SubjectID,
		Purpose:       r.Purpose,
		Event:         r.Event,
		RecordID:      r.RecordID,
		PolicyVersion: r.PolicyVersion,
		Guardian:      r.Guardian,
		CollectedAt:   r.CollectedAt,
		ExpiresAt:     r.ExpiresAt,
	}
}

func testStateBeforeAfterGrant(t *testing.T, s consent.Store) {
	g := grant("u-1", "research.surveys", base())
	g.ExpiresAt = base().Add(24 * time.Hour)
	g = mustAppend(t, s, g)
	none := consent.State{SubjectID: "u-1", Purpose: "research.surveys"}
	tests := []struct {
		name string
		at   time.Time
		want consent.State
	}{
		{"long before", time.Time{}, none},
		{"just before", base().Add(-time.Nanosecond), none},
		{"at the grant", base(), stateOf(g)},
		{"after", base().Add(time.Hour), stateOf(g)},
		{"after expiry", base().Add(48 * time.Hour), stateOf(g)},
		{"far future", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), stateOf(g)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustState(t, s, "u-1", "research.surveys", tc.at)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("State (-want +got):\n%s", diff)
			}
		})
	}
	// The state carries the expiry as a fact; what it means is the
	// policy's to say (consent.expired).
	if at := base().Add(48 * time.Hour); true {
		if st := mustState(t, s, "u-1", "research.surveys", at); st.Event != consent.Given || st.ExpiresAt.IsZero() || st.ExpiresAt.After(at) {
			t.Errorf("State after expiry: %+v; want the grant with its passed ExpiresAt", st)
		}
	}
}

func testStateAfterWithdrawal(t *testing.T, s consent.Store) {
	g := mustAppend(t, s, grant("u-1", "research.surveys", base()))
	w := mustAppend(t, s, withdrawal("u-1", "research.surveys", base().Add(time.Hour)))
	if got, want := mustState(t, s, "u-1", "research.surveys", base().Add(time.Hour-time.Nanosecond)), stateOf(g); !cmp.Equal(want, got) {
		t.Errorf("State before withdrawal (-want +got):\n%s", cmp.Diff(want, got))
	}
	if got, want := mustState(t, s, "u-1", "research.surveys", base().Add(time.Hour)), stateOf(w); !cmp.Equal(want, got) {
		t.Errorf("State at withdrawal (-want +got):\n%s", cmp.Diff(want, got))
	}
	if got := mustState(t, s, "u-1", "research.surveys", base().Add(2*time.Hour)); got.Event != consent.Withdrawn {
		t.Errorf("State after withdrawal: Event %q; want withdrawn", got.Event)
	}
}

func testStateLatestByTime(t *testing.T, s consent.Store) {
	// A withdrawal recorded late but dated before the grant does not undo
	// the grant: State is about the event time.
	g := mustAppend(t, s, grant("u-1", "research.surveys", base().Add(time.Hour)))
	mustAppend(t, s, withdrawal("u-1", "research.surveys", base()))
	got := mustState(t, s, "u-1", "research.surveys", base().Add(2*time.Hour))
	if got.RecordID != g.RecordID || got.Event != consent.Given {
		t.Errorf("State: got record %s (%s), want the grant %s", got.RecordID, got.Event, g.RecordID)
	}
	if got := mustState(t, s, "u-1", "research.surveys", base().Add(time.Minute)); got.Event != consent.Withdrawn {
		t.Errorf("State between the two: Event %q, want withdrawn", got.Event)
	}
}

func testStateTies(t *testing.T, s consent.Store) {
	mustAppend(t, s, grant("u-1", "research.surveys", base()))
	w := mustAppend(t, s, withdrawal("u-1", "research.surveys", base()))
	mustAppend(t, s, withdrawal("u-1", "referral", base()))
	g := mustAppend(t, s, grant("u-1", "referral", base()))
	for _, tc := range []struct {
		purpose string
		want    consent.Record
	}{{"research.surveys", w}, {"referral", g}} {
		got := mustState(t, s, "u-1", tc.purpose, base())
		if got.RecordID != tc.want.RecordID || got.Event != tc.want.Event {
			t.Errorf("State(%s) with two records at one time: got %s (%s), want the later in the ledger %s (%s)",
				tc.purpose, got.RecordID, got.Event, tc.want.RecordID, tc.want.Event)
		}
	}
}

func testStateIsolation(t *testing.T, s consent.Store) {
	mustAppend(t, s, grant("u-1", "research.surveys", base()))
	mustAppend(t, s, withdrawal("u-2", "referral", base()))
	for _, tc := range []struct{ subject, purpose string }{
		{"u-2", "research.surveys"},
		{"u-1", "referral"},
		{"u-3", "research.surveys"},
		{"u", "research.surveys"},
	} {
		got := mustState(t, s, tc.subject, tc.purpose, base().Add(time.Hour))
		want := consent.State{SubjectID: tc.subject, Purpose: tc.purpose}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("State(%s, %s) (-want +got):\n%s", tc.subject, tc.purpose, diff)
		}
	}
}

func testTimesRoundTrip(t *testing.T, s consent.Store) {
	collected := time.Date(2026, 3, 29, 1, 59, 59, 999999999, time.UTC)
	expires := time.Date(2027, 3, 29, 1, 59, 59, 1, time.UTC)
	r := grant("u-1", "research.surveys", collected)
	r.ExpiresAt = expires
	r = mustAppend(t, s, r)
	noExpiry := mustAppend(t, s, grant("u-1", "referral", collected))

	check := func(where string, gotCollected, gotExpires time.Time, wantExpires time.Time) {
		t.Helper()
		if !gotCollected.Equal(collected) || gotCollected.Nanosecond() != collected.Nanosecond() || gotCollected.Location() != time.UTC {
			t.Errorf("%s: CollectedAt = %s, want %s", where, gotCollected.Format(time.RFC3339Nano), collected.Format(time.RFC3339Nano))
		}
		if wantExpires.IsZero() {
			if !gotExpires.IsZero() {
				t.Errorf("%s: ExpiresAt = %s, want zero", where, gotExpires)
			}
			return
		}
		if !gotExpires.Equal(wantExpires) || gotExpires.Location() != time.UTC {
			t.Errorf("%s: ExpiresAt = %s, want %s", where, gotExpires.Format(time.RFC3339Nano), wantExpires.Format(time.RFC3339Nano))
		}
	}
	rec, err := s.Record(t.Context(), r.RecordID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	check("Record", rec.CollectedAt, rec.ExpiresAt, expires)
	st := mustState(t, s, "u-1", "research.surveys", collected)
	check("State", st.CollectedAt, st.ExpiresAt, expires)
	rec, err = s.Record(t.Context(), noExpiry.RecordID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	check("Record without expiry", rec.CollectedAt, rec.ExpiresAt, time.Time{})
	for _, h := range mustHistory(t, s, "u-1") {
		if h.Hash != h.Digest() {
			t.Errorf("History seq %d: Hash %q, Digest() %q: times changed in storage", h.Seq, h.Hash, h.Digest())
		}
	}

	// A time in another zone is the same instant, and the hash holds.
	amsterdam := time.FixedZone("CET", 3600)
	z := mustAppend(t, s, grant("u-2", "research.surveys", collected.In(amsterdam)))
	rec, err = s.Record(t.Context(), z.RecordID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if !rec.CollectedAt.Equal(collected) || rec.Hash != rec.Digest() || rec.Hash != z.Hash {
		t.Errorf("record collected in CET: CollectedAt %s, Hash %q, Digest() %q, appended Hash %q",
			rec.CollectedAt, rec.Hash, rec.Digest(), z.Hash)
	}
	// Every store gives it back in UTC, as Append returned it and as
	// State reads it: a receipt or an export shows the same instant the
	// same way whichever store kept it.
	for where, at := range map[string]time.Time{"Append": z.CollectedAt, "Record": rec.CollectedAt,
		"State": mustState(t, s, "u-2", "research.surveys", collected).CollectedAt} {
		if at.Location() != time.UTC {
			t.Errorf("record collected in CET: %s gives CollectedAt %s, want it in UTC", where, at)
		}
	}
}

// testActRoundTrip: the act a grant names comes back from Append, Record
// and State, and a record without one hashes as records did before acts.
func testActRoundTrip(t *testing.T, s consent.Store) {
	r := grant("u-1", "research.surveys", base())
	r.Act, r.CollectedBy = consent.ActAPI, "signup-service"
	stored := mustAppend(t, s, r)
	if stored.Act != consent.ActAPI {
		t.Errorf("Append: Act %q, want api", stored.Act)
	}
	got, err := s.Record(t.Context(), stored.RecordID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if got.Act != consent.ActAPI || got.Hash != got.Digest() {
		t.Errorf("Record: Act %q, hash ok %v", got.Act, got.Hash == got.Digest())
	}
	if st := mustState(t, s, "u-1", "research.surveys", base()); st.Act != consent.ActAPI {
		t.Errorf("State: Act %q, want api", st.Act)
	}
	none := mustAppend(t, s, grant("u-2", "research.surveys", base()))
	if none.Act != "" || strings.Contains(string(mustJSON(t, none)), `"act"`) {
		t.Errorf("a record without an act: Act %q, JSON %s", none.Act, mustJSON(t, none))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testGuardianVersionRoundTrip(t *testing.T, s consent.Store) {
	for i, tc := range []struct {
		guardian bool
		version  string
	}{{true, "1.2"}, {false, "2.0.1"}} {
		r := grant("u-1", fmt.Sprintf("p%d", i), base())
		r.Guardian, r.PolicyVersion = tc.guardian, tc.version
		r = mustAppend(t, s, r)
		st := mustState(t, s, "u-1", r.Purpose, base())
		if st.Guardian != tc.guardian || st.PolicyVersion != tc.version {
			t.Errorf("State: Guardian %v, PolicyVersion %q; want %v, %q", st.Guardian, st.PolicyVersion, tc.guardian, tc.version)
		}
		rec, err := s.Record(t.Context(), r.RecordID)
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
		if rec.Guardian != tc.guardian || rec.PolicyVersion != tc.version {
			t.Errorf("Record: Guardian %v, PolicyVersion %q; want %v, %q", rec.Guardian, rec.PolicyVersion, tc.guardian, tc.version)
		}
	}
}

func testHistory(t *testing.T, s consent.Store) {
	var want1, want2 []consent.Record
	for i := range 3 {
		// Later appends carry earlier times: History is in ledger order,
		// not time order.
		at := base().Add(-time.Duration(i) * time.Minute)
		want1 = append(want1, mustAppend(t, s, grant("u-1", "research.surveys", at)))
		want2 = append(want2, mustAppend(t, s, withdrawal("u-2", "research.surveys", at)))
	}
	if diff := cmp.Diff(want1, mustHistory(t, s, "u-1"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("History(u-1) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want2, mustHistory(t, s, "u-2"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("History(u-2) (-want +got):\n%s", diff)
	}
	got := mustHistory(t, s, "u-3")
	if got == nil || len(got) != 0 {
		t.Errorf("History of an unknown subject: got %#v, want an empty, non-nil slice", got)
	}
}

func testRecordFound(t *testing.T, s consent.Store) {
	var rs []consent.Record
	for i := range 3 {
		rs = append(rs, mustAppend(t, s, grant(fmt.Sprintf("u-%d", i), "referral", base())))
	}
	for _, want := range rs {
		got, err := s.Record(t.Context(), want.RecordID)
		if err != nil {
			t.Fatalf("Record(%s): %v", want.RecordID, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Record(%s) (-want +got):\n%s", want.RecordID, diff)
		}
	}
}

func testRecordNotFound(t *testing.T, s consent.Store) {
	mustAppend(t, s, grant("u-1", "referral", base()))
	for _, id := range []string{"no-such-record", ""} {
		_, err := s.Record(t.Context(), id)
		if !errors.Is(err, consent.ErrNotFound) || !errors.Is(err, privacy.ErrNotFound) {
			t.Errorf("Record(%q): got error %v, want one wrapping consent.ErrNotFound and privacy.ErrNotFound", id, err)
		}
	}
}

const (
	goroutines = 8
	perRoutine = 10
)

// appendConcurrently has goroutines appending perRoutine records each, for
// the subject subjectOf gives them, and returns what Append returned.
func appendConcurrently(t *testing.T, s consent.Store, subjectOf func(g int) string) []consent.Record {
	t.Helper()
	var (
		mu  sync.Mutex
		all []consent.Record
		wg  sync.WaitGroup
	)
	errs := make(chan error, goroutines*perRoutine)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perRoutine {
				r, err := s.Append(t.Context(), grant(subjectOf(g), fmt.Sprintf("p-%d-%d", g, i), base()))
				if err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Append: %v", err)
	}
	return all
}

func testConcurrentAppendsOneSubject(t *testing.T, s consent.Store) {
	appended := appendConcurrently(t, s, func(int) string { return "u-1" })
	got := mustHistory(t, s, "u-1")
	if len(got) != goroutines*perRoutine {
		t.Fatalf("History after %d concurrent appends: got %d records", goroutines*perRoutine, len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Fatalf("History not in ledger order: seq %d after %d", got[i].Seq, got[i-1].Seq)
		}
	}
	checkLedger(t, got)
	sort.Slice(appended, func(i, j int) bool { return appended[i].Seq < appended[j].Seq })
	if diff := cmp.Diff(appended, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("History differs from what Append returned (-want +got):\n%s", diff)
	}
}

func testConcurrentAppendsManySubjects(t *testing.T, s consent.Store) {
	subjectOf := func(g int) string { return fmt.Sprintf("u-%d", g) }
	appended := appendConcurrently(t, s, subjectOf)
	var all []consent.Record
	for g := range goroutines {
		h := mustHistory(t, s, subjectOf(g))
		if len(h) != perRoutine {
			t.Errorf("History(%s): got %d records, want %d", subjectOf(g), len(h), perRoutine)
		}
		all = append(all, h...)
	}
	checkLedger(t, all)
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	sort.Slice(appended, func(i, j int) bool { return appended[i].Seq < appended[j].Seq })
	if diff := cmp.Diff(appended, all, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("stored records differ from what Append returned (-want +got):\n%s", diff)
	}
}

func testConsentCanceledContext(t *testing.T, s consent.Store) {
	r := mustAppend(t, s, grant("u-1", "referral", base()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(method string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: got error %v, want one wrapping context.Canceled", method, err)
		}
	}
	_, err := s.Append(ctx, grant("u-1", "referral", base()))
	check("Append", err)
	_, err = s.State(ctx, "u-1", "referral", base())
	check("State", err)
	_, err = s.History(ctx, "u-1")
	check("History", err)
	_, err = s.Record(ctx, r.RecordID)
	check("Record", err)
	if got := mustHistory(t, s, "u-1"); len(got) != 1 {
		t.Errorf("History after a canceled Append: got %d records, want 1", len(got))
	}
}

// testWithdrawOutranksFutureGrant: a grant dated ahead of now (a replica
// whose clock runs fast) must not come back once its time passes, after
// the subject withdrew; nor may it keep an earlier grant in force until
// then (Art. 7(3): the withdrawal counts from the next decision).
func testWithdrawOutranksFutureGrant(t *testing.T, s consent.Store) {
	now := time.Now().UTC()
	ahead, further := now.Add(time.Hour), now.Add(2*time.Hour)
	mustAppend(t, s, grant("u-1", "research.surveys", now.Add(-time.Hour)))
	mustAppend(t, s, grant("u-1", "research.surveys", further))
	mustAppend(t, s, grant("u-1", "research.surveys", ahead))
	w, err := consent.Withdraw(t.Context(), s, consent.Record{SubjectID: "u-1", Purpose: "research.surveys", Method: consent.MethodAPI, CollectedBy: "storetest"})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	after := time.Now().UTC()
	if w.CollectedAt.After(after) {
		t.Errorf("withdrawal dated %v, after now (%v): the grant of an hour ago stays in force until then", w.CollectedAt, after)
	}
	for _, at := range []time.Time{after, ahead, ahead.Add(time.Minute), further, further.Add(time.Hour)} {
		if st := mustState(t, s, "u-1", "research.surveys", at); st.Event != consent.Withdrawn {
			t.Errorf("state at %v: %q, want withdrawn", at, st.Event)
		}
	}
}

// lateCancel is a context canceled at the nth look at its Done channel, so
// that a sweep over n cancels a store's call at each of its steps.
type lateCancel struct {
	context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	left   int
}

func (c *lateCancel) Done() <-chan struct{} {
	c.mu.Lock()
	if c.left--; c.left == 0 {
		c.cancel()
	}
	c.mu.Unlock()
	return c.Context.Done()
}

// testConsentErrorsNameNoSubject: an error from State, History or
// Pseudonymise, wherever the call is cut short, names no subject (the
// caller knows whom it asked about): personal data stays in.
func testConsentErrorsNameNoSubject(t *testing.T, s consent.Store) {
	const who = "u-ann.jansen@example.com"
	mustAppend(t, s, grant(who, "referral", base()))
	calls := map[string]func(ctx context.Context) error{
		"State": func(ctx context.Context) error {
			_, err := s.State(ctx, who, "referral", base())
			return err
		},
		"History": func(ctx context.Context) error { _, err := s.History(ctx, who); return err },
	}
	if p, ok := s.(interface {
		Pseudonymise(context.Context, string) (int64, error)
	}); ok {
		calls["Pseudonymise"] = func(ctx context.Context) error { _, err := p.Pseudonymise(ctx, who); return err }
	}
	for name, call := range calls {
		for n := 1; n <= 12; n++ {
			ctx, cancel := context.WithCancel(t.Context())
			err := call(&lateCancel{Context: ctx, cancel: cancel, left: n})
			cancel()
			if err != nil && strings.Contains(err.Error(), who) {
				t.Errorf("%s canceled at step %d: the error %q names the subject", name, n, err)
			}
		}
	}
}

// testConsentReadsOfBadIDs: an id no store can hold (a NUL byte, invalid
// UTF-8, longer than privacy.MaxIDLength) has nothing on record, and every
// store says so alike: no consent, no history, no record (PostgreSQL
// failed with a driver error where memory and SQLite found nothing).
func testConsentReadsOfBadIDs(t *testing.T, s consent.Store) {
	mustAppend(t, s, grant("u-1", "research.surveys", base()))
	for _, id := range []string{"u-1\x00", "u-1\xff", strings.Repeat("u", privacy.MaxIDLength+1)} {
		st, err := s.State(t.Context(), id, "research.surveys", base())
		if err != nil || st.Event != "" {
			t.Errorf("State(%.10q): %+v, %v; want no consent and no error", id, st, err)
		}
		st, err = s.State(t.Context(), "u-1", id, base())
		if err != nil || st.Event != "" {
			t.Errorf("State(u-1, purpose %.10q): %+v, %v; want no consent and no error", id, st, err)
		}
		if h, err := s.History(t.Context(), id); err != nil || len(h) != 0 {
			t.Errorf("History(%.10q): %d records, %v; want none and no error", id, len(h), err)
		}
		if _, err := s.Record(t.Context(), id); !errors.Is(err, consent.ErrNotFound) {
			t.Errorf("Record(%.10q): %v; want ErrNotFound", id, err)
		}
	}
}
