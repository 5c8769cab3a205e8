package policies_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

// complianceCase is one request through the public API and what a privacy
// lawyer expects of it (issue 14, "Decisions").
type complianceCase struct {
	name    string
	req     privacy.Request
	seeds   []seed
	allowed bool
	basis   lawfulbasis.Basis
	// codes must all be among the reasons (or, when allowed, the
	// obligations); absent must not be.
	codes  []string
	absent []string
}

func runCompliance(t *testing.T, cases []complianceCase) {
	t.Helper()
	for _, tc := range cases {
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
			got := d.Codes()
			if d.Allowed {
				got = d.ObligationCodes()
			}
			if d.Allowed != tc.allowed {
				t.Fatalf("allowed = %v %v, want %v\n%s", d.Allowed, d.Codes(), tc.allowed, d)
			}
			if tc.basis != "" && d.Basis != tc.basis {
				t.Errorf("basis = %q, want %q", d.Basis, tc.basis)
			}
			for _, c := range tc.codes {
				if !slices.Contains(got, c) {
					t.Errorf("codes %v lack %s\n%s", got, c, d)
				}
			}
			for _, c := range tc.absent {
				if slices.Contains(got, c) {
					t.Errorf("codes %v hold %s\n%s", got, c, d)
				}
			}
			for _, r := range d.Reasons {
				if r.Article == "" {
					t.Errorf("reason %s has no article", r.Code)
				}
			}
		})
	}
}

var adultUser = privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"}

func authority(country, jurisdiction string) *privacy.Recipient {
	return &privacy.Recipient{ID: "authority", Kind: privacy.RecipientPublicAuthority, Country: country, Jurisdiction: jurisdiction}
}

// Item 1: a third-country court or authority order is no legal obligation
// under Union or member-state law (Art. 48).
func TestForeignAuthority(t *testing.T) {
	t.Parallel()
	compliance := func(r *privacy.Recipient) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "legal.compliance", Data: []string{"instance.contact.email"}, Recipient: r}
	}
	withDerogation := func(r *privacy.Recipient, d privacy.Derogation, occasional bool) *privacy.Recipient {
		r.Derogation, r.Occasional = d, occasional
		return r
	}
	runCompliance(t, []complianceCase{
		{name: "dutch authority", req: compliance(authority("NL", "")), allowed: true, basis: lawfulbasis.LegalObligation},
		{name: "US court", req: compliance(authority("US", "")), codes: []string{privacy.ReasonDisclosureForeignAuthority, privacy.ReasonTransferNoSafeguard}},
		{name: "swiss court, adequate country", req: compliance(authority("CH", "")), codes: []string{privacy.ReasonDisclosureForeignAuthority}, absent: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "US agency's office in the Netherlands", req: compliance(authority("NL", "US")), codes: []string{privacy.ReasonDisclosureForeignAuthority}, absent: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "US court under a mutual legal assistance treaty", req: compliance(withDerogation(authority("US", ""), privacy.DerogationInternationalAgreement, false)),
			allowed: true, basis: lawfulbasis.LegalObligation, codes: []string{privacy.ObligationRecordTransferSafeguard}},
		{name: "US court, occasional, important public interest", req: compliance(withDerogation(authority("US", ""), privacy.DerogationPublicInterest, true)), allowed: true},
		{name: "US court, systematic", req: compliance(withDerogation(authority("US", ""), privacy.DerogationPublicInterest, false)),
			codes: []string{privacy.ReasonDisclosureForeignAuthority, privacy.ReasonTransferDerogationNotApplicable}},
		{name: "US court, consent is no derogation for an authority", req: compliance(withDerogation(authority("US", ""), privacy.DerogationExplicitConsent, true)),
			codes: []string{privacy.ReasonDisclosureForeignAuthority, privacy.ReasonTransferDerogationNotApplicable}},
	})
}

func processorIn(country string, mod func(*privacy.Recipient)) *privacy.Recipient {
	r := &privacy.Recipient{ID: "host", Kind: privacy.RecipientProcessor, Country: country, DPA: true}
	if mod != nil {
		mod(r)
	}
	return r
}

