package policies_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

// Item 7: compelling grounds are a finding for one subject, not a setting
// per purpose. After an objection to processing on legitimate interests
// the processing stops, unless an assessment recorded for that subject
// (who, when, why) after the objection overrides it, or it is for legal
// claims (Art. 21(1)).
func TestObjectionNeedsAssessmentForTheSubject(t *testing.T) {
	t.Parallel()
	const fraud = "security.fraud_prevention"
	f := newFixture(t)
	ctx := t.Context()
	cat := f.eng.Catalog()
	objected := now.Add(-2 * time.Hour)
	assessed := now.Add(-time.Hour)
	for _, id := range []string{"u-1", "u-2", "u-3"} {
		if err := subject.RecordObjection(ctx, f.subjects, id, subject.Objection{Purpose: fraud, At: objected}); err != nil {
			t.Fatal(err)
		}
	}
	a := subject.Assessment{Purpose: fraud, By: "dpo@example.com", Reason: "card testing from this account: an open fraud case", At: assessed}
	if err := subject.Assess(ctx, f.subjects, cat, "u-1", a); err != nil {
		t.Fatalf("Assess: %v", err)
	}
	// An assessment made before the objection it would answer.
	early := a
	early.At = objected.Add(-time.Minute)
	if err := subject.Assess(ctx, f.subjects, cat, "u-3", early); err != nil {
		t.Fatalf("Assess: %v", err)
	}

	decide := func(id string, at time.Time) privacy.Decision {
		t.Helper()
		r := req(privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 34, Country: "NL"}, fraud, "instance.network.ip_address")
		r.Time = at
		d, err := f.eng.Decide(ctx, r)
		if err != nil {
			t.Fatalf("Decide(%s): %v", id, err)
		}
		return d
	}
	d := decide("u-1", now)
	if !d.Allowed || !d.Requires(privacy.ObligationObjectionOverridden) {
		t.Fatalf("assessed subject: want allowed with %s, got\n%s", privacy.ObligationObjectionOverridden, d)
	}
	for _, o := range d.Obligations {
		if o.Code == privacy.ObligationObjectionOverridden && (!strings.Contains(o.Message, "dpo@example.com") || strings.Contains(o.Message, "u-1")) {
			t.Errorf("obligation message %q: want who assessed, and no subject id", o.Message)
		}
	}
	for _, tc := range []struct {
		name, id string
		at       time.Time
		message  string
	}{
		{"another subject who objected", "u-2", now, "no assessment for this subject"},
		{"assessment made before the objection", "u-3", now, "before the objection"},
		{"a time before the assessment was made", "u-1", assessed.Add(-time.Second), "no assessment for this subject"},
	} {
		d := decide(tc.id, tc.at)
		if d.Allowed || !d.Has(privacy.ReasonObjectionActive) || !strings.Contains(d.String(), tc.message) {
			t.Errorf("%s: want denied with %s saying %q, got\n%s", tc.name, privacy.ReasonObjectionActive, tc.message, d)
		}
	}

	// Withdrawn, the assessment no longer holds: on the next decision.
	if err := subject.WithdrawAssessment(ctx, f.subjects, "u-1", fraud); err != nil {
		t.Fatalf("WithdrawAssessment: %v", err)
	}
	if d := decide("u-1", now); d.Allowed || !d.Has(privacy.ReasonObjectionActive) {
		t.Errorf("after the assessment was withdrawn: want denied with %s, got\n%s", privacy.ReasonObjectionActive, d)
	}
	if err := subject.WithdrawAssessment(ctx, f.subjects, "u-1", fraud); !errors.Is(err, privacy.ErrNotFound) {
		t.Errorf("withdrawing it twice: error %v, want ErrNotFound", err)
	}

	// Legal claims stay the stated exception, with the duty to tell the
	// subject.
	if err := subject.Object(ctx, f.subjects, "u-2", "legal.claims"); err != nil {
		t.Fatal(err)
	}
	lc, err := f.eng.Decide(ctx, req(privacy.Subject{ID: "u-2", Kind: privacy.SubjectUser}, "legal.claims", "instance.contact.email"))
	if err != nil {
		t.Fatal(err)
	}
	if !lc.Allowed || !lc.Requires(privacy.ObligationObjectionOverridden) {
		t.Errorf("legal claims after an objection: want allowed with %s, got\n%s", privacy.ObligationObjectionOverridden, lc)
	}
}

