package policies_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// fixture is an engine on memory stores, with the stores at hand to seed.
type fixture struct {
	eng      *policies.Engine
	consents *memory.ConsentStore
	subjects *memory.StateStore
}

func newFixture(t *testing.T, opts ...policies.Option) *fixture {
	t.Helper()
	f := &fixture{consents: memory.NewConsentStore(), subjects: memory.NewStateStore()}
	opts = append([]policies.Option{
		policies.WithConsents(f.consents),
		policies.WithSubjects(f.subjects),
		policies.WithClock(func() time.Time { return now }),
	}, opts...)
	eng, err := policies.New(t.Context(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.eng = eng
	return f
}

// seed is a change of state made before a decision.
type seed func(ctx context.Context, f *fixture) error

func grant(subjectID, purpose string, mod func(*consent.Record)) seed {
	return func(ctx context.Context, f *fixture) error {
		r := consent.Record{SubjectID: subjectID, Purpose: purpose, PolicyVersion: "1.2",
			Method: consent.MethodCheckbox, CollectedAt: now.Add(-time.Hour)}
		if mod != nil {
			mod(&r)
		}
		_, err := consent.Grant(ctx, f.consents, f.eng.Catalog(), r)
		return err
	}
}

func withdraw(subjectID, purpose string) seed {
	return func(ctx context.Context, f *fixture) error {
		_, err := f.consents.Append(ctx, consent.Record{SubjectID: subjectID, Purpose: purpose,
			Event: consent.Withdrawn, Method: consent.MethodAPI, CollectedAt: now.Add(-time.Minute)})
		return err
	}
}

func record(subjectID, purpose string, ev consent.Event) seed {
	return func(ctx context.Context, f *fixture) error {
		_, err := f.consents.Append(ctx, consent.Record{SubjectID: subjectID, Purpose: purpose, Event: ev,
			PolicyVersion: "1.2", Method: consent.MethodAPI, CollectedAt: now.Add(-time.Minute)})
		return err
	}
}

func object(subjectID, purpose string) seed {
	return func(ctx context.Context, f *fixture) error {
		return subject.Object(ctx, f.subjects, subjectID, purpose)
	}
}

// objectAndAssess records the subject's objection to the purpose two
// hours before the time judged and, an hour later, an assessment of
// compelling grounds that overrides it.
func objectAndAssess(subjectID, purpose string) seed {
	return func(ctx context.Context, f *fixture) error {
		if err := subject.RecordObjection(ctx, f.subjects, subjectID, subject.Objection{Purpose: purpose, At: now.Add(-2 * time.Hour)}); err != nil {
			return err
		}
		return subject.Assess(ctx, f.subjects, f.eng.Catalog(), subjectID, subject.Assessment{
			Purpose: purpose, By: "dpo@example.com", Reason: "an open fraud case on the account", At: now.Add(-time.Hour)})
	}
}

func objectAllMarketing(subjectID string) seed {
	return func(ctx context.Context, f *fixture) error {
		return subject.ObjectToDirectMarketing(ctx, f.subjects, subjectID)
	}
}

func restrict(subjectID string) seed {
	return func(ctx context.Context, f *fixture) error {
		return subject.SetRestricted(ctx, f.subjects, subjectID, true)
	}
}

func deactivate(subjectID string) seed {
	return func(ctx context.Context, f *fixture) error {
		return subject.SetDeactivated(ctx, f.subjects, subjectID, true)
	}
}

var (
	user  = privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"}
	child = privacy.Subject{ID: "c-1", Kind: privacy.SubjectUser, Age: 14, Country: "NL"}
	guest = privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Country: "BE", Controller: "acme"}
)

func processor(country string, safeguard privacy.Safeguard) *privacy.Recipient {
	return &privacy.Recipient{ID: "proc", Kind: privacy.RecipientProcessor, Country: country, DPA: true, Safeguard: safeguard}
}

func recipient(kind privacy.RecipientKind, mod func(*privacy.Recipient)) *privacy.Recipient {
	r := &privacy.Recipient{ID: "rcpt", Kind: kind, Country: "NL", DPA: true}
	if mod != nil {
		mod(r)
	}
	return r
}

func req(s privacy.Subject, purpose string, data ...string) privacy.Request {
	return privacy.Request{Subject: s, Purpose: purpose, Data: data}
}

func with(r privacy.Request, mod func(*privacy.Request)) privacy.Request {
	mod(&r)
	return r
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		seeds       []seed
		req         privacy.Request
		wantBasis   lawfulbasis.Basis // "" means denied
		wantReasons []string
		wantObl     []string
	}{
		// Allowed, one per purpose family and subject kind.
		{name: "user profile on contract", req: req(user, "account.profile", "instance.account", "instance.profile.photo"),
			wantBasis: "contract"},
		{name: "login with IP address", req: req(user, "account.access", "instance.contact.email", "instance.network.ip_address"),
			wantBasis: "contract"},
		{name: "billing prefers contract", req: req(user, "billing", "instance.contact.email"), wantBasis: "contract"},
		{name: "billing to the tax authority", req: with(req(user, "billing", "instance.financial.payment"), func(r *privacy.Request) {
			r.Basis = lawfulbasis.LegalObligation
			r.EncryptedInTransit = true
			r.Recipient = recipient(privacy.RecipientPublicAuthority, func(r *privacy.Recipient) { r.DPA = false })
		}), wantBasis: "legal_obligation", wantObl: []string{"encrypt_in_transit", "log_disclosure"}},
		{name: "meeting delivered by affiliate", req: with(req(user, "service.delivery", "instance.meeting"), func(r *privacy.Request) {
			r.Recipient = recipient(privacy.RecipientAffiliate, nil)
			r.EncryptedInTransit = true // recordings need it (Art. 32)
		}), wantBasis: "contract", wantObl: []string{"encrypt_in_transit", "log_disclosure"}},
		{name: "partner gets the minimum", req: with(req(user, "service.delivery", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = recipient(privacy.RecipientPartner, func(r *privacy.Recipient) { r.DPA = false })
		}), wantBasis: "contract", wantObl: []string{"log_disclosure", "minimize"}},
		{name: "announcements on legitimate interests", req: with(req(user, "marketing.announcements", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("US", privacy.SafeguardSCC)
		}), wantBasis: "legitimate_interests", wantObl: []string{"include_unsubscribe", "log_disclosure", "record_transfer_safeguard"}},
		{name: "survey with consent", seeds: []seed{grant("u-1", "research.surveys", nil)},
			req: req(user, "research.surveys", "instance.contact.email"), wantBasis: "consent"},
		{name: "profiling with consent informs", seeds: []seed{grant("u-1", "marketing.profiling", nil)},
			req:       req(user, "marketing.profiling", "instance.contact.email", "instance.meeting.data"),
			wantBasis: "consent", wantObl: []string{"human_review", "include_unsubscribe", "inform_profiling"}},
		{name: "referral to a friend", seeds: []seed{grant("u-1", "referral", nil)},
			req: with(req(user, "referral", "instance.account.username"), func(r *privacy.Request) {
				r.Recipient = recipient(privacy.RecipientIndividual, func(r *privacy.Recipient) { r.DPA = false })
			}), wantBasis: "consent", wantObl: []string{"log_disclosure"}},
		{name: "referral to a friend whose country is unknown", seeds: []seed{grant("u-1", "referral", nil)},
			req: with(req(user, "referral", "instance.contact.email"), func(r *privacy.Request) {
				r.Recipient = &privacy.Recipient{ID: "friend", Kind: privacy.RecipientIndividual}
			}), wantBasis: "consent", wantObl: []string{"log_disclosure"}},
		{name: "referral to a friend in India", seeds: []seed{grant("u-1", "referral", nil)},
			req: with(req(user, "referral", "instance.contact.email"), func(r *privacy.Request) {
				r.Recipient = &privacy.Recipient{ID: "friend", Kind: privacy.RecipientIndividual, Country: "IN"}
			}), wantBasis: "consent", wantObl: []string{"log_disclosure"}},
		{name: "child with guardian consent", seeds: []seed{grant("c-1", "site.personalisation", func(r *consent.Record) { r.Guardian = true })},
			req: req(child, "site.personalisation", "instance.profile"), wantBasis: "consent"},
		{name: "child in Belgium consents alone (13)", seeds: []seed{grant("c-1", "site.personalisation", nil)},
			req: req(privacy.Subject{ID: "c-1", Kind: "user", Age: 14, Country: "BE"}, "site.personalisation", "instance.profile"), wantBasis: "consent"},
		{name: "fraud prevention covers children", req: req(child, "security.fraud_prevention", "instance.network.ip_address"),
			wantBasis: "legitimate_interests"},
		{name: "fraud prevention goes on after an objection on an assessment for the subject",
			seeds: []seed{objectAndAssess("u-1", "security.fraud_prevention")},
			req:   req(user, "security.fraud_prevention", "instance.network.ip_address"), wantBasis: "legitimate_interests",
			wantObl: []string{"objection_overridden"}},
		{name: "legal claims override an objection", seeds: []seed{object("u-1", "legal.claims")},
			req: with(req(user, "legal.claims", "instance"), func(r *privacy.Request) {
				r.EncryptedInTransit = true
				r.Recipient = recipient(privacy.RecipientThirdParty, func(r *privacy.Recipient) { r.DPA = false })
			}), wantBasis: "legitimate_interests", wantObl: []string{"encrypt_in_transit", "log_disclosure", "objection_overridden"}},
		{name: "subpoena for a deactivated, restricted user", seeds: []seed{restrict("u-1"), deactivate("u-1")},
			req: with(req(user, "legal.compliance", "instance.financial", "instance.meeting.recording"), func(r *privacy.Request) {
				r.EncryptedInTransit = true
				r.Recipient = recipient(privacy.RecipientPublicAuthority, func(r *privacy.Recipient) { r.DPA = false })
			}), wantBasis: "legal_obligation", wantObl: []string{"encrypt_in_transit", "log_disclosure"}},
		{name: "objection to marketing leaves support alone", seeds: []seed{objectAllMarketing("u-1"), object("u-1", "support")},
			req: req(user, "support", "instance.contact.email"), wantBasis: "contract"},
		{name: "US processor certified under the DPF", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("US", privacy.SafeguardDPF)
		}), wantBasis: "contract", wantObl: []string{"log_disclosure", "record_transfer_safeguard"}},
		{name: "UK processor under adequacy", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("GB", "")
		}), wantBasis: "contract", wantObl: []string{"log_disclosure", "record_transfer_safeguard"}},
		{name: "UK processor after the adequacy decision ends", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("GB", "")
			r.Time = time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
		}), wantReasons: []string{"transfer.no_safeguard"}},
		{name: "UK processor under SCCs after the adequacy decision ends", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("GB", privacy.SafeguardSCC)
			r.Time = time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
		}), wantBasis: "contract", wantObl: []string{"log_disclosure", "record_transfer_safeguard"}},
		{name: "guest meeting on controller instruction", req: req(guest, "service.delivery", "guest.contact", "guest.it.ip_address"),
			wantBasis: "controller_instruction"},
		{name: "guest support", req: req(guest, "support", "guest.contact.email"), wantBasis: "controller_instruction"},
		{name: "guest fraud prevention", req: req(guest, "security.fraud_prevention", "guest.it.navigation"), wantBasis: "legitimate_interests"},
		{name: "guest data for a subpoena", req: with(req(guest, "legal.compliance", "guest"), func(r *privacy.Request) {
			r.Recipient = recipient(privacy.RecipientPublicAuthority, nil)
			r.EncryptedInTransit = true // guest data needs it (Art. 32)
		}), wantBasis: "legal_obligation", wantObl: []string{"encrypt_in_transit", "inform_controller", "log_disclosure"}},

		// Denied: every reason code.
		{name: "unknown category", req: req(user, "support", "instance.shoe_size"), wantReasons: []string{"data.unknown_category"}},
		{name: "undeclared purpose", req: req(user, "resale", "instance.contact.email"), wantReasons: []string{"purpose.undeclared"}},
		{name: "purpose not for guests", req: req(guest, "billing", "guest.contact.email"),
			wantReasons: []string{"processor.outside_instructions", "purpose.category_not_permitted", "purpose.subject_not_covered"}},
		{name: "category outside the purpose", req: req(user, "marketing.announcements", "instance.financial.card"),
			wantReasons: []string{"purpose.category_not_permitted"}},
		{name: "guest category for a user purpose", req: req(user, "support", "guest.it.location"),
			wantReasons: []string{"purpose.category_not_permitted"}},
		{name: "basis not declared", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) { r.Basis = lawfulbasis.Consent }),
			wantReasons: []string{"basis.not_declared"}},
		{name: "consent missing", req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"consent.missing"}},
		{name: "consent refused", seeds: []seed{record("u-1", "research.surveys", consent.Refused)},
			req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"consent.missing"}},
		{name: "consent withdrawn", seeds: []seed{grant("u-1", "research.surveys", nil), withdraw("u-1", "research.surveys")},
			req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"consent.withdrawn"}},
		{name: "consent expired", seeds: []seed{grant("u-1", "research.surveys", func(r *consent.Record) { r.ExpiresAt = now.Add(-time.Second) })},
			req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"consent.expired"}},
		{name: "consent expiry recorded", seeds: []seed{grant("u-1", "research.surveys", nil), record("u-1", "research.surveys", consent.Expired)},
			req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"consent.expired"}},
		{name: "consent live before its expiry", seeds: []seed{grant("u-1", "research.surveys", func(r *consent.Record) { r.ExpiresAt = now.Add(time.Second) })},
			req: req(user, "research.surveys", "instance.contact.email"), wantBasis: "consent"},
		{name: "consent judged at the request's time", seeds: []seed{grant("u-1", "research.surveys", nil)},
			req:         with(req(user, "research.surveys", "instance.contact.email"), func(r *privacy.Request) { r.Time = now.Add(-2 * time.Hour) }),
			wantReasons: []string{"consent.missing"}},
		{name: "consent under an old policy version", seeds: []seed{grant("u-1", "research.surveys", func(r *consent.Record) { r.PolicyVersion = "1.1" })},
			req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"consent.stale_version"}},
		{name: "child without guardian", seeds: []seed{grant("c-1", "site.personalisation", nil)},
			req: req(child, "site.personalisation", "instance.profile"), wantReasons: []string{"consent.guardian_required"}},
		{name: "child without any consent", req: req(child, "site.personalisation", "instance.profile"),
			wantReasons: []string{"consent.guardian_required", "consent.missing"}},
		{name: "child and legitimate interests", req: req(child, "marketing.announcements", "instance.contact.email"),
			wantReasons: []string{"legitimate_interests.child"}},
		{name: "objection to fraud prevention without an assessment for the subject", seeds: []seed{object("u-1", "security.fraud_prevention")},
			req: req(user, "security.fraud_prevention", "instance.network.ip_address"), wantReasons: []string{"objection.active"}},
		{name: "objection to personalisation", seeds: []seed{object("u-1", "service.personalisation")},
			req: req(user, "service.personalisation", "instance.meeting.data"), wantReasons: []string{"objection.active"}},
		{name: "objection to a consent purpose counts as withdrawal", seeds: []seed{grant("u-1", "research.surveys", nil), object("u-1", "research.surveys")},
			req: req(user, "research.surveys", "instance.contact.email"), wantReasons: []string{"objection.active"}},
		{name: "objection to all marketing", seeds: []seed{objectAllMarketing("u-1")},
			req: req(user, "marketing.announcements", "instance.contact.email"), wantReasons: []string{"objection.active"}},
		{name: "objection to marketing beats consent", seeds: []seed{grant("u-1", "marketing.profiling", nil), object("u-1", "marketing.profiling")},
			req: req(user, "marketing.profiling", "instance.contact.email"), wantReasons: []string{"objection.active"}},
		{name: "GPC objects to direct marketing", req: with(req(user, "marketing.announcements", "instance.contact.email"), func(r *privacy.Request) { r.Signals.GPC = true }),
			wantReasons: []string{"objection.active"}},
		{name: "GPC and a sale", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Signals.GPC = true
			r.Recipient = processor("NL", "")
			r.Recipient.Sale = true
		}), wantReasons: []string{"disclosure.sale_prohibited", "objection.active"}},
		{name: "restricted", seeds: []seed{restrict("u-1")}, req: req(user, "support", "instance.contact.email"),
			wantReasons: []string{"restriction.active"}},
		{name: "deactivated", seeds: []seed{deactivate("u-1")}, req: req(user, "account.access", "instance.contact.email"),
			wantReasons: []string{"subject.deactivated"}},
		{name: "deactivated guest", seeds: []seed{deactivate("g-1")}, req: req(guest, "service.delivery", "guest.contact.email"),
			wantReasons: []string{"subject.deactivated"}},
		{name: "guest data for the operator's marketing", req: req(guest, "marketing.announcements", "guest.contact.email"),
			wantReasons: []string{"processor.outside_instructions", "purpose.category_not_permitted", "purpose.subject_not_covered"}},
		{name: "guest data for legal claims without instruction", req: req(guest, "legal.claims", "guest.contact"),
			wantReasons: []string{"processor.outside_instructions"}},
		{name: "sold to a broker", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("NL", "")
			r.Recipient.Sale = true
		}), wantReasons: []string{"disclosure.sale_prohibited"}},
		{name: "third party for marketing", req: with(req(user, "marketing.announcements", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = recipient(privacy.RecipientThirdParty, nil)
		}), wantReasons: []string{"disclosure.recipient_not_permitted", "disclosure.sale_prohibited"}},
		{name: "processor without DPA", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("NL", "")
			r.Recipient.DPA = false
		}), wantReasons: []string{"disclosure.processor_without_dpa"}},
		{name: "guest data to a processor without DPA", req: with(req(guest, "support", "guest.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("DE", "")
			r.Recipient.DPA = false
			r.EncryptedInTransit = true
		}), wantReasons: []string{"disclosure.processor_without_dpa"}},
		{name: "recipient kind not allowed", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = recipient(privacy.RecipientPartner, nil)
		}), wantReasons: []string{"disclosure.recipient_not_permitted"}},
		{name: "transfer to India without safeguard", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("IN", privacy.SafeguardNone)
		}), wantReasons: []string{"transfer.no_safeguard"}},
		{name: "US processor not certified", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("US", "")
		}), wantReasons: []string{"transfer.no_safeguard"}},
		{name: "Greece as EL is not an EEA code", req: with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("EL", "")
		}), wantReasons: []string{"transfer.no_safeguard"}},
		{name: "guest data to India without safeguard", req: with(req(guest, "service.delivery", "guest.contact.email"), func(r *privacy.Request) {
			r.Recipient = processor("IN", "")
			r.EncryptedInTransit = true
		}), wantReasons: []string{"transfer.no_safeguard"}},
		{name: "automated decision", req: with(req(user, "service.personalisation", "instance.meeting.data"), func(r *privacy.Request) { r.AutomatedDecision = true }),
			wantReasons: []string{"automated_decision.not_permitted"}},
		{name: "card data unencrypted", req: with(req(user, "billing", "instance.financial.card"), func(r *privacy.Request) {
			r.Recipient = processor("NL", "")
		}), wantReasons: []string{"security.unencrypted_financial"}},
		{name: "a denial carries every reason", seeds: []seed{restrict("u-1")},
			req: with(req(user, "research.surveys", "instance.financial.card", "instance.shoe_size"), func(r *privacy.Request) {
				r.Recipient = processor("IN", "")
				r.Recipient.DPA = false
			}),
			wantReasons: []string{"consent.missing", "data.unknown_category", "disclosure.processor_without_dpa",
				"purpose.category_not_permitted", "restriction.active", "security.unencrypted_financial", "transfer.no_safeguard"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, s := range tc.seeds {
				if err := s(t.Context(), f); err != nil {
					t.Fatalf("seed: %v", err)
				}
			}
			d, err := f.eng.Decide(t.Context(), tc.req)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if d.Allowed != (tc.wantBasis != "") || d.Basis != tc.wantBasis {
				t.Fatalf("got allowed=%v basis=%q, want basis %q\n%s", d.Allowed, d.Basis, tc.wantBasis, d)
			}
			wantReasons := tc.wantReasons
			if wantReasons == nil {
				wantReasons = []string{}
			}
			if diff := cmp.Diff(wantReasons, d.Codes()); diff != "" {
				t.Errorf("reasons (-want +got):\n%s\n%s", diff, d)
			}
			wantObl := tc.wantObl
			if wantObl == nil {
				wantObl = []string{}
			}
			if diff := cmp.Diff(wantObl, d.ObligationCodes()); diff != "" {
				t.Errorf("obligations (-want +got):\n%s", diff)
			}
			for _, r := range d.Reasons {
				if r.Article == "" || r.Clause == "" || r.Message == "" {
					t.Errorf("reason %s lacks article, clause or message: %+v", r.Code, r)
				}
			}
			for _, o := range d.Obligations {
				if o.Article == "" || o.Message == "" {
					t.Errorf("obligation %s lacks article or message: %+v", o.Code, o)
				}
			}
			if d.PolicyVersion != "1.2" {
				t.Errorf("policy_version = %q, want 1.2", d.PolicyVersion)
			}
		})
	}
}

func TestInvalidRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name  string
		req   privacy.Request
		field string
	}{
		{"no subject id", req(privacy.Subject{Kind: "user"}, "support", "instance.contact.email"), "subject.id"},
		{"no subject kind", req(privacy.Subject{ID: "x"}, "support", "instance.contact.email"), "subject.kind"},
		{"unknown subject kind", req(privacy.Subject{ID: "x", Kind: "robot"}, "support", "instance.contact.email"), "subject.kind"},
		{"no purpose", req(user, "", "instance.contact.email"), "purpose"},
		{"no data", req(user, "support"), "data"},
		{"negative age", req(privacy.Subject{ID: "x", Kind: "user", Age: -1}, "support", "instance.contact.email"), "subject.age"},
		{"lower-case country", req(privacy.Subject{ID: "x", Kind: "user", Country: "nl"}, "support", "instance.contact.email"), "subject.country"},
		{"unknown recipient kind", with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = &privacy.Recipient{ID: "r", Kind: "friend"}
		}), "recipient.kind"},
		{"unknown safeguard", with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) {
			r.Recipient = &privacy.Recipient{ID: "r", Kind: "processor", Safeguard: "promise"}
		}), "recipient.safeguard"},
		{"unknown basis", with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) { r.Basis = "vibes" }), "basis"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := f.eng.Decide(t.Context(), tc.req)
			if !errors.Is(err, privacy.ErrInvalidRequest) {
				t.Fatalf("err = %v, want ErrInvalidRequest", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %q, want it to name %q", err, tc.field)
			}
			if d.Allowed || !d.Has(privacy.ReasonRequestInvalid) {
				t.Errorf("decision = %v, want a denial with request.invalid", d.Codes())
			}
		})
	}
}