// Item 2: adequacy decisions have a scope and dates.
func TestAdequacyScopeAndDates(t *testing.T) {
	t.Parallel()
	support := func(r *privacy.Recipient, at time.Time) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "support", Data: []string{"instance.contact.email"}, Recipient: r, Time: at}
	}
	sector := func(s string) func(*privacy.Recipient) { return func(r *privacy.Recipient) { r.Sector = s } }
	var zero time.Time
	runCompliance(t, []complianceCase{
		{name: "CA commercial", req: support(processorIn("CA", sector("commercial")), zero), allowed: true, codes: []string{privacy.ObligationRecordTransferSafeguard}},
		{name: "CA public body", req: support(processorIn("CA", sector("public")), zero), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "CA sector not stated", req: support(processorIn("CA", nil), zero), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "CA public body with SCCs", req: support(processorIn("CA", func(r *privacy.Recipient) { r.Sector, r.Safeguard = "public", privacy.SafeguardSCC }), zero), allowed: true},
		{name: "JP business operator", req: support(processorIn("JP", sector("commercial")), zero), allowed: true},
		{name: "JP sector not stated", req: support(processorIn("JP", nil), zero), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "KR", req: support(processorIn("KR", nil), zero), allowed: true},
		{name: "KR credit information", req: support(processorIn("KR", sector("credit_information")), zero), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "US not certified", req: support(processorIn("US", nil), zero), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "US DPF certification", req: support(processorIn("US", func(r *privacy.Recipient) { r.Certifications = []string{"dpf"} }), zero), allowed: true},
		{name: "US DPF safeguard", req: support(processorIn("US", func(r *privacy.Recipient) { r.Safeguard = privacy.SafeguardDPF }), zero), allowed: true},
		{name: "GB last day", req: support(processorIn("GB", nil), time.Date(2031, 12, 27, 23, 0, 0, 0, time.UTC)), allowed: true},
		{name: "GB day after", req: support(processorIn("GB", nil), time.Date(2031, 12, 28, 0, 0, 0, 0, time.UTC)), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "BR before the decision", req: support(processorIn("BR", nil), time.Date(2026, 1, 25, 12, 0, 0, 0, time.UTC)), codes: []string{privacy.ReasonTransferNoSafeguard}},
		{name: "BR after the decision", req: support(processorIn("BR", nil), zero), allowed: true},
	})
}

// Item 3: Art. 49 derogations, for occasional transfers only.
func TestDerogations(t *testing.T) {
	t.Parallel()
	partner := func(d privacy.Derogation, occasional bool) *privacy.Recipient {
		return &privacy.Recipient{ID: "reseller", Kind: privacy.RecipientPartner, Country: "IN", Derogation: d, Occasional: occasional}
	}
	delivery := func(r *privacy.Recipient) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "service.delivery", Data: []string{"instance.meeting.data"}, Recipient: r}
	}
	transferConsent := func(act consent.Act) seed {
		return func(ctx context.Context, f *fixture) error {
			_, err := f.consents.Append(ctx, consent.Record{SubjectID: adultUser.ID, Purpose: privacy.TransferConsentPurpose("service.delivery", "IN"),
				Event: consent.Given, PolicyVersion: "1.2", Method: consent.MethodCheckbox, Act: act, CollectedBy: "checkout form", CollectedAt: now.Add(-time.Hour)})
			return err
		}
	}
	claims := func(r *privacy.Recipient) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "legal.claims", Data: []string{"instance.contact.email"}, Recipient: r}
	}
	runCompliance(t, []complianceCase{
		{name: "contract, occasional", req: delivery(partner(privacy.DerogationContract, true)), allowed: true, basis: lawfulbasis.Contract},
		{name: "contract, systematic", req: delivery(partner(privacy.DerogationContract, false)),
			codes: []string{privacy.ReasonTransferNoSafeguard, privacy.ReasonTransferDerogationNotApplicable}},
		{name: "explicit consent without a record", req: delivery(partner(privacy.DerogationExplicitConsent, true)),
			codes: []string{privacy.ReasonTransferDerogationNotApplicable}},
		{name: "explicit consent on record", req: delivery(partner(privacy.DerogationExplicitConsent, true)), seeds: []seed{transferConsent(consent.ActButton)}, allowed: true},
		{name: "explicit consent to another country", req: delivery(&privacy.Recipient{ID: "x", Kind: privacy.RecipientPartner, Country: "CN", Derogation: privacy.DerogationExplicitConsent, Occasional: true}),
			seeds: []seed{transferConsent(consent.ActButton)}, codes: []string{privacy.ReasonTransferDerogationNotApplicable}},
		{name: "explicit consent withdrawn", req: delivery(partner(privacy.DerogationExplicitConsent, true)),
			seeds: []seed{transferConsent(consent.ActButton), withdraw(adultUser.ID, privacy.TransferConsentPurpose("service.delivery", "IN"))}, codes: []string{privacy.ReasonTransferDerogationNotApplicable}},
		{name: "legal claims to a foreign court", req: claims(&privacy.Recipient{ID: "court", Kind: privacy.RecipientPublicAuthority, Country: "US", Derogation: privacy.DerogationLegalClaims, Occasional: true}), allowed: true},
		{name: "legal claims for a purpose that serves none", req: delivery(partner(privacy.DerogationLegalClaims, true)), codes: []string{privacy.ReasonTransferDerogationNotApplicable}},
	})
}

