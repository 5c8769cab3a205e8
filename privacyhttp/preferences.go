package privacyhttp

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/subject"
)

// CatalogSource gives the catalog in force; *policies.Engine is one, and
// follows its reloads.
type CatalogSource interface {
	Catalog() *privacy.Catalog
}

// PreferenceCenter is the HTTP API where a subject sees and changes their
// consents and objections. Mount it under a prefix with http.StripPrefix:
//
//	mux.Handle("/privacy/", http.StripPrefix("/privacy", pc))
//
// The subject is always the caller, as the resolver finds them; no route
// takes a subject id, so nobody can read or change another's preferences.
// Routes:
//
//	GET    /preferences                  the subject's purposes, consents and objections
//	POST   /consents/{purpose}           give consent (Art. 7)
//	DELETE /consents/{purpose}           withdraw consent (Art. 7(3))
//	POST   /objections/{purpose}         object to a purpose (Art. 21(1)-(2))
//	DELETE /objections/{purpose}         withdraw the objection
//	POST   /objections/direct-marketing  object to all direct marketing (Art. 21(2))
//	DELETE /objections/direct-marketing  withdraw that objection
//
// Every answer is JSON; a change answers with the new preferences. Changes
// take effect on the next decision. Cross-origin browser requests that
// change state are refused (http.CrossOriginProtection).
type PreferenceCenter struct {
	catalog  CatalogSource
	consents consent.Store
	subjects subject.StateStore
	resolve  Resolver
	log      *slog.Logger
	handler  http.Handler
	now      func() time.Time
}

// NewPreferenceCenter returns the preference center for the catalog of
// cat, writing to the consent ledger and subject store the engine reads.
// log may be nil.
func NewPreferenceCenter(cat CatalogSource, consents consent.Store, subjects subject.StateStore, resolve Resolver, log *slog.Logger) *PreferenceCenter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if resolve == nil {
		// No way to tell who is asking: nobody is signed in.
		resolve = func(*http.Request) (privacy.Subject, error) { return privacy.Subject{}, privacy.ErrNotFound }
	}
	pc := &PreferenceCenter{catalog: cat, consents: consents, subjects: subjects, resolve: resolve, log: log, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /preferences", pc.show)
	mux.HandleFunc("POST /consents/{purpose}", pc.grant)
	mux.HandleFunc("DELETE /consents/{purpose}", pc.withdraw)
	mux.HandleFunc("POST /objections/direct-marketing", pc.objectToDirectMarketing)
	mux.HandleFunc("POST /objections/{purpose}", pc.object)
	mux.HandleFunc("DELETE /objections/direct-marketing", pc.withdrawDirectMarketingObjection)
	mux.HandleFunc("DELETE /objections/{purpose}", pc.withdrawObjection)
	pc.handler = http.NewCrossOriginProtection().Handler(mux)
	return pc
}

// ServeHTTP serves the routes listed on PreferenceCenter. Its routes take
// no body: a request whose body is larger than privacy.MaxHTTPBodyBytes
// is answered with 413, and no handler reads more than that.
func (pc *PreferenceCenter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > privacy.MaxHTTPBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, privacy.TooLarge("request body", privacy.MaxHTTPBodyBytes, "bytes", "MaxHTTPBodyBytes").Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, privacy.MaxHTTPBodyBytes)
	pc.handler.ServeHTTP(w, r)
}

// Preferences is the JSON the preference center answers with.
type Preferences struct {
	SubjectID     string `json:"subject_id"`
	PolicyVersion string `json:"policy_version"`
	// Purposes lists the purposes of the subject's kind that rest on
	// consent or that the subject may object to, in catalog order.
	Purposes []PurposePreference `json:"purposes"`
	// DirectMarketingObjection reports an objection to all direct
	// marketing.
	DirectMarketingObjection bool `json:"direct_marketing_objection"`
}

