package privacyhttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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

// Engine is what the preference center needs of the decision engine: the
// catalog in force, to list the purposes, and decisions, to show what the
// engine makes of the subject's choices. *policies.Engine is one.
type Engine interface {
	Decider
	CatalogSource
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
// take effect on the next decision. What the page shows of a purpose
// (whether the consent is in effect, why not) is the engine's decision,
// never worked out here. Cross-origin browser requests that change state
// are refused (http.CrossOriginProtection).
type PreferenceCenter struct {
	engine   Engine
	consents consent.Store
	subjects subject.StateStore
	resolve  Resolver
	log      *slog.Logger
	handler  http.Handler
	now      func() time.Time
}

// Option configures New and NewPreferenceCenter.
type Option func(*options)

type options struct {
	resolve Resolver
	log     *slog.Logger
	now     func() time.Time
}

// WithResolver finds the subject of an HTTP request (default: none, every
// request is anonymous: guarded routes answer 401).
func WithResolver(r Resolver) Option { return func(o *options) { o.resolve = r } }

// WithLogger logs failures to l (default: nothing is logged).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock the preference center records consents,
// withdrawals and objections with; give it the clock the engine decides
// with (policies.WithClock), so that one clock records and judges time
// (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.resolve == nil {
		// No way to tell who is asking: nobody is signed in.
		o.resolve = func(*http.Request) (privacy.Subject, error) { return privacy.Subject{}, privacy.ErrNotFound }
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// NewPreferenceCenter returns the preference center over the engine e,
// writing to the consent ledger and subject store the engine reads.
func NewPreferenceCenter(e Engine, consents consent.Store, subjects subject.StateStore, opts ...Option) *PreferenceCenter {
	o := newOptions(opts)
	if e == nil {
		e = noEngine{}
	}
	pc := &PreferenceCenter{engine: e, consents: consents, subjects: subjects, resolve: o.resolve, log: o.log, now: o.now}
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

// noEngine stands in for a missing engine: an empty catalog, and every
// decision fails closed.
type noEngine struct{ noDecider }

func (noEngine) Catalog() *privacy.Catalog { return &privacy.Catalog{} }

// ServeHTTP serves the routes listed on PreferenceCenter. Its routes take
// no body: a request whose body is larger than privacy.MaxHTTPBodyBytes
// is answered with 413, and no handler reads more than that.
func (pc *PreferenceCenter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > privacy.MaxHTTPBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, privacy.TooLarge("request body", privacy.MaxHTTPBodyBytes, "bytes", "MaxHTTPBodyBytes").Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, privacy.MaxHTTPBodyBytes)
	tw := &trackingWriter{ResponseWriter: w}
	var err error
	func() {
		defer recovered(&err, "the preference center (its engine, a store or the resolver)")
		pc.handler.ServeHTTP(tw, r)
	}()
	if err != nil {
		pc.log.ErrorContext(r.Context(), "privacy: preference center", "error", err)
		if !tw.wrote {
			writeError(w, http.StatusInternalServerError, "the preferences could not be read or changed")
		}
	}
}

// trackingWriter records whether an answer was begun.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) { t.wrote = true; t.ResponseWriter.WriteHeader(code) }

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

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
	// Allowed and Reasons are the engine's decision on processing the
	// purpose's categories of the subject now (on consent, for a purpose
	// that rests on it): the reason codes of a denial, [] when allowed.
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
	// Given reports a consent in effect: the engine's decision carries no
	// consent.* reason. ConsentEvent is the latest event (given,
	// withdrawn, …) or "" when none is on record; ConsentReason, when the
	// consent is not in effect, is the first consent.* reason code of the
	// decision (consent.missing, consent.stale_version,
	// consent.guardian_required …), so that the page can ask again.
	Given         bool          `json:"given"`
	ConsentEvent  consent.Event `json:"consent_event"`
	ConsentReason string        `json:"consent_reason,omitempty"`
	// Objected reports that the subject's state records an objection to
	// the purpose (or, for direct marketing, to all of it); whether it
	// stops the processing is in Allowed and Reasons.
	Objected bool `json:"objected"`
}

