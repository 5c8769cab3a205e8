package privacy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    privacy.Period
		wantErr string
	}{
		{name: "days", in: "P30D", want: privacy.Period{Days: 30}},
		{name: "years", in: "P7Y", want: privacy.Period{Years: 7}},
		{name: "years and months", in: "P1Y6M", want: privacy.Period{Years: 1, Months: 6}},
		{name: "weeks", in: "P2W", want: privacy.Period{Weeks: 2}},
		{name: "hours", in: "PT12H", want: privacy.Period{Hours: 12}},
		{name: "all units", in: "P1Y2M3W4DT5H", want: privacy.Period{Years: 1, Months: 2, Weeks: 3, Days: 4, Hours: 5}},
		{name: "empty", in: "", wantErr: "must start with P"},
		{name: "bare P", in: "P", wantErr: "at least one"},
		{name: "no unit", in: "P30", wantErr: "number followed by a unit"},
		{name: "minutes", in: "PT5M", wantErr: "unit M is not allowed"},
		{name: "hours without T", in: "P5H", wantErr: "unit H is not allowed"},
		{name: "fraction", in: "P1.5Y", wantErr: "unit . is not allowed"},
		{name: "negative", in: "P-1D", wantErr: "number followed by a unit"},
		{name: "order", in: "P1D1Y", wantErr: "order"},
		{name: "repeated", in: "P1D2D", wantErr: "twice"},
		{name: "lower case", in: "p30d", wantErr: "must start with P"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := privacy.ParsePeriod(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePeriod(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePeriod(%q) (-want +got):\n%s", tc.in, diff)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestPeriodAddTo(t *testing.T) {
	t.Parallel()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	utc := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		period string
		from   time.Time
		want   time.Time
	}{
		{"seven years", "P7Y", utc(2019, 3, 15, 10), utc(2026, 3, 15, 10)},
		{"leap day plus a year clamps", "P1Y", utc(2024, 2, 29, 0), utc(2025, 2, 28, 0)},
		{"end of month clamps", "P1M", utc(2026, 1, 31, 9), utc(2026, 2, 28, 9)},
		{"months across a year", "P13M", utc(2025, 12, 31, 0), utc(2027, 1, 31, 0)},
		{"days", "P30D", utc(2026, 1, 1, 0), utc(2026, 1, 31, 0)},
		{"weeks and hours", "P1WT12H", utc(2026, 1, 1, 0), utc(2026, 1, 8, 12)},
		{"a day across daylight saving stays a calendar day", "P1D",
			time.Date(2026, 3, 28, 12, 0, 0, 0, ams), time.Date(2026, 3, 29, 12, 0, 0, 0, ams)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := privacy.MustParsePeriod(tc.period).AddTo(tc.from)
			if !got.Equal(tc.want) {
				t.Errorf("%s.AddTo(%v) = %v, want %v", tc.period, tc.from, got, tc.want)
			}
		})
	}
}

func TestPeriodJSON(t *testing.T) {
	t.Parallel()
	var v struct {
		P privacy.Period `json:"p"`
	}
	if err := json.Unmarshal([]byte(`{"p":"P1Y6M"}`), &v); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if got, want := string(b), `{"p":"P1Y6M"}`; got != want {
		t.Errorf("round trip = %s, want %s", got, want)
	}
	if err := json.Unmarshal([]byte(`{"p":30}`), &v); err == nil {
		t.Errorf("Unmarshal of a number: no error")
	}
}

func TestCatalogRetentionRule(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	tests := []struct {
		category string
		want     string // the rule's category key; "" for none
	}{
		{"instance.financial.card", "instance.financial.card"},
		{"instance.financial.bank", "instance.financial.bank"},
		{"instance.financial.payment", "instance.financial"},
		{"guest.it.cookies", "guest.it.cookies"},
		{"guest.it.usage", "guest.it"},
		{"instance.account.username", "instance.account"},
		{"unknown.thing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.category, func(t *testing.T) {
			t.Parallel()
			got := ""
			if r := c.RetentionRule(tc.category); r != nil {
				got = r.Category
			}
			if got != tc.want {
				t.Errorf("RetentionRule(%s) = %q, want %q", tc.category, got, tc.want)
			}
		})
	}
	// Every leaf of the reference catalog has a rule.
	for _, cat := range c.Categories {
		if c.RetentionRule(cat.Key) == nil {
			t.Errorf("reference catalog: no retention rule covers %s", cat.Key)
		}
	}
}

func TestCatalogRetentionValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule string
		want string
	}{
		{"unknown category", `{category: nope, trigger: collected, period: P1D, action: delete, reason: r}`,
			"retention nope: category: unknown category"},
		{"bad period", `{category: instance.account, trigger: collected, period: 30 days, action: delete, reason: r}`,
			"invalid ISO 8601 period"},
		{"zero period", `{category: instance.account, trigger: collected, period: P0D, action: delete, reason: r}`,
			"retention instance.account: period: must be an ISO 8601 duration longer than zero"},
		{"bad action", `{category: instance.account, trigger: collected, period: P1D, action: shred, reason: r}`,
			"retention instance.account: action: must be delete or anonymise"},
		{"no reason", `{category: instance.account, trigger: collected, period: P1D, action: delete}`,
			"retention instance.account: reason:"},
		{"bad trigger", `{category: instance.account, trigger: "Account Closed", period: P1D, action: delete, reason: r}`,
			"retention instance.account: trigger:"},
		{"hold without law", `{category: instance.financial, trigger: collected, period: P1D, action: delete, reason: r, statutory_hold: {trigger: collected, period: P7Y}}`,
			"retention instance.financial: statutory_hold.law:"},
		{"bounds on controller data", `{category: instance.account, trigger: collected, period: P1D, action: delete, reason: r, min: P1D, max: P2D}`,
			"retention instance.account: min: only the data of subjects the operator processes"},
		{"period outside bounds", `{category: guest.it, trigger: collected, period: P2Y, action: delete, reason: r, min: P1D, max: P1Y}`,
			"retention guest.it: period: P2Y is outside the controller bounds P1D..P1Y"},
		{"min only", `{category: guest.it, trigger: collected, period: P2D, action: delete, reason: r, min: P1D}`,
			"retention guest.it: max: controller bounds need both"},
	}
	base := string(privacy.ReferenceCatalogYAML())
	i := strings.Index(base, "\nretention:\n")
	if i < 0 {
		t.Fatal("reference catalog has no retention block")
	}
	base = base[:i]
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := base + "\nretention:\n  - " + tc.rule + "\n"
			_, err := privacy.ParseCatalog("test.yaml", []byte(doc))
			if !errors.Is(err, privacy.ErrInvalidCatalog) {
				t.Fatalf("ParseCatalog error = %v, want ErrInvalidCatalog", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseCatalog error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		t.Parallel()
		r := `{category: instance.account, trigger: collected, period: P1D, action: delete, reason: r}`
		_, err := privacy.ParseCatalog("test.yaml", []byte(base+"\nretention:\n  - "+r+"\n  - "+r+"\n"))
		if err == nil || !strings.Contains(err.Error(), "duplicate retention rule") {
			t.Errorf("ParseCatalog error = %v, want duplicate retention rule", err)
		}
	})
}

// AWR art. 52(4): the fiscal duty counts from the end of the book year the
// record belongs to, not from the record's date.
func TestStatutoryHoldFromEndOfBookYear(t *testing.T) {
	t.Parallel()
	utc := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	calendar := &privacy.StatutoryHold{Trigger: privacy.TriggerCollected, Period: privacy.MustParsePeriod("P7Y"), Law: "AWR art. 52(4)", BookYearEnd: "12-31"}
	june := &privacy.StatutoryHold{Trigger: privacy.TriggerCollected, Period: privacy.MustParsePeriod("P7Y"), Law: "AWR art. 52(4)", BookYearEnd: "06-30"}
	plain := &privacy.StatutoryHold{Trigger: privacy.TriggerCollected, Period: privacy.MustParsePeriod("P7Y"), Law: "AWR art. 52(4)"}
	for _, tc := range []struct {
		name string
		h    *privacy.StatutoryHold
		t    time.Time
		want time.Time
	}{
		{"mid-year record", calendar, utc(2026, 3, 15, 10), utc(2034, 1, 1, 0)},
		{"last hour of the book year", calendar, utc(2026, 12, 31, 23), utc(2034, 1, 1, 0)},
		{"first hour of the next", calendar, utc(2027, 1, 1, 0), utc(2035, 1, 1, 0)},
		{"book year to 30 June", june, utc(2026, 3, 15, 10), utc(2033, 7, 1, 0)},
		{"book year to 30 June, after it", june, utc(2026, 7, 1, 0), utc(2034, 7, 1, 0)},
		{"from the trigger", plain, utc(2026, 3, 15, 10), utc(2033, 3, 15, 10)},
	} {
		if got := tc.h.End(tc.t); !got.Equal(tc.want) {
			t.Errorf("%s: End(%s) = %s, want %s", tc.name, tc.t, got, tc.want)
		}
	}
	bad := strings.Replace(string(privacy.ReferenceCatalogYAML()), `book_year_end: "12-31"`, `book_year_end: "02-29"`, 1)
	if _, err := privacy.ParseCatalog("c.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "statutory_hold.book_year_end") {
		t.Errorf("book year ending 02-29: %v, want an error naming statutory_hold.book_year_end", err)
	}
}

// FuzzParsePeriod: a period never panics the parser, and one it accepts
// parses again from its String to the same period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"P30D", "P1Y", "P7Y", "P1Y6M", "P2W", "PT1H", "P0D", "P", "P-1D", "P99999999999Y", "p1y", "P1.5Y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := privacy.ParsePeriod(s)
		if err != nil {
			return
		}
		again, err := privacy.ParsePeriod(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePeriod(%q) = %v, whose String %q parses to %v, %v", s, p, p.String(), again, err)
		}
	})
}
