package policies

import (
	"bytes"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

// TestEveryFactIsInTheKey changes each fact and each request field the
// policy reads, one at a time, and requires the cache key to change: a
// fact left out of the key would let one subject's answer serve another
// state. Only the moment judged is left out (the validity window covers
// it).
func TestEveryFactIsInTheKey(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	base := func() (privacy.Request, facts) {
		return privacy.Request{
				Subject: privacy.Subject{ID: "u-1", Kind: "user", Age: 30, Country: "NL", Controller: "acme"},
				Purpose: "research.surveys", Data: []string{"instance.contact.email"}, Basis: "consent",
				Recipient: &privacy.Recipient{ID: "r", Kind: "processor", Country: "NL", DPA: true, Safeguard: "scc"},
			}, facts{
				at: at,
				consent: consent.State{Event: consent.Given, PolicyVersion: "1.2", Guardian: false,
					CollectedAt: at.Add(-time.Hour), ExpiresAt: at.Add(time.Hour)},
				state: subject.State{SubjectID: "u-1", Objections: []subject.Objection{{Purpose: "referral"}},
					Assessments: []subject.Assessment{{Purpose: "referral", By: "dpo", At: at.Add(-time.Minute)}},
					Lifecycle:   map[privacy.Trigger]time.Time{privacy.TriggerLastActivity: at.Add(-time.Hour)}},
				choices: map[string]privacy.Period{"instance.contact.email": {Days: 3}},
				transferConsent: &consent.State{Event: consent.Given, Act: consent.ActButton,
					CollectedAt: at.Add(-time.Hour), ExpiresAt: at.Add(time.Hour)},
			}
	}
	r0, f0 := base()
	key0 := f0.appendKey(nil, 1, &r0)
	for name, change := range map[string]func(*privacy.Request, *facts){
		"subject.id":                 func(r *privacy.Request, _ *facts) { r.Subject.ID = "u-2" },
		"subject.kind":               func(r *privacy.Request, _ *facts) { r.Subject.Kind = "guest" },
		"subject.age":                func(r *privacy.Request, _ *facts) { r.Subject.Age = 31 },
		"subject.country":            func(r *privacy.Request, _ *facts) { r.Subject.Country = "DE" },
		"subject.controller":         func(r *privacy.Request, _ *facts) { r.Subject.Controller = "" },
		"purpose":                    func(r *privacy.Request, _ *facts) { r.Purpose = "referral" },
		"data":                       func(r *privacy.Request, _ *facts) { r.Data = append(r.Data, "instance.account") },
		"basis":                      func(r *privacy.Request, _ *facts) { r.Basis = "" },
		"automated_decision":         func(r *privacy.Request, _ *facts) { r.AutomatedDecision = true },
		"encrypted":                  func(r *privacy.Request, _ *facts) { r.EncryptedInTransit = true },
		"gpc":                        func(r *privacy.Request, _ *facts) { r.Signals.GPC = true },
		"no recipient":               func(r *privacy.Request, _ *facts) { r.Recipient = nil },
		"recipient.id":               func(r *privacy.Request, _ *facts) { r.Recipient.ID = "s" },
		"recipient.kind":             func(r *privacy.Request, _ *facts) { r.Recipient.Kind = "partner" },
		"recipient.country":          func(r *privacy.Request, _ *facts) { r.Recipient.Country = "US" },
		"recipient.dpa":              func(r *privacy.Request, _ *facts) { r.Recipient.DPA = false },
		"recipient.safeguard":        func(r *privacy.Request, _ *facts) { r.Recipient.Safeguard = "bcr" },
		"recipient.sale":             func(r *privacy.Request, _ *facts) { r.Recipient.Sale = true },
		"consent.event":              func(_ *privacy.Request, f *facts) { f.consent.Event = consent.Withdrawn },
		"consent.guardian":           func(_ *privacy.Request, f *facts) { f.consent.Guardian = true },
		"consent.act":                func(_ *privacy.Request, f *facts) { f.consent.Act = consent.ActButton },
		"no transfer consent":        func(_ *privacy.Request, f *facts) { f.transferConsent = nil },
		"transfer consent event":     func(_ *privacy.Request, f *facts) { f.transferConsent.Event = consent.Withdrawn },
		"transfer consent act":       func(_ *privacy.Request, f *facts) { f.transferConsent.Act = consent.ActUntickedBox },
		"transfer consent expires":   func(_ *privacy.Request, f *facts) { f.transferConsent.ExpiresAt = at },
		"transfer consent guardian":  func(_ *privacy.Request, f *facts) { f.transferConsent.Guardian = true },
		"transfer consent collected": func(_ *privacy.Request, f *facts) { f.transferConsent.CollectedAt = at },
		"consent.version":            func(_ *privacy.Request, f *facts) { f.consent.PolicyVersion = "1.2.0.1" },
		"consent.collected":          func(_ *privacy.Request, f *facts) { f.consent.CollectedAt = at },
		"consent.expires":            func(_ *privacy.Request, f *facts) { f.consent.ExpiresAt = at.Add(2 * time.Hour) },
		"objection":                  func(_ *privacy.Request, f *facts) { f.state.Objections[0].Purpose = "support" },
		"dm objection":               func(_ *privacy.Request, f *facts) { f.state.Objections[0].DirectMarketing = true },
		"objection time":             func(_ *privacy.Request, f *facts) { f.state.Objections[0].At = at },
		"assessment":                 func(_ *privacy.Request, f *facts) { f.state.Assessments = nil },
		"assessment purpose":         func(_ *privacy.Request, f *facts) { f.state.Assessments[0].Purpose = "support" },
		"assessment by":              func(_ *privacy.Request, f *facts) { f.state.Assessments[0].By = "legal" },
		"assessment time":            func(_ *privacy.Request, f *facts) { f.state.Assessments[0].At = at },
		"restricted":                 func(_ *privacy.Request, f *facts) { f.state.Restricted = true },
		"deactivated":                func(_ *privacy.Request, f *facts) { f.state.Deactivated = true },
		"lifecycle time": func(_ *privacy.Request, f *facts) {
			f.state.Lifecycle = map[privacy.Trigger]time.Time{privacy.TriggerLastActivity: at}
		},
		"lifecycle trigger": func(_ *privacy.Request, f *facts) {
			f.state.Lifecycle = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: at.Add(-time.Hour)}
		},
		"choice": func(_ *privacy.Request, f *facts) {
			f.choices = map[string]privacy.Period{"instance.contact.email": {Days: 4}}
		},
	} {
		r, f := base()
		change(&r, &f)
		if bytes.Equal(f.appendKey(nil, 1, &r), key0) {
			t.Errorf("changing %s leaves the cache key as it was", name)
		}
	}
	r, f := base()
	if !bytes.Equal(f.appendKey(nil, 1, &r), key0) {
		t.Error("the key of the same facts differs")
	}
	f.at, r.Time = at.Add(time.Hour), at.Add(time.Hour)
	if !bytes.Equal(f.appendKey(nil, 1, &r), key0) {
		t.Error("the key depends on the time, which the validity window covers")
	}
	if r, f := base(); bytes.Equal(f.appendKey(nil, 2, &r), key0) {
		t.Error("the key does not depend on the policy generation")
	}
	// Maps are written in key order, whatever order they were filled in.
	r1, f1 := base()
	f1.state.Lifecycle = map[privacy.Trigger]time.Time{"a": at, "b": at, "c": at}
	k1 := f1.appendKey(nil, 1, &r1)
	for range 20 {
		f1.state.Lifecycle = map[privacy.Trigger]time.Time{"c": at, "b": at, "a": at}
		if !bytes.Equal(f1.appendKey(nil, 1, &r1), k1) {
			t.Fatal("the key depends on map order")
		}
	}
}