// TestStateChangesNextDecision: a withdrawal or objection written through
// the store changes the very next Decide.
func TestStateChangesNextDecision(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	survey := req(user, "research.surveys", "instance.contact.email")
	announce := req(user, "marketing.announcements", "instance.contact.email")
	steps := []struct {
		name  string
		do    seed
		req   privacy.Request
		codes []string
	}{
		{"before consent", nil, survey, []string{"consent.missing"}},
		{"after grant", grant("u-1", "research.surveys", nil), survey, []string{}},
		{"after withdrawal", func(ctx context.Context, f *fixture) error {
			_, err := consent.Withdraw(ctx, f.consents, consent.Record{SubjectID: "u-1", Purpose: "research.surveys"})
			return err
		}, with(survey, func(r *privacy.Request) { r.Time = time.Now().Add(time.Second) }), []string{"consent.withdrawn"}},
		{"announcements before objection", nil, announce, []string{}},
		{"after objection", objectAllMarketing("u-1"), announce, []string{"objection.active"}},
		{"after withdrawing the objection", func(ctx context.Context, f *fixture) error {
			return f.subjects.Update(ctx, "u-1", func(s *subject.State) error { s.WithdrawObjection(""); return nil })
		}, announce, []string{}},
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(ctx, f); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		d, err := f.eng.Decide(ctx, s.req)
		if err != nil {
			t.Fatalf("%s: Decide: %v", s.name, err)
		}
		if diff := cmp.Diff(s.codes, d.Codes()); diff != "" {
			t.Errorf("%s: reasons (-want +got):\n%s", s.name, diff)
		}
	}
}