func (pc *PreferenceCenter) subject(w http.ResponseWriter, r *http.Request) (privacy.Subject, bool) {
	s, err := resolve(pc.resolve, r)
	switch {
	case errors.Is(err, privacy.ErrNotFound):
		writeError(w, http.StatusUnauthorized, "sign in to see your privacy preferences")
		return s, false
	case err != nil:
		pc.log.ErrorContext(r.Context(), "privacy: resolve subject", "error", err)
		writeError(w, http.StatusInternalServerError, "the subject could not be resolved")
		return s, false
	}
	// The resolver is the service's code: a kind the catalog does not
	// know is its fault, refused before anything is read or recorded.
	cat := pc.engine.Catalog()
	if cat == nil || len(cat.SubjectKinds) == 0 {
		// No engine, or one without a catalog: fail closed.
		pc.log.ErrorContext(r.Context(), "privacy: preference center", "error", "no catalog: the preference center has no engine")
		writeError(w, http.StatusInternalServerError, "the preferences could not be read or changed")
		return s, false
	}
	if cat.SubjectKind(s.Kind) == nil {
		known := make([]string, len(cat.SubjectKinds))
		for i, k := range cat.SubjectKinds {
			known[i] = string(k.Kind)
		}
		err := &privacy.ValidationError{Field: "subject.kind", Kind: privacy.ErrInvalidRequest,
			Message: fmt.Sprintf("unknown subject kind %q%s (the catalog declares %s)", s.Kind,
				privacy.DidYouMean(string(s.Kind), known), strings.Join(known, ", "))}
		writeError(w, http.StatusBadRequest, err.Error())
		return s, false
	}
	return s, true
}

// purpose returns the catalog purpose named in the path if it applies to
// the subject's kind and passes ok(purpose).
func (pc *PreferenceCenter) purpose(w http.ResponseWriter, r *http.Request, s privacy.Subject, what string, ok func(*privacy.Purpose, privacy.SubjectKind) bool) (*privacy.Purpose, bool) {
	key := r.PathValue("purpose")
	p := pc.engine.Catalog().Purpose(key)
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

// answer writes the subject's preferences, with the engine's decision on
// each purpose.
func (pc *PreferenceCenter) answer(w http.ResponseWriter, r *http.Request, s privacy.Subject) {
	ctx := r.Context()
	cat := pc.engine.Catalog()
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
		req := privacy.Request{Subject: s, Purpose: p.Key, Data: categoriesOf(cat, p, s.Kind), Time: now}
		if pp.Consent {
			req.Basis = lawfulbasis.Consent
			cs, err := pc.consents.State(ctx, s.ID, p.Key, now)
			if err != nil {
				pc.fail(w, r, err)
				return
			}
			pp.ConsentEvent = cs.Event
		}
		d, err := pc.engine.Decide(ctx, req)
		if err != nil {
			pc.fail(w, r, err)
			return
		}
		pp.Allowed, pp.Reasons = d.Allowed, d.Codes()
		if pp.Consent {
			for _, code := range pp.Reasons {
				if strings.HasPrefix(code, "consent.") {
					pp.ConsentReason = code
					break
				}
			}
			pp.Given = pp.ConsentReason == ""
		}
		pp.Objected = st.ObjectsTo(p.Key, p.DirectMarketing)
		out.Purposes = append(out.Purposes, pp)
	}
	writeJSON(w, http.StatusOK, out)
}

// categoriesOf returns the purpose's categories that belong to subjects of
// the kind, as a request for the purpose names them.
func categoriesOf(cat *privacy.Catalog, p *privacy.Purpose, k privacy.SubjectKind) []string {
	var out []string
	for _, key := range p.Categories {
		for _, leaf := range cat.Leaves(key) {
			if c := cat.Category(leaf); c != nil && c.Subject == k {
				out = append(out, leaf)
			}
		}
	}
	if len(out) == 0 {
		return p.Categories
	}
	return out
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
	cat := pc.engine.Catalog()
	_, err := consent.Grant(r.Context(), pc.consents, cat, consent.Record{
		SubjectID:     s.ID,
		Controller:    s.Controller,
		Purpose:       p.Key,
		Categories:    p.Categories,
		PolicyVersion: cat.PolicyVersion,
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
	// The ledger's one withdraw path, which repeats the withdrawal at the
	// time of any grant stamped by a clock ahead of ours, so that such a
	// grant never outranks it.
	_, err := consent.Withdraw(r.Context(), pc.consents, consent.Record{
		SubjectID:   s.ID,
		Controller:  s.Controller,
		Purpose:     p.Key,
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
	if err := subject.RecordObjection(r.Context(), pc.subjects, s.ID, subject.Objection{Purpose: p.Key, At: pc.now().UTC()}); err != nil {
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
	if err := subject.RecordObjection(r.Context(), pc.subjects, s.ID, subject.Objection{DirectMarketing: true, At: pc.now().UTC()}); err != nil {
		pc.fail(w, r, err)
		return
	}
	pc.answer(w, r, s)
}