// PurposePreference is one purpose in Preferences.
type PurposePreference struct {
	Purpose     string `json:"purpose"`
	Description string `json:"description"`
	// Consent reports that the purpose rests on consent: the subject may
	// give and withdraw it.
	Consent bool `json:"consent"`
	// Objectable reports that the subject may object (legitimate
	// interests, or direct marketing).
	Objectable      bool `json:"objectable"`
	DirectMarketing bool `json:"direct_marketing"`
	// Given reports a consent in effect: live, under the purpose's
	// current version and, for a child, authorised by a guardian.
	// ConsentEvent is the latest event (given, withdrawn, …) or "" when
	// none is on record; ConsentReason, when the consent is not in effect,
	// is the reason code a decision gives (consent.missing,
	// consent.stale_version, consent.guardian_required …), so that the
	// page can ask again.
	Given         bool          `json:"given"`
	ConsentEvent  consent.Event `json:"consent_event"`
	ConsentReason string        `json:"consent_reason,omitempty"`
	Objected      bool          `json:"objected"`
}

func (pc *PreferenceCenter) subject(w http.ResponseWriter, r *http.Request) (privacy.Subject, bool) {
	s, err := pc.resolve(r)
	switch {
	case errors.Is(err, privacy.ErrNotFound):
		writeError(w, http.StatusUnauthorized, "sign in to see your privacy preferences")
		return s, false
	case err != nil:
		pc.log.ErrorContext(r.Context(), "privacy: resolve subject", "error", err)
		writeError(w, http.StatusInternalServerError, "the subject could not be resolved")
		return s, false
	}
	return s, true
}

// purpose returns the catalog purpose named in the path if it applies to
// the subject's kind and passes ok(purpose).
func (pc *PreferenceCenter) purpose(w http.ResponseWriter, r *http.Request, s privacy.Subject, what string, ok func(*privacy.Purpose, privacy.SubjectKind) bool) (*privacy.Purpose, bool) {
	key := r.PathValue("purpose")
	p := pc.catalog.Catalog().Purpose(key)
	if p == nil {
		writeError(w, http.StatusNotFound, "unknown purpose "+key)
		return nil, false
	}
	if !ok(p, s.Kind) {
		writeError(w, http.StatusBadRequest, "purpose "+key+" is not one you can "+what)
		return nil, false
	}
	return p, true
}

func consentPurpose(p *privacy.Purpose, k privacy.SubjectKind) bool {
	return applies(p, k) && lawfulbasis.Contains(p.BasesFor(k), lawfulbasis.Consent)
}

func objectable(p *privacy.Purpose, k privacy.SubjectKind) bool {
	if !applies(p, k) || p.Legal {
		return false
	}
	if p.DirectMarketing {
		return true
	}
	for _, b := range p.BasesFor(k) {
		if b.Objectionable() {
			return true
		}
	}
	return false
}

func applies(p *privacy.Purpose, k privacy.SubjectKind) bool {
	for _, x := range p.Subjects {
		if x == k {
			return true
		}
	}
	return false
}

func (pc *PreferenceCenter) show(w http.ResponseWriter, r *http.Request) {
	if s, ok := pc.subject(w, r); ok {
		pc.answer(w, r, s)
	}
}

// answer writes the subject's preferences.
func (pc *PreferenceCenter) answer(w http.ResponseWriter, r *http.Request, s privacy.Subject) {
	ctx := r.Context()
	cat := pc.catalog.Catalog()
	st, err := pc.subjects.State(ctx, s.ID)
	if err != nil {
		pc.fail(w, r, err)
		return
	}
	now := pc.now()
	out := Preferences{SubjectID: s.ID, PolicyVersion: cat.PolicyVersion, Purposes: []PurposePreference{},
		DirectMarketingObjection: hasDirectMarketingObjection(st)}
	for i := range cat.Purposes {
		p := &cat.Purposes[i]
		pp := PurposePreference{Purpose: p.Key, Description: p.Description, Consent: consentPurpose(p, s.Kind),
			Objectable: objectable(p, s.Kind), DirectMarketing: p.DirectMarketing}
		if !pp.Consent && !pp.Objectable {
			continue
		}
		if pp.Description == "" {
			pp.Description = p.Reason
		}
		if pp.Consent {
			cs, err := pc.consents.State(ctx, s.ID, p.Key, now)
			if err != nil {
				pc.fail(w, r, err)
				return
			}
			pp.ConsentEvent, pp.ConsentReason = cs.Event, cs.Reason(now, p.ConsentVersion)
			if pp.ConsentReason == "" && s.Age > 0 && s.Age < cat.ConsentAge.For(s.Country) && !cs.Guardian {
				pp.ConsentReason = privacy.ReasonConsentGuardianRequired
			}
			pp.Given = pp.ConsentReason == ""
		}
		pp.Objected = st.ObjectsTo(p.Key, p.DirectMarketing)
		out.Purposes = append(out.Purposes, pp)
	}
	writeJSON(w, http.StatusOK, out)
}