type failingConsents struct{}

func (failingConsents) State(context.Context, string, string, time.Time) (consent.State, error) {
	return consent.State{}, errors.New("connection refused")
}

type failingSubjects struct{}

func (failingSubjects) State(context.Context, string) (subject.State, error) {
	return subject.State{}, errors.New("connection refused")
}

func TestFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []policies.Option
		req  privacy.Request
	}{
		{"consent store down", []policies.Option{policies.WithConsents(failingConsents{})}, req(user, "research.surveys", "instance.contact.email")},
		{"subject store down", []policies.Option{policies.WithSubjects(failingSubjects{})}, req(user, "support", "instance.contact.email")},
		{"extension fails at evaluation", []policies.Option{policies.WithModule("boom.rego", `package privacy.ext.boom

deny contains {"code": "ext.boom", "message": x} if {
	x := 1 / 0
}
`)}, req(user, "support", "instance.contact.email")},
		{"extension with conflicting values", []policies.Option{policies.WithModule("conflict.rego", `package privacy.ext.conflict

x := 1
x := 2 if input.request.purpose == "support"

deny contains {"code": "ext.c", "message": "m"} if x == 3
`)}, req(user, "support", "instance.contact.email")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eng, err := policies.New(t.Context(), append([]policies.Option{policies.WithMemoryStores()}, tc.opts...)...)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			d, err := eng.Decide(t.Context(), tc.req)
			if !errors.Is(err, privacy.ErrEvaluation) {
				t.Fatalf("err = %v, want ErrEvaluation", err)
			}
			if d.Allowed || !d.Has(privacy.ReasonEvaluationFailed) || d.Basis != "" {
				t.Fatalf("decision = %s, want a denial with evaluation.failed", d)
			}
		})
	}
}