// Item 8: no profiling of children, whatever their consent.
func TestProfilingOfChildren(t *testing.T) {
	t.Parallel()
	child := privacy.Subject{ID: "c-1", Kind: privacy.SubjectUser, Age: 16, Country: "NL"}
	adult := privacy.Subject{ID: "a-1", Kind: privacy.SubjectUser, Age: 18, Country: "NL"}
	profiling := func(s privacy.Subject) privacy.Request {
		return privacy.Request{Subject: s, Purpose: "marketing.profiling", Data: []string{"instance.contact.email"}}
	}
	runCompliance(t, []complianceCase{
		{name: "16-year-old's own consent", req: profiling(child), seeds: []seed{record(child.ID, "marketing.profiling", consent.Given)}, codes: []string{privacy.ReasonProfilingChild}},
		{name: "guardian's consent", req: profiling(child), seeds: []seed{grant(child.ID, "marketing.profiling", func(r *consent.Record) { r.Guardian = true })}, codes: []string{privacy.ReasonProfilingChild}},
		{name: "adult", req: profiling(adult), seeds: []seed{record(adult.ID, "marketing.profiling", consent.Given)}, allowed: true, codes: []string{privacy.ObligationInformProfiling}},
		{name: "16-year-old's consent to surveys", req: privacy.Request{Subject: child, Purpose: "research.surveys", Data: []string{"instance.contact.email"}},
			seeds: []seed{record(child.ID, "research.surveys", consent.Given)}, allowed: true},
	})
}

// Item 9: the basis must fit the recipient.
func TestBasisFitsRecipient(t *testing.T) {
	t.Parallel()
	tax := &privacy.Recipient{ID: "belastingdienst", Kind: privacy.RecipientPublicAuthority, Country: "NL"}
	billing := func(b lawfulbasis.Basis) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{"instance.financial.payment"}, Basis: b, Recipient: tax, EncryptedInTransit: true}
	}
	runCompliance(t, []complianceCase{
		{name: "no basis named: legal obligation", req: billing(""), allowed: true, basis: lawfulbasis.LegalObligation},
		{name: "contract named", req: billing(lawfulbasis.Contract), codes: []string{privacy.ReasonBasisRecipientMismatch}},
		{name: "legal obligation named", req: billing(lawfulbasis.LegalObligation), allowed: true, basis: lawfulbasis.LegalObligation},
		{name: "contract to the payment processor", req: privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{"instance.financial.payment"},
			Recipient: processorIn("NL", nil), EncryptedInTransit: true}, allowed: true, basis: lawfulbasis.Contract},
	})
}

// oneConsent answers every consent question with st (for the subject and
// purpose asked), as a store of another system might.
type oneConsent struct{ st consent.State }

func (o oneConsent) State(_ context.Context, subjectID, purpose string, _ time.Time) (consent.State, error) {
	st := o.st
	st.SubjectID, st.Purpose = subjectID, purpose
	return st, nil
}

