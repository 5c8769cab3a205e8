package privacyhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/privacykit/privacy"
)

// GPCHeader is the header of the Global Privacy Control signal.
const GPCHeader = "Sec-GPC"

// GPC reports whether r carries the Global Privacy Control signal: a
// Sec-GPC header whose value is exactly "1". Any other value is ignored;
// when several Sec-GPC headers arrive, one with the value "1" is enough.
func GPC(r *http.Request) bool {
	if r == nil {
		return false
	}
	for _, v := range r.Header.Values(GPCHeader) {
		if v == "1" {
			return true
		}
	}
	return false
}

// Decider decides privacy requests; *policies.Engine is one.
type Decider interface {
	Decide(ctx context.Context, req privacy.Request) (privacy.Decision, error)
}

// Resolver returns the subject an HTTP request is made by or for, as the
// service knows it (from its session, a token, a path parameter). An error
// wrapping privacy.ErrNotFound means the request has no subject (an
// anonymous visitor); any other error is a failure and answered with 500.
type Resolver func(r *http.Request) (privacy.Subject, error)

type ctxKey int

const (
	subjectKey ctxKey = iota
	signalsKey
	decisionKey
)

// WithSubject returns a copy of ctx carrying the subject.
func WithSubject(ctx context.Context, s privacy.Subject) context.Context {
	return context.WithValue(ctx, subjectKey, s)
}

// SubjectFrom returns the subject Middleware.Handler or WithSubject put in
// ctx, and whether there is one.
func SubjectFrom(ctx context.Context) (privacy.Subject, bool) {
	s, ok := ctx.Value(subjectKey).(privacy.Subject)
	return s, ok
}

// WithSignals returns a copy of ctx carrying the privacy signals.
func WithSignals(ctx context.Context, s privacy.Signals) context.Context {
	return context.WithValue(ctx, signalsKey, s)
}

// SignalsFrom returns the signals Middleware.Handler or WithSignals put in
// ctx, and whether there are any.
func SignalsFrom(ctx context.Context) (privacy.Signals, bool) {
	s, ok := ctx.Value(signalsKey).(privacy.Signals)
	return s, ok
}

// DecisionFrom returns the allowed decision RequirePurpose made for the
// request, so that the handler can honour its obligations.
func DecisionFrom(ctx context.Context) (privacy.Decision, bool) {
	d, ok := ctx.Value(decisionKey).(privacy.Decision)
	return d, ok
}

// Middleware guards handlers with privacy decisions. Create it with New.
type Middleware struct {
	decider Decider
	resolve Resolver
	log     *slog.Logger
}

// New returns a Middleware that decides with d (*policies.Engine is one)
// and finds subjects with the resolver of WithResolver. A nil d refuses
// every guarded request.
func New(d Decider, opts ...Option) *Middleware {
	o := newOptions(opts)
	if d == nil {
		d = noDecider{} // fail closed: every guarded request is refused
	}
	return &Middleware{decider: d, resolve: o.resolve, log: o.log}
}

// noDecider stands in for a missing Decider and denies with an error.
type noDecider struct{}

func (noDecider) Decide(context.Context, privacy.Request) (privacy.Decision, error) {
	return privacy.Decision{}, fmt.Errorf("privacyhttp: no decider configured: %w", privacy.ErrEvaluation)
}