// TestConsentGivenAgainAfterAnObjection: an objection to a purpose on
// consent withdraws the consent given before it (Art. 7(3), 21(1)). A
// consent the subject gives again afterwards, by a new affirmative act, is
// a new consent (Art. 6(1)(a)) that the objection does not reach; it
// stopped every later decision before. A consent from before the
// objection stays withdrawn, and the direct-marketing objection stays
// absolute (Art. 21(3)).
func TestConsentGivenAgainAfterAnObjection(t *testing.T) {
	t.Parallel()
	objected := now.Add(-2 * time.Hour)
	objectAt := func(purpose string) seed {
		return func(ctx context.Context, f *fixture) error {
			return subject.RecordObjection(ctx, f.subjects, "u-1", subject.Objection{Purpose: purpose, At: objected})
		}
	}
	at := func(tm time.Time) func(*consent.Record) { return func(r *consent.Record) { r.CollectedAt = tm } }
	for _, tc := range []struct {
		name    string
		purpose string
		seeds   []seed
		allowed bool
	}{
		{"given again after the objection", "research.surveys",
			[]seed{grant("u-1", "research.surveys", at(objected.Add(-time.Hour))), objectAt("research.surveys"), grant("u-1", "research.surveys", at(objected.Add(time.Minute)))}, true},
		{"given before the objection only", "research.surveys",
			[]seed{grant("u-1", "research.surveys", at(objected.Add(-time.Hour))), objectAt("research.surveys")}, false},
		{"given at the objection's instant", "research.surveys",
			[]seed{objectAt("research.surveys"), grant("u-1", "research.surveys", at(objected))}, false},
		{"direct marketing stays absolute", "marketing.profiling",
			[]seed{objectAt("marketing.profiling"), grant("u-1", "marketing.profiling", at(objected.Add(time.Minute)))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, s := range tc.seeds {
				if err := s(t.Context(), f); err != nil {
					t.Fatalf("seed: %v", err)
				}
			}
			d, err := f.eng.Decide(t.Context(), req(user, tc.purpose, "instance.contact.email"))
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if d.Allowed != tc.allowed || (!tc.allowed && !d.Has(privacy.ReasonObjectionActive)) {
				t.Errorf("allowed = %v, want %v (denied with %s)\n%s", d.Allowed, tc.allowed, privacy.ReasonObjectionActive, d)
			}
		})
	}
}

// TestAssessValidates: an assessment is checked where it is recorded, each
// failure naming its field, and the store is left as it was.
func TestAssessValidates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	cat := f.eng.Catalog()
	for _, p := range []string{"security.fraud_prevention", "service.personalisation", "marketing.announcements", "support"} {
		if err := subject.Object(ctx, f.subjects, "u-1", p); err != nil {
			t.Fatal(err)
		}
	}
	good := subject.Assessment{Purpose: "security.fraud_prevention", By: "dpo", Reason: "open fraud case", At: time.Now().Add(-time.Minute)}
	with := func(mod func(*subject.Assessment)) subject.Assessment {
		a := good
		mod(&a)
		return a
	}
	for _, tc := range []struct {
		name    string
		a       subject.Assessment
		field   string
		message string
	}{
		{"no assessor", with(func(a *subject.Assessment) { a.By = " " }), "by", "required"},
		{"no reason", with(func(a *subject.Assessment) { a.Reason = "" }), "reason", "required"},
		{"reason too long", with(func(a *subject.Assessment) { a.Reason = strings.Repeat("x", subject.MaxReasonBytes+1) }), "reason", "MaxReasonBytes"},
		{"no time", with(func(a *subject.Assessment) { a.At = time.Time{} }), "at", "required"},
		{"a time to come", with(func(a *subject.Assessment) { a.At = time.Now().Add(time.Hour) }), "at", "future"},
		{"undeclared purpose", with(func(a *subject.Assessment) { a.Purpose = "security.fraud_preventon" }), "purpose", `did you mean "security.fraud_prevention"`},
		{"purpose on contract", with(func(a *subject.Assessment) { a.Purpose = "support" }), "purpose", "not processed on legitimate interests"},
		{"direct marketing", with(func(a *subject.Assessment) { a.Purpose = "marketing.announcements" }), "purpose", "absolute"},
		{"catalog rules it out", with(func(a *subject.Assessment) { a.Purpose = "service.personalisation" }), "purpose", "rules out compelling grounds"},
	} {
		err := subject.Assess(ctx, f.subjects, cat, "u-1", tc.a)
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: error %v, want a ValidationError naming %s saying %q", tc.name, err, tc.field, tc.message)
		}
	}
	// Nothing to assess without an objection.
	if err := subject.Assess(ctx, f.subjects, cat, "u-9", good); !errors.Is(err, privacy.ErrNotFound) || strings.Contains(err.Error(), "u-9") {
		t.Errorf("no objection on record: error %v, want ErrNotFound naming no subject", err)
	}
	st, err := f.subjects.State(ctx, "u-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Assessments) != 0 {
		t.Errorf("refused assessments were kept: %v", st.Assessments)
	}
}