// Item 4: a pre-ticked box, silence, implied consent or continued use is
// not consent, even when a store hands one over as given.
func TestConsentNotAffirmative(t *testing.T) {
	t.Parallel()
	req := privacy.Request{Subject: adultUser, Purpose: "research.surveys", Data: []string{"instance.contact.email"}}
	for _, tc := range []struct {
		act     consent.Act
		allowed bool
	}{
		{consent.ActPreTickedBox, false}, {consent.ActSilence, false}, {consent.ActImplied, false}, {consent.ActContinuedUse, false},
		{consent.ActUntickedBox, true}, {consent.ActButton, true}, {consent.ActSignedForm, true}, {"", true},
	} {
		st := consent.State{Event: consent.Given, PolicyVersion: "1.2", Act: tc.act, CollectedAt: now.Add(-time.Hour)}
		eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithConsents(oneConsent{st}), policies.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		d, err := eng.Decide(t.Context(), req)
		if err != nil || d.Allowed != tc.allowed || (!tc.allowed && !d.Has(privacy.ReasonConsentNotAffirmative)) {
			t.Errorf("act %q: allowed=%v %v (err %v), want allowed=%v", tc.act, d.Allowed, d.Codes(), err, tc.allowed)
		}
	}
}

// Item 5: consent older than the purpose's maximum age needs renewal.
func TestConsentRenewalDue(t *testing.T) {
	t.Parallel()
	surveys := privacy.Request{Subject: adultUser, Purpose: "research.surveys", Data: []string{"instance.contact.email"}}
	site := privacy.Request{Subject: adultUser, Purpose: "site.personalisation", Data: []string{"instance.network.ip_address"}}
	givenAt := func(purpose string, at time.Time) seed {
		return func(ctx context.Context, f *fixture) error {
			_, err := f.consents.Append(ctx, consent.Record{SubjectID: adultUser.ID, Purpose: purpose, Event: consent.Given,
				PolicyVersion: "1.2", Method: consent.MethodCheckbox, Act: consent.ActButton, CollectedBy: "web", CollectedAt: at})
			return err
		}
	}
	runCompliance(t, []complianceCase{
		{name: "surveys, 23 months", req: surveys, seeds: []seed{givenAt("research.surveys", now.AddDate(0, -23, 0))}, allowed: true},
		{name: "surveys, 24 months", req: surveys, seeds: []seed{givenAt("research.surveys", now.AddDate(0, -24, 0))}, codes: []string{privacy.ReasonConsentRenewalDue}},
		{name: "site, 12 months", req: site, seeds: []seed{givenAt("site.personalisation", now.AddDate(0, -12, 0))}, allowed: true},
		{name: "site, 13 months", req: site, seeds: []seed{givenAt("site.personalisation", now.AddDate(0, -13, 0))}, codes: []string{privacy.ReasonConsentRenewalDue}},
		{name: "renewed", req: surveys, seeds: []seed{givenAt("research.surveys", now.AddDate(-3, 0, 0)), givenAt("research.surveys", now.AddDate(0, -1, 0))}, allowed: true},
	})
}

// Item 10: after deactivation, billing records go on for the tax duty, on
// legal_obligation only; nothing else does.
func TestLegalObligationSurvivesDeactivation(t *testing.T) {
	t.Parallel()
	deactivate := func(ctx context.Context, f *fixture) error {
		return subject.SetDeactivated(ctx, f.subjects, adultUser.ID, true)
	}
	tax := &privacy.Recipient{ID: "belastingdienst", Kind: privacy.RecipientPublicAuthority, Country: "NL"}
	billing := func(data string, b lawfulbasis.Basis) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{data}, Basis: b, Recipient: tax, EncryptedInTransit: true}
	}
	runCompliance(t, []complianceCase{
		{name: "payments to the tax authority", req: billing("instance.financial.payment", ""), seeds: []seed{deactivate}, allowed: true, basis: lawfulbasis.LegalObligation},
		{name: "bank details internally", req: privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{"instance.financial.bank"}}, seeds: []seed{deactivate}, allowed: true, basis: lawfulbasis.LegalObligation},
		{name: "all financial data, card numbers included, which no duty keeps", req: privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{"instance.financial"}},
			seeds: []seed{deactivate}, codes: []string{privacy.ReasonSubjectDeactivated}},
		{name: "on contract", req: billing("instance.financial.payment", lawfulbasis.Contract), seeds: []seed{deactivate}, codes: []string{privacy.ReasonSubjectDeactivated}},
		{name: "email, kept by no duty", req: billing("instance.contact.email", ""), seeds: []seed{deactivate}, codes: []string{privacy.ReasonSubjectDeactivated}},
		{name: "another purpose", req: privacy.Request{Subject: adultUser, Purpose: "support", Data: []string{"instance.contact.email"}}, seeds: []seed{deactivate}, codes: []string{privacy.ReasonSubjectDeactivated}},
	})
}