// Handler reads the GPC signal and the subject into the request's context
// for next, which finds them with SignalsFrom and SubjectFrom. A request
// without a subject passes without one; a resolver failure is answered with
// 500.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := WithSignals(r.Context(), privacy.Signals{GPC: GPC(r)})
		s, ok, err := m.subject(r)
		if err != nil {
			m.log.ErrorContext(ctx, "privacy: resolve subject", "error", err)
			writeError(w, http.StatusInternalServerError, "the subject could not be resolved")
			return
		}
		if ok {
			ctx = WithSubject(ctx, s)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (m *Middleware) subject(r *http.Request) (privacy.Subject, bool, error) {
	if s, ok := SubjectFrom(r.Context()); ok {
		return s, true, nil
	}
	if m.resolve == nil {
		return privacy.Subject{}, false, nil
	}
	s, err := resolve(m.resolve, r)
	switch {
	case errors.Is(err, privacy.ErrNotFound):
		return privacy.Subject{}, false, nil
	case err != nil:
		return privacy.Subject{}, false, err
	}
	return s, true, nil
}

// RequirePurpose returns middleware that lets a request through only when
// the policy allows processing the subject's data categories for purpose,
// internally (no recipient). It is Require with a template of the purpose
// and data alone.
func (m *Middleware) RequirePurpose(purpose string, data ...string) func(http.Handler) http.Handler {
	return m.Require(privacy.Request{Purpose: purpose, Data: data})
}

// Require returns middleware that lets a request through only when the
// policy allows the processing tmpl describes (purpose, data and, for a
// disclosure, the recipient with its kind and country, the basis, whether
// the data is encrypted in transit …) for the subject of the HTTP request.
// The subject and signals come from the context (Handler) or, without
// Handler, from the resolver and the request's headers; tmpl's own are
// replaced. The allowed decision is in the context for next
// (DecisionFrom).
//
// Answers: 401 with {"error": …} when the request has no subject; 403 with
// the decision JSON on a denial; 400 with the decision JSON when the request
// is invalid (a subject kind the catalog does not know); 500 with
// {"error": …} when the subject could not be resolved or the decision
// could not be evaluated (a panic of the resolver or decider included),
// without details.
func (m *Middleware) Require(tmpl privacy.Request) func(http.Handler) http.Handler {
	tmpl.Data = append([]string(nil), tmpl.Data...)
	if tmpl.Recipient != nil {
		rc := *tmpl.Recipient
		rc.Certifications = append([]string(nil), rc.Certifications...)
		tmpl.Recipient = &rc
	}
	purpose := tmpl.Purpose
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			s, ok, err := m.subject(r)
			if err != nil {
				m.log.ErrorContext(ctx, "privacy: resolve subject", "error", err)
				writeError(w, http.StatusInternalServerError, "the subject could not be resolved")
				return
			}
			if !ok {
				writeError(w, http.StatusUnauthorized, "a subject is required for "+purpose)
				return
			}
			signals, ok := SignalsFrom(ctx)
			if !ok {
				signals = privacy.Signals{GPC: GPC(r)}
			}
			req := tmpl
			req.Subject, req.Signals = s, signals
			d, err := decide(ctx, m.decider, req)
			if err != nil {
				if privacy.ErrorCode(err) == privacy.EINVALID {
					d.Allowed = false // whatever a custom Decider returned with its error
					writeJSON(w, http.StatusBadRequest, d)
					return
				}
				m.log.ErrorContext(ctx, "privacy: decision failed closed", "purpose", purpose, "error", err)
				writeError(w, http.StatusInternalServerError, "the privacy decision could not be evaluated")
				return
			}
			if !d.Allowed {
				writeJSON(w, http.StatusForbidden, d)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, decisionKey, d)))
		})
	}
}

// resolve calls the resolver; a panic of the resolver becomes an error.
func resolve(res Resolver, r *http.Request) (s privacy.Subject, err error) {
	defer recovered(&err, "the resolver")
	return res(r)
}

// decide asks d; a panic of the decider becomes an error, and the
// decision a denial.
func decide(ctx context.Context, d Decider, req privacy.Request) (privacy.Decision, error) {
	dec, err := decideOrPanic(ctx, d, req)
	if err != nil {
		dec.Allowed = false
	}
	return dec, err
}

func decideOrPanic(ctx context.Context, d Decider, req privacy.Request) (dec privacy.Decision, err error) {
	defer recovered(&err, "the decider")
	return d.Decide(ctx, req)
}

// recovered, deferred, turns a panic into an error wrapping
// privacy.ErrEvaluation, so that it is answered with 500 and logged
// instead of dropping the connection. The panic's value is not quoted: it
// may hold personal data. http.ErrAbortHandler is let through.
func recovered(err *error, what string) {
	r := recover()
	if r == nil {
		return
	}
	if r == http.ErrAbortHandler {
		panic(r)
	}
	*err = fmt.Errorf("privacyhttp: %s panicked (a %T; the value is withheld, it may hold personal data): %w", what, r, privacy.ErrEvaluation)
}

// Status returns the HTTP status for an error of this module by its
// privacy.ErrorCode: 400 for invalid input, 404, 409, and 500 for anything
// else.
func Status(err error) int {
	switch privacy.ErrorCode(err) {
	case "":
		return http.StatusOK
	case privacy.EINVALID:
		return http.StatusBadRequest
	case privacy.ENOTFOUND:
		return http.StatusNotFound
	case privacy.ECONFLICT:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: strings.TrimSpace(msg)})
}
