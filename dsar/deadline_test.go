package dsar_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestDueDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		received time.Time
		extra    int
		want     time.Time
	}{
		{name: "mid month", received: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), want: day(2026, 2, 15)},
		{name: "31 January to end of February", received: time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), want: day(2026, 2, 28)},
		{name: "31 January in a leap year", received: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC), want: day(2028, 2, 29)},
		{name: "29 January in a common year", received: time.Date(2026, 1, 29, 12, 0, 0, 0, time.UTC), want: day(2026, 2, 28)},
		{name: "28 February stays 28", received: time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC), want: day(2026, 3, 28)},
		{name: "31 March to 30 April", received: time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), want: day(2026, 4, 30)},
		{name: "across the year end", received: time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), want: day(2027, 1, 31)},
		{name: "extended from 31 January", received: time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), extra: 2, want: day(2026, 4, 30)},
		{name: "extended across the year end into a leap February", received: time.Date(2027, 11, 30, 12, 0, 0, 0, time.UTC), extra: 2, want: day(2028, 2, 29)},
		{name: "extended one month across the year end", received: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), extra: 1, want: day(2027, 1, 30)},
		{name: "extended from 31 October", received: time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC), extra: 2, want: day(2027, 1, 31)},
		{name: "date read in the receipt's location", received: time.Date(2026, 2, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), want: day(2026, 3, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := dsar.DueDate(tc.received, tc.extra); !got.Equal(tc.want) {
				t.Errorf("DueDate(%s, %d) = %s, want %s", tc.received, tc.extra, got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
			}
		})
	}
}

func TestOpenSetsDueInTheDesksLocation(t *testing.T) {
	t.Parallel()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	tests := []struct {
		name     string
		loc      *time.Location
		received time.Time
		want     time.Time
	}{
		// 23:30 UTC on 31 January is 00:30 on 1 February in Amsterdam.
		{name: "UTC", loc: time.UTC, received: time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC), want: day(2026, 2, 28)},
		{name: "Amsterdam", loc: ams, received: time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC), want: day(2026, 3, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, dsar.WithLocation(tc.loc))
			f.clock.Set(tc.received.Add(time.Minute))
			r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user, ReceivedAt: tc.received})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !r.Due.Equal(tc.want) {
				t.Errorf("Due = %s, want %s", r.Due.Format(time.DateOnly), tc.want.Format(time.DateOnly))
			}
		})
	}
}

func TestExtend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		received time.Time
		first    int       // a first extension, 0 for none
		at       time.Time // when Extend is called
		months   int
		reason   string
		wantDue  time.Time
		wantIs   error
	}{
		{name: "two months on the last day of the first month", received: received, at: time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC),
			months: 2, reason: "complex: five services", wantDue: day(2026, 4, 30)},
		{name: "one month across the year end", received: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), at: time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC),
			months: 1, reason: "numerous requests", wantDue: day(2027, 1, 30)},
		{name: "two months across the year end", received: time.Date(2026, 12, 31, 9, 0, 0, 0, time.UTC), at: time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC),
			months: 2, reason: "numerous requests", wantDue: day(2027, 3, 31)},
		{name: "raised from one to two months", received: received, first: 1, at: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC),
			months: 2, reason: "still complex", wantDue: day(2026, 4, 30)},
		{name: "after the first month", received: received, at: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			months: 2, reason: "too late", wantIs: dsar.ErrTransition},
		{name: "after the first month, though extended", received: received, first: 1, at: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			months: 2, reason: "too late", wantIs: dsar.ErrTransition},
		{name: "not beyond what is granted", received: received, first: 2, at: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC),
			months: 1, reason: "less", wantIs: dsar.ErrTransition},
		{name: "three months", received: received, at: received, months: 3, reason: "complex", wantIs: privacy.ErrInvalid},
		{name: "no reason", received: received, at: received, months: 1, wantIs: privacy.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.clock.Set(tc.received)
			r, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if tc.first > 0 {
				if _, err := f.desk.Extend(t.Context(), r.ID, tc.first, "first", "op-anna"); err != nil {
					t.Fatalf("first Extend: %v", err)
				}
			}
			before, _ := f.desk.Request(t.Context(), r.ID)
			f.clock.Set(tc.at)
			got, err := f.desk.Extend(t.Context(), r.ID, tc.months, tc.reason, "op-anna")
			if tc.wantIs != nil {
				if !errors.Is(err, tc.wantIs) {
					t.Fatalf("Extend: got %v, want an error wrapping %v", err, tc.wantIs)
				}
				after, _ := f.desk.Request(t.Context(), r.ID)
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("refused Extend changed the request (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Extend: %v", err)
			}
			want := dsar.Extension{Months: tc.months, Reason: tc.reason, By: "op-anna", At: tc.at}
			if diff := cmp.Diff(&want, got.Extension); diff != "" {
				t.Errorf("Extension (-want +got):\n%s", diff)
			}
			if !got.Due.Equal(tc.wantDue) || !got.Extended() {
				t.Errorf("Due = %s (extended %v), want %s", got.Due.Format(time.DateOnly), got.Extended(), tc.wantDue.Format(time.DateOnly))
			}
			if last := got.Trail[len(got.Trail)-1]; last.Action != "extended" || last.Actor != "op-anna" {
				t.Errorf("last trail entry = %+v, want extended by op-anna", last)
			}
		})
	}
}

func TestExtendFinalRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindRestriction, Subject: user})
	f.run(t, r.ID)
	if _, err := f.desk.Extend(t.Context(), r.ID, 1, "late", "op"); !errors.Is(err, dsar.ErrTransition) {
		t.Errorf("Extend of a completed request: got %v, want ErrTransition", err)
	}
}

func TestOverdue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	late, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindAccess, Subject: user})
	if err != nil {
		t.Fatal(err)
	}
	extended, err := f.desk.Open(t.Context(), dsar.Request{Kind: dsar.KindErasure, Subject: user})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Extend(t.Context(), extended.ID, 2, "complex", "op"); err != nil {
		t.Fatal(err)
	}
	done := f.openVerified(t, dsar.Request{Kind: dsar.KindDeactivation, Subject: user})
	f.run(t, done.ID)

	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{name: "on the due date", now: time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC), want: []string{}},
		{name: "the day after", now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), want: []string{late.ID}},
		{name: "after the extension", now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), want: []string{late.ID, extended.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.Set(tc.now)
			got, err := f.desk.Overdue(t.Context())
			if err != nil {
				t.Fatalf("Overdue: %v", err)
			}
			ids := []string{}
			for _, r := range got {
				ids = append(ids, r.ID)
				if !r.Overdue(tc.now) {
					t.Errorf("request %s listed but Overdue(%s) is false", r.ID, tc.now)
				}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("Overdue ids (-want +got):\n%s", diff)
			}
		})
	}
}