// Item 13: the fiscal duty counts seven years from the end of the book
// year in which the contract ended, and decisions agree with it.
func TestFiscalRetentionFromEndOfBookYear(t *testing.T) {
	t.Parallel()
	closed := func(ctx context.Context, f *fixture) error {
		return subject.RecordLifecycle(ctx, f.subjects, adultUser.ID, privacy.TriggerAccountClosed, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	}
	tax := &privacy.Recipient{ID: "belastingdienst", Kind: privacy.RecipientPublicAuthority, Country: "NL"}
	account := func(at time.Time) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{"instance.financial.account"}, Recipient: tax, EncryptedInTransit: true, Time: at}
	}
	runCompliance(t, []complianceCase{
		{name: "seven years after the contract ended", req: account(time.Date(2033, 6, 1, 0, 0, 0, 0, time.UTC)), seeds: []seed{closed}, allowed: true, basis: lawfulbasis.LegalObligation},
		{name: "last day of the seventh book year", req: account(time.Date(2033, 12, 31, 23, 0, 0, 0, time.UTC)), seeds: []seed{closed}, allowed: true},
		{name: "after the duty", req: account(time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)), seeds: []seed{closed}, codes: []string{privacy.ReasonRetentionExpired}},
		{name: "on contract after the rule's 90 days", req: privacy.Request{Subject: adultUser, Purpose: "billing", Data: []string{"instance.financial.account"}, Basis: lawfulbasis.Contract},
			seeds: []seed{closed}, codes: []string{privacy.ReasonRetentionExpired}},
	})
}

// Item 6: meeting recordings and guest data need encryption in transit;
// financial data keeps its own code.
func TestSecurityPerCategory(t *testing.T) {
	t.Parallel()
	guest := privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Country: "NL", Controller: "acme"}
	send := func(s privacy.Subject, purpose, data string, encrypted bool) privacy.Request {
		return privacy.Request{Subject: s, Purpose: purpose, Data: []string{data}, Recipient: processorIn("NL", nil), EncryptedInTransit: encrypted}
	}
	runCompliance(t, []complianceCase{
		{name: "recording unencrypted", req: send(adultUser, "service.delivery", "instance.meeting.recording", false), codes: []string{privacy.ReasonSecurityUnencryptedInTransit}},
		{name: "recording encrypted", req: send(adultUser, "service.delivery", "instance.meeting.recording", true), allowed: true, codes: []string{privacy.ObligationEncryptInTransit}},
		{name: "guest email unencrypted", req: send(guest, "service.delivery", "guest.contact.email", false), codes: []string{privacy.ReasonSecurityUnencryptedInTransit}},
		{name: "guest email encrypted", req: send(guest, "service.delivery", "guest.contact.email", true), allowed: true, codes: []string{privacy.ObligationEncryptInTransit}},
		{name: "card unencrypted", req: send(adultUser, "billing", "instance.financial.card", false), codes: []string{privacy.ReasonSecurityUnencryptedFinance}, absent: []string{privacy.ReasonSecurityUnencryptedInTransit}},
		{name: "meeting data unencrypted", req: send(adultUser, "service.delivery", "instance.meeting.data", false), allowed: true, absent: []string{privacy.ObligationEncryptInTransit}},
	})
}