func TestExtensionModules(t *testing.T) {
	t.Parallel()
	nlOnly := `package privacy.ext.nl_only

deny contains {"code": "ext.outside_nl", "message": "recipients must be in NL"} if {
	input.request.recipient.country != "NL"
}

obligation contains {"code": "ext.notify_dpo", "message": "tell the DPO"} if input.request.recipient
`
	f := newFixture(t, policies.WithModule("nl.rego", nlOnly))
	d, err := f.eng.Decide(t.Context(), with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) { r.Recipient = processor("DE", "") }))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ext.outside_nl"}, d.Codes()); diff != "" {
		t.Errorf("extension denial (-want +got):\n%s", diff)
	}
	d, _ = f.eng.Decide(t.Context(), with(req(user, "support", "instance.contact.email"), func(r *privacy.Request) { r.Recipient = processor("NL", "") }))
	if diff := cmp.Diff([]string{"ext.notify_dpo", "log_disclosure"}, d.ObligationCodes()); !d.Allowed || diff != "" {
		t.Errorf("extension obligation: allowed=%v (-want +got):\n%s", d.Allowed, diff)
	}

	rejected := []struct{ name, src string }{
		{"base package", "package privacy.decision\n\nresult := {\"basis\": \"consent\", \"reasons\": set(), \"obligations\": set()}\n"},
		{"rules package", "package privacy.rules.purpose\n\ndeny := set()\n"},
		{"bare ext", "package privacy.ext\n\ndeny := set()\n"},
		{"syntax error", "package privacy.ext.x\n\ndeny contains if {\n"},
	}
	for _, tc := range rejected {
		if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule(tc.name+".rego", tc.src)); err == nil {
			t.Errorf("%s: New accepted a module that could change the base policy", tc.name)
		}
	}

	// An extension that tries to clear the base denials cannot: deny and
	// obligation must be sets built with "contains", and the base sets are
	// unions of every package's rules, so New refuses it.
	clearing := `package privacy.ext.clear

deny := set()
obligation := set()
`
	if _, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithModule("clear.rego", clearing)); !errors.Is(err, privacy.ErrInvalid) {
		t.Errorf("an extension assigning deny := set(): error %v, want it refused as invalid", err)
	}
}

