package retention_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// testCatalog is the reference catalog with the profile rule running from
// consent withdrawal, so that every trigger has a rule.
func testCatalog(t testing.TB) *privacy.Catalog {
	t.Helper()
	c := privacy.DefaultCatalog()
	for i := range c.Retention {
		if c.Retention[i].Category == "instance.profile" {
			c.Retention[i].Trigger = privacy.TriggerConsentWithdrawn
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return c
}

func TestScheduleEvaluate(t *testing.T) {
	t.Parallel()
	c := testCatalog(t)
	closed := func(ago time.Duration) map[privacy.Trigger]time.Time {
		return map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.Add(-ago), privacy.TriggerCollected: t0.AddDate(-10, 0, 0)}
	}
	at := func(tr privacy.Trigger, ago time.Duration) map[privacy.Trigger]time.Time {
		return map[privacy.Trigger]time.Time{tr: t0.Add(-ago)}
	}
	dispute := retention.Hold{ID: "h-1", SubjectID: "u-1", PlacedBy: "legal@example", Reason: "dispute D-7",
		PlacedAt: t0.Add(-days(1))}
	financeHold := retention.Hold{ID: "h-2", Category: "instance.financial", PlacedBy: "cfo", Reason: "audit 2026",
		PlacedAt: t0.Add(-days(1)), Until: t0.Add(days(30))}
	released := dispute
	released.ReleasedAt, released.ReleasedBy = t0.Add(-time.Hour), "legal@example"
	lapsed := financeHold
	lapsed.Until = t0.Add(-time.Hour)

	tests := []struct {
		name   string
		record retention.Record
		holds  []retention.Hold
		overr  []retention.Override
		want   retention.Verdict
	}{
		{
			name:   "account closed: retained in the grace period",
			record: retention.Record{SubjectID: "u-1", Category: "instance.account.username", Times: closed(days(89))},
			want: retention.Verdict{Status: retention.StatusRetained, Rule: "instance.account", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(days(1))},
		},
		{
			name:   "account closed: due after the grace period, delete",
			record: retention.Record{SubjectID: "u-1", Category: "instance.account.username", Times: closed(days(90))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.account", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0},
		},
		{
			name:   "account still open: retained without a due date",
			record: retention.Record{SubjectID: "u-1", Category: "instance.account.username", Times: at(privacy.TriggerCollected, days(5000))},
			want: retention.Verdict{Status: retention.StatusRetained, Rule: "instance.account", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D")},
		},
		{
			name:   "anonymise action",
			record: retention.Record{SubjectID: "u-1", Category: "instance.meeting.data", Times: closed(days(100))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.meeting.data", Action: privacy.ActionAnonymise,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(10))},
		},
		{
			name:   "meeting ended",
			record: retention.Record{SubjectID: "u-1", Category: "instance.meeting.recording", Times: at(privacy.TriggerMeetingEnded, days(366))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.meeting.recording", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P1Y"), DueAt: t0.Add(-days(366)).AddDate(1, 0, 0)},
		},
		{
			name:   "collected",
			record: retention.Record{SubjectID: "u-1", Category: "instance.network.ip_address", Times: at(privacy.TriggerCollected, days(200))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.network.ip_address", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P6M"), DueAt: t0.Add(-days(200)).AddDate(0, 6, 0)},
		},
		{
			name:   "last activity",
			record: retention.Record{SubjectID: "g-1", Category: "guest.contact.email", Times: at(privacy.TriggerLastActivity, days(400))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "guest.contact", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P1Y"), DueAt: t0.Add(-days(400)).AddDate(1, 0, 0)},
		},
		{
			name:   "consent withdrawn",
			record: retention.Record{SubjectID: "u-1", Category: "instance.profile.photo", Times: at(privacy.TriggerConsentWithdrawn, days(31))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.profile", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P30D"), DueAt: t0.Add(-days(1))},
		},
		{
			name:   "unknown category is unruled",
			record: retention.Record{SubjectID: "u-1", Category: "instance.nope", Times: closed(days(1000))},
			want:   retention.Verdict{Status: retention.StatusUnruled},
		},
		{
			name: "statutory hold keeps financial records seven years",
			record: retention.Record{SubjectID: "u-1", Category: "instance.financial.payment", Times: map[privacy.Trigger]time.Time{
				privacy.TriggerAccountClosed: t0.AddDate(-1, 0, 0), privacy.TriggerCollected: t0.AddDate(-6, 0, 0)}},
			want: retention.Verdict{Status: retention.StatusHeld, Rule: "instance.financial", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.AddDate(-1, 0, 0).AddDate(0, 0, 90),
				HeldBy: []string{"statutory hold (AWR art. 52(4); BW 2:10(3)) until 2028-01-01T00:00:00Z"}},
		},
		{
			name: "statutory hold ended",
			record: retention.Record{SubjectID: "u-1", Category: "instance.financial.payment", Times: map[privacy.Trigger]time.Time{
				privacy.TriggerAccountClosed: t0.AddDate(-1, 0, 0), privacy.TriggerCollected: t0.AddDate(-8, 0, 0)}},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.financial", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.AddDate(-1, 0, 0).AddDate(0, 0, 90)},
		},
		{
			// AWR art. 52(4): seven years from the end of the book year
			// (2019), not from the payment's date (28 November 2019).
			name: "statutory hold counts from the end of the book year",
			record: retention.Record{SubjectID: "u-1", Category: "instance.financial.payment", Times: map[privacy.Trigger]time.Time{
				privacy.TriggerAccountClosed: t0.AddDate(-1, 0, 0), privacy.TriggerCollected: t0.AddDate(-7, 0, 0)}},
			want: retention.Verdict{Status: retention.StatusHeld, Rule: "instance.financial", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.AddDate(-1, 0, 0).AddDate(0, 0, 90),
				HeldBy: []string{"statutory hold (AWR art. 52(4); BW 2:10(3)) until 2027-01-01T00:00:00Z"}},
		},
		{
			name:   "statutory hold without its trigger time keeps the record",
			record: retention.Record{SubjectID: "u-1", Category: "instance.financial.payment", Times: at(privacy.TriggerAccountClosed, days(1000))},
			want: retention.Verdict{Status: retention.StatusHeld, Rule: "instance.financial", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(910)),
				HeldBy: []string{"statutory hold (AWR art. 52(4); BW 2:10(3)): P7Y of collected unknown"}},
		},
		{
			name:   "card details carry no statutory hold",
			record: retention.Record{SubjectID: "u-1", Category: "instance.financial.card", Times: at(privacy.TriggerAccountClosed, days(31))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.financial.card", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P30D"), DueAt: t0.Add(-days(1))},
		},
		{
			name:   "legal hold on the subject wins",
			record: retention.Record{SubjectID: "u-1", Category: "instance.account.username", Times: closed(days(100))},
			holds:  []retention.Hold{dispute},
			want: retention.Verdict{Status: retention.StatusHeld, Rule: "instance.account", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(10)),
				HeldBy: []string{"legal hold h-1 by legal@example: dispute D-7"}},
		},
		{
			name:   "legal hold on another subject does not apply",
			record: retention.Record{SubjectID: "u-2", Category: "instance.account.username", Times: closed(days(100))},
			holds:  []retention.Hold{dispute},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.account", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(10))},
		},
		{
			name:   "released legal hold makes the record due",
			record: retention.Record{SubjectID: "u-1", Category: "instance.account.username", Times: closed(days(100))},
			holds:  []retention.Hold{released},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.account", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(10))},
		},
		{
			name:   "category hold on a parent key, with an end, and the statutory hold",
			record: retention.Record{SubjectID: "u-9", Category: "instance.financial.bank", Times: at(privacy.TriggerAccountClosed, days(100))},
			holds:  []retention.Hold{financeHold},
			want: retention.Verdict{Status: retention.StatusHeld, Rule: "instance.financial.bank", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(10)),
				HeldBy: []string{
					// The contract ended in August 2026: seven years from
					// the end of that book year.
					"statutory hold (AWR art. 52(4); BW 2:10(3)) until 2034-01-01T00:00:00Z",
					"legal hold h-2 by cfo: audit 2026 (until 2026-12-28T12:00:00Z)",
				}},
		},
		{
			name:   "lapsed hold",
			record: retention.Record{SubjectID: "u-9", Category: "instance.financial.card", Times: at(privacy.TriggerAccountClosed, days(100))},
			holds:  []retention.Hold{lapsed},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.financial.card", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P30D"), DueAt: t0.Add(-days(70))},
		},
		{
			name:   "guest data follows the controller's shorter period",
			record: retention.Record{SubjectID: "g-1", Controller: "acme", Category: "guest.it.usage", Times: at(privacy.TriggerMeetingEnded, days(8))},
			overr:  []retention.Override{{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P7D")}},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "guest.it", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P7D"), DueAt: t0.Add(-days(1))},
		},
		{
			name:   "another controller's choice does not apply",
			record: retention.Record{SubjectID: "g-1", Controller: "globex", Category: "guest.it.usage", Times: at(privacy.TriggerMeetingEnded, days(8))},
			overr:  []retention.Override{{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P7D")}},
			want: retention.Verdict{Status: retention.StatusRetained, Rule: "guest.it", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(days(82))},
		},
		{
			name:   "controller's choice on a leaf beats its choice on the parent",
			record: retention.Record{SubjectID: "g-1", Controller: "acme", Category: "guest.it.browser", Times: at(privacy.TriggerMeetingEnded, days(8))},
			overr: []retention.Override{
				{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P7D")},
				{Controller: "acme", Category: "guest.it.browser", Period: privacy.MustParsePeriod("P30D")},
			},
			want: retention.Verdict{Status: retention.StatusRetained, Rule: "guest.it", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P30D"), DueAt: t0.Add(days(22))},
		},
		{
			name:   "controller's choice on a rule of its own",
			record: retention.Record{SubjectID: "g-1", Controller: "acme", Category: "guest.it.cookies", Times: at(privacy.TriggerCollected, days(40))},
			overr:  []retention.Override{{Controller: "acme", Category: "guest.it.cookies", Period: privacy.MustParsePeriod("P1M")}},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "guest.it.cookies", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P1M"), DueAt: t0.Add(-days(40)).AddDate(0, 1, 0)},
		},
		// Rules with further clocks (also): whichever ends first.
		{
			name:   "marketing profile of a closed account whose consent was never withdrawn",
			record: retention.Record{SubjectID: "u-3", Category: "instance.marketing.profile", Times: at(privacy.TriggerAccountClosed, days(31))},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.marketing", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P30D"), DueAt: t0.Add(-days(1)), Trigger: privacy.TriggerAccountClosed},
		},
		{
			name: "marketing profile: the withdrawal ends it first",
			record: retention.Record{SubjectID: "u-3", Category: "instance.marketing.profile", Times: map[privacy.Trigger]time.Time{
				privacy.TriggerAccountClosed: t0.Add(-days(10)), privacy.TriggerConsentWithdrawn: t0.Add(-days(31))}},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.marketing", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P30D"), DueAt: t0.Add(-days(1)), Trigger: privacy.TriggerConsentWithdrawn},
		},
		{
			name: "recording of a closed account: the account's grace ends before the recording's year",
			record: retention.Record{SubjectID: "u-3", Category: "instance.meeting.recording", Times: map[privacy.Trigger]time.Time{
				privacy.TriggerMeetingEnded: t0.Add(-days(100)), privacy.TriggerAccountClosed: t0.Add(-days(91))}},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.meeting.recording", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P90D"), DueAt: t0.Add(-days(1)), Trigger: privacy.TriggerAccountClosed},
		},
		{
			name: "recording: its year ends before the account's grace",
			record: retention.Record{SubjectID: "u-3", Category: "instance.meeting.recording", Times: map[privacy.Trigger]time.Time{
				privacy.TriggerMeetingEnded: t0.Add(-days(400)), privacy.TriggerAccountClosed: t0.Add(-days(10))}},
			want: retention.Verdict{Status: retention.StatusDue, Rule: "instance.meeting.recording", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P1Y"), DueAt: t0.Add(-days(400)).AddDate(1, 0, 0), Trigger: privacy.TriggerMeetingEnded},
		},
		{
			name:   "recording of an open account: retained until its year ends",
			record: retention.Record{SubjectID: "u-3", Category: "instance.meeting.recording", Times: at(privacy.TriggerMeetingEnded, days(10))},
			want: retention.Verdict{Status: retention.StatusRetained, Rule: "instance.meeting.recording", Action: privacy.ActionDelete,
				Period: privacy.MustParsePeriod("P1Y"), DueAt: t0.Add(-days(10)).AddDate(1, 0, 0), Trigger: privacy.TriggerMeetingEnded},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := retention.NewSchedule(c, tc.overr)
			if err != nil {
				t.Fatalf("NewSchedule: %v", err)
			}
			if tc.want.Trigger == "" && !tc.want.DueAt.IsZero() {
				// A rule with one clock: its own trigger ends it.
				tc.want.Trigger = c.RetentionRule(tc.want.Rule).Trigger
			}
			got := s.Evaluate(&tc.record, tc.holds, t0)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckOverride(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	tests := []struct {
		name      string
		o         retention.Override
		wantField string
	}{
		{"within bounds", retention.Override{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P30D")}, ""},
		{"removal", retention.Override{Controller: "acme", Category: "guest.contact"}, ""},
		{"longer than max", retention.Override{Controller: "acme", Category: "guest.it.usage", Period: privacy.MustParsePeriod("P2Y")}, "period"},
		{"parent covering a tighter child rule", retention.Override{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P1Y")}, ""},
		{"parent beyond a child's max", retention.Override{Controller: "acme", Category: "guest", Period: privacy.MustParsePeriod("P2Y")}, "period"},
		{"operator's own data", retention.Override{Controller: "acme", Category: "instance.account", Period: privacy.MustParsePeriod("P1D")}, "category"},
		{"unknown category", retention.Override{Controller: "acme", Category: "guest.nope", Period: privacy.MustParsePeriod("P1D")}, "category"},
		{"no controller", retention.Override{Category: "guest.it", Period: privacy.MustParsePeriod("P1D")}, "controller"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := retention.CheckOverride(c, tc.o)
			got := ""
			if ve := (*privacy.ValidationError)(nil); err != nil {
				if !asValidation(err, &ve) {
					t.Fatalf("CheckOverride error %v is not a *privacy.ValidationError", err)
				}
				got = ve.Field
			}
			if got != tc.wantField {
				t.Errorf("CheckOverride error = %v, want field %q", err, tc.wantField)
			}
		})
	}
}

// TestCheckHold: a hold on a category the catalog does not know would
// hold nothing, and the records it was placed to keep would be erased
// (Art. 17(3)(e)); CheckHold refuses it, naming the field, with a
// suggestion.
func TestCheckHold(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		h         retention.Hold
		wantField string
		wantText  string
	}{
		{name: "a subject", h: retention.Hold{SubjectID: "u-1", PlacedBy: "legal", Reason: "dispute 114", PlacedAt: at}},
		{name: "a parent category", h: retention.Hold{Category: "instance.financial", PlacedBy: "legal", Reason: "audit", PlacedAt: at}},
		{name: "a leaf of a subject", h: retention.Hold{SubjectID: "u-1", Category: "guest.contact.email", PlacedBy: "legal", Reason: "dispute", PlacedAt: at}},
		{name: "a misspelt category", h: retention.Hold{Category: "instance.financal", PlacedBy: "legal", Reason: "audit", PlacedAt: at},
			wantField: "category", wantText: "instance.financial"},
		{name: "an invalid hold", h: retention.Hold{Category: "instance.financial", Reason: "audit", PlacedAt: at}, wantField: "placed_by"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := retention.CheckHold(c, tc.h)
			if tc.wantField == "" {
				if err != nil {
					t.Errorf("CheckHold: %v, want nil", err)
				}
				return
			}
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.wantField || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("CheckHold: %v, want a ValidationError on %s mentioning %q", err, tc.wantField, tc.wantText)
			}
		})
	}
}