// Item 12: the categories the policy implies, and recordings that may
// hold special categories.
func TestImpliedCategoriesAndSpecialCategories(t *testing.T) {
	t.Parallel()
	cat := privacy.DefaultCatalog()
	if c := cat.Category("instance.marketing.profile"); c == nil || !c.Derived || c.Source == "" {
		t.Errorf("instance.marketing.profile = %+v, want a derived category that names its source", c)
	}
	if c := cat.Category("instance.survey.answers"); c == nil || !c.Optional {
		t.Errorf("instance.survey.answers = %+v, want a voluntary category", c)
	}
	if c := cat.Category("instance.meeting.recording"); c == nil || c.Special != privacy.SpecialPossible {
		t.Errorf("instance.meeting.recording = %+v, want special categories possible", c)
	}
	partner := &privacy.Recipient{ID: "reseller", Kind: privacy.RecipientPartner, Country: "NL"}
	runCompliance(t, []complianceCase{
		{name: "profile for profiling", req: privacy.Request{Subject: adultUser, Purpose: "marketing.profiling", Data: []string{"instance.marketing.profile"}},
			seeds: []seed{record(adultUser.ID, "marketing.profiling", consent.Given)}, allowed: true},
		{name: "profile for announcements", req: privacy.Request{Subject: adultUser, Purpose: "marketing.announcements", Data: []string{"instance.marketing.profile"}},
			codes: []string{privacy.ReasonPurposeCategoryNotPermitted}},
		{name: "survey answers for surveys", req: privacy.Request{Subject: adultUser, Purpose: "research.surveys", Data: []string{"instance.survey.answers"}},
			seeds: []seed{record(adultUser.ID, "research.surveys", consent.Given)}, allowed: true},
		{name: "recording to a partner", req: privacy.Request{Subject: adultUser, Purpose: "service.delivery", Data: []string{"instance.meeting.recording"}, Recipient: partner, EncryptedInTransit: true},
			codes: []string{privacy.ReasonSpecialCategoryNotPermitted}},
		{name: "meeting data to a partner", req: privacy.Request{Subject: adultUser, Purpose: "service.delivery", Data: []string{"instance.meeting.data"}, Recipient: partner}, allowed: true},
	})
	// A customer that attests its recordings hold no special categories.
	cat.Processor.NoSpecialCategories = []string{adultUser.ID}
	eng, err := policies.New(t.Context(), policies.WithCatalog(cat), policies.WithMemoryStores(), policies.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(t.Context(), privacy.Request{Subject: adultUser, Purpose: "service.delivery", Data: []string{"instance.meeting.recording"}, Recipient: partner, EncryptedInTransit: true})
	if err != nil || !d.Allowed {
		t.Errorf("recording to a partner of an attesting customer: %v %v, want allowed", d.Codes(), err)
	}
}

// Item 11: a legally required disclosure of a customer's guest data
// carries the duty to tell the customer first, unless the law forbids it.
func TestInformController(t *testing.T) {
	t.Parallel()
	guest := privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Country: "NL", Controller: "acme"}
	subpoena := func(prohibited bool) privacy.Request {
		return privacy.Request{Subject: guest, Purpose: "legal.compliance", Data: []string{"guest.contact.email"}, EncryptedInTransit: true,
			Recipient: &privacy.Recipient{ID: "politie", Kind: privacy.RecipientPublicAuthority, Country: "NL", InformProhibited: prohibited}}
	}
	runCompliance(t, []complianceCase{
		{name: "subpoena", req: subpoena(false), allowed: true, basis: lawfulbasis.LegalObligation, codes: []string{privacy.ObligationInformController}},
		{name: "subpoena with a gag order", req: subpoena(true), allowed: true, absent: []string{privacy.ObligationInformController}},
		{name: "the operator's own user", req: privacy.Request{Subject: adultUser, Purpose: "legal.compliance", Data: []string{"instance.contact.email"},
			Recipient: &privacy.Recipient{ID: "politie", Kind: privacy.RecipientPublicAuthority, Country: "NL"}}, allowed: true, absent: []string{privacy.ObligationInformController}},
	})
}

// Guest data is the customer's, held by the operator as its processor: a
// business partner that helps deliver the service would process it for
// the customer too, a sub-processor that the operator may engage only
// under a contract with the same obligations (Art. 28(2), 28(4)). It was
// allowed without one. A partner of the operator's own (user) data may be
// a controller of its own and needs none.
func TestPartnerOfGuestDataIsASubprocessor(t *testing.T) {
	t.Parallel()
	guest := privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Country: "NL", Controller: "acme"}
	toPartner := func(s privacy.Subject, data string, dpa bool) privacy.Request {
		return privacy.Request{Subject: s, Purpose: "service.delivery", Data: []string{data}, EncryptedInTransit: true,
			Recipient: &privacy.Recipient{ID: "events", Kind: privacy.RecipientPartner, Country: "NL", DPA: dpa}}
	}
	runCompliance(t, []complianceCase{
		{name: "guest data to a partner without a contract", req: toPartner(guest, "guest.contact.email", false), codes: []string{privacy.ReasonDisclosureProcessorNoDPA}},
		{name: "guest data to a partner under a contract", req: toPartner(guest, "guest.contact.email", true), allowed: true, basis: lawfulbasis.ControllerInstruction, codes: []string{privacy.ObligationMinimize}},
		{name: "user data to a partner", req: toPartner(adultUser, "instance.contact.email", false), allowed: true, basis: lawfulbasis.Contract},
	})
}