func TestBadCatalogIsRejected(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Purposes[0].Categories = append(c.Purposes[0].Categories, "instance.shoe_size")
	_, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithCatalog(c))
	if !errors.Is(err, privacy.ErrInvalidCatalog) || !strings.Contains(err.Error(), "instance.shoe_size") {
		t.Fatalf("New with a bad catalog: err = %v, want ErrInvalidCatalog naming the category", err)
	}
}

// A catalog built in Go may skip Check; an LI purpose without an assessment
// is then denied rather than trusted.
func TestLegitimateInterestsWithoutAssessment(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Purpose("marketing.announcements").LIA = nil
	f := newFixture(t, policies.WithCatalog(c))
	d, err := f.eng.Decide(t.Context(), req(user, "marketing.announcements", "instance.contact.email"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"legitimate_interests.no_assessment"}, d.Codes()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// An automated decision where a catalog allows one: on contract it needs
// human review; on legitimate interests Art. 22(2) forbids it.
func TestAutomatedDecisionAllowedByCatalog(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Purpose("billing").AutomatedDecision = true
	c.Purpose("service.personalisation").AutomatedDecision = true
	f := newFixture(t, policies.WithCatalog(c))
	d, err := f.eng.Decide(t.Context(), with(req(user, "billing", "instance.contact.email"), func(r *privacy.Request) { r.AutomatedDecision = true }))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || !d.Requires(privacy.ObligationHumanReview) {
		t.Errorf("contract automated decision: %s, want allowed with human_review", d)
	}
	d, _ = f.eng.Decide(t.Context(), with(req(user, "service.personalisation", "instance.meeting.data"), func(r *privacy.Request) { r.AutomatedDecision = true }))
	if diff := cmp.Diff([]string{"automated_decision.not_permitted"}, d.Codes()); diff != "" {
		t.Errorf("LI automated decision (-want +got):\n%s", diff)
	}
}

func TestControllerInstructions(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Processor.Controllers = map[string][]string{"acme": {"service.delivery", "legal.claims"}}
	f := newFixture(t, policies.WithCatalog(c))
	d, _ := f.eng.Decide(t.Context(), req(guest, "legal.claims", "guest.contact"))
	if !d.Allowed {
		t.Errorf("acme instructs legal.claims: %s", d)
	}
	d, _ = f.eng.Decide(t.Context(), req(guest, "support", "guest.contact.email"))
	if diff := cmp.Diff([]string{"processor.outside_instructions"}, d.Codes()); diff != "" {
		t.Errorf("acme does not instruct support (-want +got):\n%s", diff)
	}
}

// Art. 28(3)(a): a processor follows the controller's instructions
// "unless required to do so by Union or Member State law to which the
// processor is subject", telling the controller first. A subpoena for the
// guest data of a controller whose instructions leave out legal.compliance
// was denied as processor.outside_instructions.
func TestLegalObligationOutsideControllerInstructions(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Processor.Controllers = map[string][]string{"acme": {"service.delivery"}}
	f := newFixture(t, policies.WithCatalog(c))
	subpoena := with(req(guest, "legal.compliance", "guest.contact.email"), func(r *privacy.Request) {
		r.EncryptedInTransit = true
		r.Recipient = &privacy.Recipient{ID: "politie", Kind: privacy.RecipientPublicAuthority, Country: "NL"}
	})
	d, err := f.eng.Decide(t.Context(), subpoena)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Basis != lawfulbasis.LegalObligation || !d.Requires(privacy.ObligationInformController) {
		t.Errorf("subpoena for a guest of a controller that did not instruct legal.compliance: %s, want allowed on legal_obligation with %s", d, privacy.ObligationInformController)
	}
	d, _ = f.eng.Decide(t.Context(), req(guest, "support", "guest.contact.email"))
	if diff := cmp.Diff([]string{"processor.outside_instructions"}, d.Codes()); diff != "" {
		t.Errorf("support, not instructed (-want +got):\n%s", diff)
	}
}

// A denial carries every reason that applies. A request that names a
// basis its purpose does not declare, or an undeclared purpose, leaves the
// policy no bases to try; the account's deactivation and the data's
// retention applied all the same but were left out of the reasons.
func TestEveryReasonWithoutBasesToTry(t *testing.T) {
	t.Parallel()
	closed := func(ctx context.Context, f *fixture) error {
		return subject.RecordLifecycle(ctx, f.subjects, "u-1", privacy.TriggerAccountClosed, now.AddDate(0, 0, -100))
	}
	for _, tc := range []struct {
		name string
		req  privacy.Request
		want []string
	}{
		{"a basis the purpose does not declare", with(req(user, "research.surveys", "instance.contact.email"), func(r *privacy.Request) { r.Basis = lawfulbasis.Contract }),
			[]string{"basis.not_declared", "retention.expired", "subject.deactivated"}},
		{"an undeclared purpose", req(user, "no.such.purpose", "instance.contact.email"),
			[]string{"purpose.undeclared", "retention.expired", "subject.deactivated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, s := range []seed{deactivate("u-1"), closed} {
				if err := s(t.Context(), f); err != nil {
					t.Fatal(err)
				}
			}
			d, err := f.eng.Decide(t.Context(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, d.Codes()); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecisionJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, err := f.eng.Decide(t.Context(), req(user, "research.surveys", "instance.contact.email"))
	if err != nil {
		t.Fatal(err)
	}
	got := d.String()
	for _, want := range []string{`"allowed": false`, `"basis": ""`, `"code": "consent.missing"`, `"article": "GDPR Art. 6(1)(a), 7(1)"`,
		`"clause": "How do we use your data?"`, `"obligations": []`, `"policy_version": "1.2"`} {
		if !strings.Contains(got, want) {
			t.Errorf("decision JSON lacks %s:\n%s", want, got)
		}
	}
}

// Art. 22(4): a catalog may allow automated decisions (Art. 22(2)), but
// not on special categories of data unless on explicit consent or a
// substantial public interest laid down in law (Art. 9(2)(a), (g)). A
// decision on contract over a meeting recording was allowed.
func TestAutomatedDecisionOnSpecialCategories(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	c.Purpose("support").AutomatedDecision = true
	f := newFixture(t, policies.WithCatalog(c))
	automated := func(data string) privacy.Request {
		return with(req(user, "support", data), func(r *privacy.Request) { r.AutomatedDecision = true })
	}
	d, err := f.eng.Decide(t.Context(), automated("instance.meeting.recording"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"automated_decision.not_permitted"}, d.Codes()); diff != "" {
		t.Errorf("automated decision on a recording, on contract (-want +got):\n%s", diff)
	}
	d, err = f.eng.Decide(t.Context(), automated("instance.meeting.data"))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || !d.Requires(privacy.ObligationHumanReview) {
		t.Errorf("automated decision on meeting data, on contract: %s, want allowed with human_review", d)
	}
}