func hasDirectMarketingObjection(st subject.State) bool {
	for _, o := range st.Objections {
		if o.DirectMarketing {
			return true
		}
	}
	return false
}

func (pc *PreferenceCenter) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	if status == http.StatusInternalServerError {
		pc.log.ErrorContext(r.Context(), "privacy: preference center", "error", err)
		writeError(w, status, "the preferences could not be read or changed")
		return
	}
	writeError(w, status, err.Error())
}

func (pc *PreferenceCenter) grant(w http.ResponseWriter, r *http.Request) {
	s, ok := pc.subject(w, r)
	if !ok {
		return
	}
	p, ok := pc.purpose(w, r, s, "consent to", consentPurpose)
	if !ok {
		return
	}
	_, err := consent.Grant(r.Context(), pc.consents, pc.catalog.Catalog(), consent.Record{
		SubjectID:     s.ID,
		Controller:    s.Controller,
		Purpose:       p.Key,
		Categories:    p.Categories,
		PolicyVersion: pc.catalog.Catalog().PolicyVersion,
		Method:        consent.MethodPreferencesUI,
		CollectedBy:   "privacyhttp.PreferenceCenter",
		CollectedAt:   pc.now().UTC(),
	})
	if err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}

func (pc *PreferenceCenter) withdraw(w http.ResponseWriter, r *http.Request) {
	s, ok := pc.subject(w, r)
	if !ok {
		return
	}
	p, ok := pc.purpose(w, r, s, "consent to", consentPurpose)
	if !ok {
		return
	}
	_, err := pc.consents.Append(r.Context(), consent.Record{
		SubjectID:   s.ID,
		Controller:  s.Controller,
		Purpose:     p.Key,
		Event:       consent.Withdrawn,
		Method:      consent.MethodPreferencesUI,
		CollectedBy: "privacyhttp.PreferenceCenter",
		CollectedAt: pc.now().UTC(),
	})
	if err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}

func (pc *PreferenceCenter) object(w http.ResponseWriter, r *http.Request) {
	s, ok := pc.subject(w, r)
	if !ok {
		return
	}
	p, ok := pc.purpose(w, r, s, "object to", objectable)
	if !ok {
		return
	}
	if err := subject.Object(r.Context(), pc.subjects, s.ID, p.Key); err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}

func (pc *PreferenceCenter) withdrawObjection(w http.ResponseWriter, r *http.Request) {
	s, ok := pc.subject(w, r)
	if !ok {
		return
	}
	p, ok := pc.purpose(w, r, s, "object to", objectable)
	if !ok {
		return
	}
	err := pc.subjects.Update(r.Context(), s.ID, func(st *subject.State) error {
		st.WithdrawObjection(p.Key)
		return nil
	})
	if err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}

func (pc *PreferenceCenter) withdrawDirectMarketingObjection(w http.ResponseWriter, r *http.Request) {
	s, ok := pc.subject(w, r)
	if !ok {
		return
	}
	if err := pc.subjects.Update(r.Context(), s.ID, func(st *subject.State) error {
		st.WithdrawObjection("")
		return nil
	}); err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}

func (pc *PreferenceCenter) objectToDirectMarketing(w http.ResponseWriter, r *http.Request) {
	s, ok := pc.subject(w, r)
	if !ok {
		return
	}
	if err := subject.ObjectToDirectMarketing(r.Context(), pc.subjects, s.ID); err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}