// The explicit consent to a transfer (Art. 49(1)(a)) is a consent like any
// other: a child under the age of digital consent of their country gives
// it only with a guardian (Art. 8(1)), and it lasts no longer than the
// purpose's maximum age of consent (the catalog's default, P24M, for
// service.delivery). A 15-year-old's own consent, and one given five years
// ago, covered the transfer.
func TestTransferConsentOfAChildAndItsAge(t *testing.T) {
	t.Parallel()
	child := privacy.Subject{ID: "c-1", Kind: privacy.SubjectUser, Age: 15, Country: "NL"}
	delivery := func(s privacy.Subject) privacy.Request {
		return privacy.Request{Subject: s, Purpose: "service.delivery", Data: []string{"instance.meeting.data"},
			Recipient: &privacy.Recipient{ID: "reseller", Kind: privacy.RecipientPartner, Country: "IN", Derogation: privacy.DerogationExplicitConsent, Occasional: true}}
	}
	transferConsent := func(s privacy.Subject, collected time.Time, guardian bool) seed {
		return func(ctx context.Context, f *fixture) error {
			_, err := f.consents.Append(ctx, consent.Record{SubjectID: s.ID, Purpose: privacy.TransferConsentPurpose("service.delivery", "IN"),
				Event: consent.Given, PolicyVersion: "1.2", Method: consent.MethodCheckbox, Act: consent.ActButton, Guardian: guardian,
				CollectedBy: "checkout form", CollectedAt: collected})
			return err
		}
	}
	runCompliance(t, []complianceCase{
		{name: "a child's own consent", req: delivery(child), seeds: []seed{transferConsent(child, now.Add(-time.Hour), false)},
			codes: []string{privacy.ReasonTransferDerogationNotApplicable}},
		{name: "a child's consent given by a guardian", req: delivery(child), seeds: []seed{transferConsent(child, now.Add(-time.Hour), true)}, allowed: true},
		{name: "an adult's consent of five years ago", req: delivery(adultUser), seeds: []seed{transferConsent(adultUser, now.AddDate(-5, 0, 0), false)},
			codes: []string{privacy.ReasonTransferDerogationNotApplicable}},
		{name: "an adult's consent of a year ago", req: delivery(adultUser), seeds: []seed{transferConsent(adultUser, now.AddDate(-1, 0, 0), false)}, allowed: true},
	})
}

// Art. 48: an international agreement such as a mutual legal assistance
// treaty makes a third-country order that requires a disclosure
// recognisable; it is no transfer tool for a disclosure the operator makes
// of its own accord on legitimate interests. A fraud report to a US
// authority "under an international agreement" was allowed without any
// Chapter V ground.
func TestInternationalAgreementCoversOnlyAnOrder(t *testing.T) {
	t.Parallel()
	usAuthority := func(d privacy.Derogation, occasional bool) *privacy.Recipient {
		r := authority("US", "")
		r.Derogation, r.Occasional = d, occasional
		return r
	}
	report := func(r *privacy.Recipient) privacy.Request {
		return privacy.Request{Subject: adultUser, Purpose: "security.fraud_prevention", Data: []string{"instance.network.ip_address"}, Recipient: r}
	}
	runCompliance(t, []complianceCase{
		{name: "fraud report under an international agreement", req: report(usAuthority(privacy.DerogationInternationalAgreement, false)),
			codes: []string{privacy.ReasonTransferDerogationNotApplicable, privacy.ReasonTransferNoSafeguard}},
		{name: "fraud report, occasional, important public interest", req: report(usAuthority(privacy.DerogationPublicInterest, true)), allowed: true},
		{name: "a US court's order under a treaty", req: privacy.Request{Subject: adultUser, Purpose: "legal.compliance", Data: []string{"instance.contact.email"},
			Recipient: usAuthority(privacy.DerogationInternationalAgreement, false)}, allowed: true, basis: lawfulbasis.LegalObligation},
	})
}
