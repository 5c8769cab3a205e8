package policies

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

//go:embed rego/*.rego
var regoFiles embed.FS

// query is the one query the engine prepares.
const query = "data.privacy.decision.result"

// Engine decides requests. It is safe for concurrent use; create it once
// with New and share it.
type Engine struct {
	// policy is the compiled catalog and modules. It is swapped whole, so
	// that a decision uses one policy from start to end.
	policy   atomic.Pointer[policy]
	consents consent.Reader
	// overrides gives controllers' retention choices; nil: none.
	overrides OverrideReader
	// readState is the StateReader's State, or SharedState when it has it.
	readState func(ctx context.Context, subjectID string) (subject.State, error)
	// subjects is the subject-state store, for plan.Matcher.
	subjects subject.StateReader
	now      func() time.Time
	log      *slog.Logger
	// dlog writes every decision when WithDecisionLog is given; nil
	// otherwise.
	dlog *decisionLog
	// reloading serialises Reload, so that generations only grow.
	reloading sync.Mutex
	// cache holds decisions by everything they were made from; nil when
	// WithCache(0) turned it off.
	cache *decisionCache
	// pseudoKey keys the pseudonyms that stand for subject ids in the
	// errors the engine returns: the decision log's key, or a random one.
	pseudoKey []byte
	// tel holds the spans' tracer and the metrics' instruments.
	tel       telemetry
	closeOnce sync.Once
}

// policy is everything compiled from one catalog and one set of modules.
// It is immutable once built.
type policy struct {
	catalog  *privacy.Catalog
	prepared rego.PreparedEvalQuery
	// needsConsent[purpose][kind] reports whether consent is among the
	// purpose's bases for the kind, so that Decide reads the ledger only
	// when a rule can use what it reads.
	needsConsent map[string]map[privacy.SubjectKind]bool
	// generation counts the policies an engine has had, from 1.
	generation uint64
	kindList   string // the catalog's subject kinds, for error messages
	// modulesHash is the SHA-256 of the extension modules, and revision
	// the bundle's revision, both for the decision log.
	modulesHash string
	revision    string
	// stale is the stale-consent query, prepared on first use.
	stale stalePolicy
	// regoOpts compile the policy without its query, for the plan
	// queries; planner holds those, prepared on first use.
	regoOpts []func(*rego.Rego)
	// regoBase is regoOpts without the modules: the store and settings
	// to evaluate on a compiler that already holds them.
	regoBase []func(*rego.Rego)
	planner  planner
}

// Option configures New.
type Option func(*config)

type config struct {
	catalog  *privacy.Catalog
	consents consent.Reader
	subjects subject.StateReader
	// memoryStores fills missing stores with empty in-memory ones.
	memoryStores bool
	modules      []module
	now          func() time.Time
	log          *slog.Logger
	dlog         *decisionLog
	revision     string
	// cacheSize bounds the decision cache when cacheSet.
	cacheSize int
	cacheSet  bool
	overrides OverrideReader
	// tracerProvider and meterProvider: nil means the global ones.
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
}

type module struct{ name, source string }

// OverrideReader gives the retention periods controllers chose for their
// data within the catalog's bounds (retention.Store is one).
type OverrideReader interface {
	Overrides(ctx context.Context) ([]retention.Override, error)
}

// WithRetentionOverrides reads the controllers' choices of retention
// period from r, so that retention.expired judges a processor's subject
// (a guest) by the period the subject's controller chose, as the sweeper
// does. It is read for a request whose subject names a controller, has
// the trigger of a rule a controller may adjust, and asks for data under
// such a rule. Without it, decisions use the catalog's periods.
func WithRetentionOverrides(r OverrideReader) Option { return func(o *config) { o.overrides = r } }

// WithCatalog decides over c instead of the embedded reference catalog. New
// validates it.
func WithCatalog(c *privacy.Catalog) Option { return func(o *config) { o.catalog = c } }

// WithConsents reads consent state from r. New needs it, or
// WithMemoryStores.
func WithConsents(r consent.Reader) Option { return func(o *config) { o.consents = r } }

// WithSubjects reads subject state from r. New needs it, or
// WithMemoryStores.
func WithSubjects(r subject.StateReader) Option { return func(o *config) { o.subjects = r } }

// WithMemoryStores reads consent and subject state from empty in-memory
// stores where WithConsents or WithSubjects gives none: an engine for
// tests and examples, which says so. Without it New refuses to start
// without stores, since an engine on empty stores silently allows what
// the real stores' withdrawals and objections forbid.
func WithMemoryStores() Option { return func(o *config) { o.memoryStores = true } }

// WithModule adds a Rego module (v1 syntax) of the caller's. Its package
// must be under privacy.ext (such as privacy.ext.mycompany); its `deny` and
// `obligation` sets are added to the base policy's, so it can add denials
// and obligations but never remove one.
func WithModule(name, source string) Option {
	return func(o *config) { o.modules = append(o.modules, module{name, source}) }
}

// WithClock sets the clock that stands for "now" when a request has no
// time (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *config) { o.now = now } }

// WithLogger logs evaluation failures to l (default: nothing is logged).
func WithLogger(l *slog.Logger) Option { return func(o *config) { o.log = l } }

// New prepares an engine: it validates the catalog, compiles the embedded
// Rego and the caller's modules with the catalog as data, and prepares the
// decision query once. Without WithCatalog it decides over the embedded
// reference catalog. It needs the stores to read state from (WithConsents
// and WithSubjects), or WithMemoryStores: it refuses, with a
// *privacy.ValidationError naming "stores", to fall back silently on
// empty ones.
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.catalog == nil {
		cfg.catalog = privacy.DefaultCatalog()
	} else if err := cfg.catalog.Validate(); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	if cfg.memoryStores {
		if cfg.consents == nil {
			cfg.consents = memory.NewConsentStore()
		}
		if cfg.subjects == nil {
			cfg.subjects = memory.NewStateStore()
		}
	}
	if cfg.consents == nil || cfg.subjects == nil {
		// An engine on empty stores allows what a withdrawal or an
		// objection in the real ones forbids: never by default.
		missing := "WithConsents"
		if cfg.consents != nil {
			missing = "WithSubjects"
		} else if cfg.subjects == nil {
			missing = "WithConsents and WithSubjects"
		}
		return nil, fmt.Errorf("policies: %w", &privacy.ValidationError{Field: "stores",
			Message: "no store to read consent and subject state from: give " + missing + ", or WithMemoryStores for empty in-memory stores (tests, examples)"})
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	if cfg.dlog != nil && len(cfg.dlog.key) < minLogKey {
		// A short or empty key makes the pseudonyms recomputable by
		// anyone with a list of candidate ids.
		return nil, fmt.Errorf("policies: %w", &privacy.ValidationError{Field: "decision log key",
			Message: fmt.Sprintf("want at least %d random bytes (32 recommended), got %d", minLogKey, len(cfg.dlog.key))})
	}

	p, err := compile(ctx, cfg.catalog, cfg.modules, 1)
	if err != nil {
		return nil, err
	}
	p.revision = cfg.revision
	e := &Engine{consents: cfg.consents, readState: cfg.subjects.State, subjects: cfg.subjects, now: cfg.now, log: cfg.log, dlog: cfg.dlog, overrides: cfg.overrides}
	if r, ok := cfg.subjects.(subject.SharedStateReader); ok {
		// The engine only reads state: no need for a copy.
		e.readState = r.SharedState
	}
	if e.dlog != nil {
		e.pseudoKey = e.dlog.key
	} else {
		e.pseudoKey = make([]byte, 32)
		_, _ = rand.Read(e.pseudoKey) // never fails (crypto/rand)
	}
	if !cfg.cacheSet {
		cfg.cacheSize = DefaultCacheSize
	}
	if cfg.cacheSize > 0 {
		e.cache = newDecisionCache(cfg.cacheSize)
	}
	if e.tel, err = newTelemetry(&cfg, e); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	e.policy.Store(p)
	return e, nil
}

// compile prepares the decision query for a validated catalog and the
// caller's extension modules.
func compile(ctx context.Context, c *privacy.Catalog, modules []module, generation uint64) (*policy, error) {
	base := []func(*rego.Rego){
		// A builtin that fails (a type error, a division by zero) must fail
		// the decision, not make a deny rule silently undefined.
		rego.StrictBuiltinErrors(true),
		rego.Store(catalogStore(c)),
		// Extension modules reach nothing outside the evaluation
		// (capabilities.go).
		rego.Capabilities(extensionCapabilities()),
	}
	ropts := slices.Clip(base)
	mods, err := baseModules()
	if err != nil {
		return nil, err
	}
	for _, m := range mods {
		ropts = append(ropts, rego.Module(m.name, m.source))
	}
	for _, m := range modules {
		if err := checkExtension(m); err != nil {
			return nil, err
		}
		ropts = append(ropts, rego.Module("ext/"+m.name, m.source))
	}
	prepared, err := rego.New(append(slices.Clip(ropts), rego.Query(query), rego.GenerateJSON(resultTerm))...).PrepareForEval(ctx)
	if err != nil {
		if len(modules) > 0 {
			// The base modules compile on their own (tested): the
			// caller's modules are at fault.
			return nil, fmt.Errorf("policies: compile policy: %w", &privacy.ValidationError{Field: "modules", Message: err.Error()})
		}
		return nil, fmt.Errorf("policies: compile policy: %w", err)
	}
	p := &policy{
		catalog:      c,
		prepared:     prepared,
		needsConsent: map[string]map[privacy.SubjectKind]bool{},
		generation:   generation,
		modulesHash:  hashModules(modules),
		regoOpts:     ropts,
		regoBase:     base,
	}
	kinds := make([]string, len(c.SubjectKinds))
	for i, k := range c.SubjectKinds {
		kinds[i] = string(k.Kind)
	}
	p.kindList = strings.Join(kinds, ", ")
	// Hash caches on first use; computing it before the policy is published
	// keeps later calls read-only and free of races.
	c.Hash()
	for _, pur := range c.Purposes {
		m := map[privacy.SubjectKind]bool{}
		for _, k := range pur.Subjects {
			m[k] = lawfulbasis.Contains(pur.BasesFor(k), lawfulbasis.Consent)
		}
		p.needsConsent[pur.Key] = m
	}
	return p, nil
}

// catalogStore holds the catalog as the policy's data. The store keeps it
// as AST values and hands them to the evaluation as they are, instead of
// converting the Go values it would otherwise keep on every read of every
// decision (about 80 allocations of a decision's ~1,750: docs/benchmarks.md,
// "Decisions, round 4"). Nothing writes to it after this.
func catalogStore(c *privacy.Catalog) storage.Store {
	return inmem.NewFromObjectWithOpts(map[string]any{"catalog": catalogData(c)}, inmem.OptReturnASTValuesOnRead(true))
}

// baseModules returns the embedded policy, without its tests.
func baseModules() ([]module, error) {
	var out []module
	err := fs.WalkDir(regoFiles, "rego", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := regoFiles.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, module{name: p, source: string(b)})
		return nil
	})
	return out, err
}

// checkExtension parses a caller's module and refuses any package outside
// privacy.ext, so that it cannot redefine the base policy.
func checkExtension(m module) error {
	mod, err := ast.ParseModuleWithOpts(m.name, m.source, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return badModule(m.name, err.Error())
	}
	if err := checkExtensionPackage(m.name, mod); err != nil {
		return err
	}
	if readsTime(mod) && !declaresChanges(mod) {
		return badModule(m.name, "it reads the time (input.now_ns or lib.reached) but declares no set `changes` of the times it compares: "+
			"add `changes contains t if { … }` for each, so that decisions are cached only while its answer stands")
	}
	// deny and obligation are read as sets of {code, message}: a rule of
	// another kind under those names would be skipped, and a denial the
	// author meant would silently allow.
	for _, r := range mod.Rules {
		name := r.Head.Ref()[0].Value.String()
		if (name == "deny" || name == "obligation") && (len(r.Head.Ref()) != 1 || r.Head.RuleKind() != ast.MultiValue) {
			return badModule(m.name, fmt.Sprintf("rule %s at line %d must be a set: %s contains {\"code\": …, \"message\": …} if { … }", name, r.Location.Row, name))
		}
	}
	return checkBuiltins(m.name, mod)
}

// badModule is an extension module that does not parse, compile or belong
// under privacy.ext: bad input (privacy.ErrInvalid), not a failure.
func badModule(name, msg string) error {
	return fmt.Errorf("policies: %w", &privacy.ValidationError{Field: "module " + name, Message: msg})
}

// Catalog returns the catalog the engine decides over. Do not modify it.
func (e *Engine) Catalog() *privacy.Catalog { return e.policy.Load().catalog }

// PolicyVersion returns the catalog's policy version, as decisions carry it.
func (e *Engine) PolicyVersion() string { return e.policy.Load().catalog.PolicyVersion }

// Decide decides a request. It reads the subject's consent and state from
// the stores, evaluates the policy, and returns the explained decision.
//
// The decision is a denial whenever the error is not nil: an invalid request
// returns reason request.invalid and an error wrapping
// privacy.ErrInvalidRequest that names the field; a store or evaluation
// failure returns reason evaluation.failed and an error wrapping
// privacy.ErrEvaluation.
func (e *Engine) Decide(ctx context.Context, req privacy.Request) (privacy.Decision, error) {
	return e.decideLogged(ctx, req, false)
}

// Replay decides req as it would have been decided at req.Time, for an
// audit: the consent as recorded up to that time (a withdrawal recorded
// later does not count, a grant recorded later neither), the subject's
// state as the store holds it now (the subject store keeps no history),
// and the policy in force now. It is never answered from the cache nor
// kept in it, and the decision log marks it (replay: true). A request
// without a time is invalid (field time).
//
// Decide, by contrast, counts everything recorded up to the engine clock's
// now even for a request whose time is earlier: a caller-chosen time never
// brings back a consent withdrawn, nor lifts an objection made, before the
// decision is taken.
func (e *Engine) Replay(ctx context.Context, req privacy.Request) (privacy.Decision, error) {
	if req.Time.IsZero() {
		p := e.policy.Load()
		err := &privacy.ValidationError{Field: "time", Kind: privacy.ErrInvalidRequest, Message: "a replay judges a past moment: give the request's time"}
		d := privacy.Deny(p.catalog.PolicyVersion, p.reason(privacy.ReasonRequestInvalid, err.Error()))
		if e.dlog != nil {
			e.dlog.write(ctx, p, &req, &facts{replay: true}, d, err)
		}
		return d, err
	}
	return e.decideLogged(ctx, req, true)
}

// decideLogged decides under the policy in force and writes the decision
// log.
func (e *Engine) decideLogged(ctx context.Context, req privacy.Request, replay bool) (privacy.Decision, error) {
	p := e.policy.Load()
	f := facts{replay: replay}
	d, err := e.decide(ctx, p, req, &f)
	if e.dlog != nil {
		e.dlog.write(ctx, p, &req, &f, d, err)
	}
	return d, err
}

// decide decides req under p from the facts it gathers into f.
func (e *Engine) decide(ctx context.Context, p *policy, req privacy.Request, f *facts) (privacy.Decision, error) {
	now := e.now()
	f.at = req.Time
	if f.at.IsZero() {
		f.at = now
	}
	if err := late(ctx); err != nil {
		// A caller that gave up gets no decision, even one the cache or a
		// state view could answer without waiting.
		return p.fail(e.log, err)
	}
	if err := p.validate(&req); err != nil {
		// Nothing sensible can be evaluated on a malformed request: deny it
		// with the one reason that applies.
		return privacy.Deny(p.catalog.PolicyVersion, p.reason(privacy.ReasonRequestInvalid, err.Error())), err
	}
	d, err := e.gather(ctx, p, &req, now, f)
	if err == nil {
		// The caller's deadline passed while the decision was made: it
		// gave up and gets no decision, never a late allow. The deadline
		// is read against the real time, as context does, and not only
		// through Err: its timer may not have fired yet.
		err = late(ctx)
	}
	if err != nil && !errors.Is(err, privacy.ErrInvalidRequest) {
		if !errors.Is(err, privacy.ErrEvaluation) {
			return p.fail(e.log, e.redact(err, req.Subject.ID))
		}
		return d, e.redact(err, req.Subject.ID)
	}
	return d, err
}

// late returns an error when ctx is done or its deadline has passed.
func late(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("decide: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return fmt.Errorf("decide: %w", context.DeadlineExceeded)
	}
	return nil
}

// gather reads the facts of a valid request from the stores, checks them,
// and decides on them.
func (e *Engine) gather(ctx context.Context, p *policy, req *privacy.Request, now time.Time, f *facts) (privacy.Decision, error) {
	var err error
	if p.needsConsent[req.Purpose][req.Subject.Kind] {
		if f.consent, err = e.consentAt(ctx, req.Subject.ID, req.Purpose, now, f); err != nil {
			return privacy.Decision{}, fmt.Errorf("read consent: %w", err)
		}
	}
	if rc := req.Recipient; rc != nil && rc.Derogation == privacy.DerogationExplicitConsent {
		// Art. 49(1)(a): the subject's explicit consent to this transfer,
		// kept in the ledger under a purpose of its own.
		st, err := e.consentAt(ctx, req.Subject.ID, privacy.TransferConsentPurpose(req.Purpose, rc.Country), now, f)
		if err != nil {
			return privacy.Decision{}, fmt.Errorf("read transfer consent: %w", err)
		}
		f.transferConsent = &st
	}
	if f.state, err = e.readSubject(ctx, req.Subject.ID); err != nil {
		return privacy.Decision{}, fmt.Errorf("read subject state: %w", err)
	}
	if f.choices, err = e.choices(ctx, p, req, &f.state); err != nil {
		return privacy.Decision{}, fmt.Errorf("read retention overrides: %w", err)
	}
	if e.cache != nil && !f.replay {
		return e.decideCached(ctx, p, req, f)
	}
	d, _, err := e.evaluateObserved(ctx, p, req, f)
	return d, err
}

// consentAt returns the consent that stands for a processing at f.at, as
// far as the engine's clock says now: the consent as recorded at f.at,
// unless what is recorded up to now (a withdrawal, a refusal, an expiry)
// no longer gives it. A time before now can thus only take a consent
// away (it was not yet given then), never bring one back. A replay reads
// the consent at f.at alone.
func (e *Engine) consentAt(ctx context.Context, subjectID, purpose string, now time.Time, f *facts) (consent.State, error) {
	atTime, err := e.readConsent(ctx, subjectID, purpose, f.at)
	if err != nil || f.replay || !f.at.Before(now) {
		return atTime, err
	}
	atNow, err := e.readConsent(ctx, subjectID, purpose, now)
	if err != nil {
		return consent.State{}, err
	}
	if atNow.Event != consent.Given {
		return atNow, nil
	}
	return atTime, nil
}

// choices returns the periods the subject's controller chose for the
// requested leaves whose rules let it choose, when one of them can matter
// (their trigger happened); nil otherwise, without reading the overrides.
func (e *Engine) choices(ctx context.Context, p *policy, req *privacy.Request, ss *subject.State) (_ map[string]privacy.Period, err error) {
	defer storePanic(&err, "retention override store")
	if e.overrides == nil || req.Subject.Controller == "" || len(ss.Lifecycle) == 0 {
		return nil, nil
	}
	var leaves []string
	for _, key := range req.Data {
		for _, leaf := range p.catalog.Leaves(key) {
			if r := p.catalog.RetentionRule(leaf); r != nil && r.Adjustable() {
				if _, ok := ss.Lifecycle[r.Trigger]; ok {
					leaves = append(leaves, leaf)
				}
			}
		}
	}
	if len(leaves) == 0 {
		return nil, nil
	}
	overrides, err := e.overrides.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	sched, err := retention.NewSchedule(p.catalog, overrides)
	if err != nil {
		return nil, err
	}
	var out map[string]privacy.Period
	for _, leaf := range leaves {
		if c, ok := sched.Choice(req.Subject.Controller, leaf); ok {
			if out == nil {
				out = map[string]privacy.Period{}
			}
			out[leaf] = c
		}
	}
	return out, nil
}

// window is the span of times in which a decision stands, in unix
// nanoseconds: [from, until), 0 meaning unbounded on that side.
type window struct{ from, until int64 }

// evaluate asks OPA for the decision on a request and the facts gathered
// for it; the request has passed validate.
func (e *Engine) evaluate(ctx context.Context, p *policy, req *privacy.Request, f *facts) (privacy.Decision, window, error) {
	rs, err := p.prepared.Eval(ctx, rego.EvalParsedInput(f.input(req)), rego.EvalMetrics(noMetrics))
	if err != nil {
		d, err := p.fail(e.log, fmt.Errorf("evaluate: %w", err))
		return d, window{}, err
	}
	d, w, err := p.decode(rs)
	if err != nil {
		d, err := p.fail(e.log, err)
		return d, window{}, err
	}
	if d.Has(privacy.ReasonRequestInvalid) {
		// The policy's own checks of the request's shape: a defence in
		// depth behind validate.
		return d, w, &privacy.ValidationError{Message: firstMessage(d, privacy.ReasonRequestInvalid), Kind: privacy.ErrInvalidRequest}
	}
	if !d.Allowed && len(d.Reasons) == 0 {
		// No reason and no basis: nothing applies and nothing permits.
		d, err := p.fail(e.log, errors.New("the policy chose no lawful basis and gave no reason"))
		return d, window{}, err
	}
	return d, w, nil
}

// noMetrics spares every evaluation the metrics OPA would otherwise make
// for it and nobody reads.
var noMetrics = metrics.NoOp()

// validate checks the request's shape and the subject kind against the
// catalog, naming the field at fault.
func (p *policy) validate(req *privacy.Request) error {
	if err := req.Validate(); err != nil {
		return err
	}
	if p.catalog.SubjectKind(req.Subject.Kind) == nil {
		return &privacy.ValidationError{Field: "subject.kind", Kind: privacy.ErrInvalidRequest,
			Message: fmt.Sprintf("unknown subject kind %q%s (the catalog declares %s)", req.Subject.Kind,
				privacy.DidYouMean(string(req.Subject.Kind), strings.Split(p.kindList, ", ")), p.kindList)}
	}
	return nil
}

// fail returns the closed-failure decision for err.
func (p *policy) fail(log *slog.Logger, err error) (privacy.Decision, error) {
	log.Error("privacy decision failed closed", "error", err)
	d := privacy.Deny(p.catalog.PolicyVersion, p.reason(privacy.ReasonEvaluationFailed, "the decision could not be evaluated: "+err.Error()))
	return d, fmt.Errorf("%w: %w", privacy.ErrEvaluation, err)
}

func firstMessage(d privacy.Decision, code string) string {
	for _, r := range d.Reasons {
		if r.Code == code {
			return r.Message
		}
	}
	return ""
}

// decode turns the query result into a decision, failing on any shape it
// does not expect. The prepared query hands the result over as OPA
// computed it (resultTerm), not converted to Go values.
func (p *policy) decode(rs rego.ResultSet) (privacy.Decision, window, error) {
	var (
		w   window
		err error
	)
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return privacy.Decision{}, w, fmt.Errorf("policy result: want one result, got %d", len(rs))
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return privacy.Decision{}, w, fmt.Errorf("policy result: want a term, got %T", rs[0].Expressions[0].Value)
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return privacy.Decision{}, w, fmt.Errorf("policy result: want an object, got %s", ast.ValueName(t.Value))
	}
	basis, ok := stringAt(obj, resultKeys.basis)
	if !ok {
		return privacy.Decision{}, w, errors.New("policy result: basis is not a string")
	}
	d := privacy.Decision{Basis: lawfulbasis.Basis(basis), PolicyVersion: p.catalog.PolicyVersion}
	if basis != "" && !d.Basis.Valid() {
		return privacy.Decision{}, w, fmt.Errorf("policy result: unknown basis %q", basis)
	}
	for _, b := range []struct {
		field *ast.Term
		into  *int64
	}{{resultKeys.validFrom, &w.from}, {resultKeys.validUntil, &w.until}} {
		var n ast.Number
		ok := false
		if v := obj.Get(b.field); v != nil {
			n, ok = v.Value.(ast.Number)
		}
		if !ok {
			return privacy.Decision{}, w, fmt.Errorf("policy result: %s is not a number", b.field.Value.(ast.String))
		}
		if *b.into, err = json.Number(n).Int64(); err != nil {
			return privacy.Decision{}, w, fmt.Errorf("policy result: %s: %w", b.field.Value.(ast.String), err)
		}
	}
	if w.until != 0 {
		d.ValidUntil = time.Unix(0, w.until).UTC()
	}
	err = eachCodeMessage(obj.Get(resultKeys.reasons), "reasons", func(code, msg string) {
		d.Reasons = append(d.Reasons, p.reason(code, msg))
	})
	if err != nil {
		return privacy.Decision{}, w, err
	}
	err = eachCodeMessage(obj.Get(resultKeys.obligations), "obligations", func(code, msg string) {
		d.Obligations = append(d.Obligations, privacy.Obligation{Code: code, Article: obligationArticle(code), Message: msg})
	})
	if err != nil {
		return privacy.Decision{}, w, err
	}
	d.Normalize()
	return d, w, nil
}

// resultKeys are the keys decode reads, built once.
var resultKeys = struct {
	basis, validFrom, validUntil, reasons, obligations, code, message *ast.Term
}{ast.StringTerm("basis"), ast.StringTerm("valid_from_ns"), ast.StringTerm("valid_until_ns"),
	ast.StringTerm("reasons"), ast.StringTerm("obligations"), ast.StringTerm("code"), ast.StringTerm("message")}

// resultTerm hands a query's result over as the term OPA computed:
// decode reads it without the conversion to Go maps and slices.
func resultTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// stringAt returns the string at key in obj.
func stringAt(obj ast.Object, key *ast.Term) (string, bool) {
	v := obj.Get(key)
	if v == nil {
		return "", false
	}
	s, ok := v.Value.(ast.String)
	return string(s), ok
}

// eachCodeMessage calls fn with the code and message of each member of
// the set v, in OPA's order of its members.
func eachCodeMessage(v *ast.Term, field string, fn func(code, msg string)) error {
	var set ast.Set
	if v != nil {
		set, _ = v.Value.(ast.Set)
	}
	if set == nil {
		return fmt.Errorf("policy result: %s is not a set", field)
	}
	list := set.Slice()
	for _, item := range list {
		m, ok := item.Value.(ast.Object)
		if !ok {
			return fmt.Errorf("policy result: an entry of %s is not an object", field)
		}
		code, _ := stringAt(m, resultKeys.code)
		msg, _ := stringAt(m, resultKeys.message)
		if code == "" {
			return fmt.Errorf("policy result: an entry of %s has no code", field)
		}
		fn(code, msg)
	}
	return nil
}

// reason fills in the article of a code and the policy clause the catalog
// assigns to it.
func (p *policy) reason(code, msg string) privacy.Reason {
	return privacy.Reason{Code: code, Article: codeArticle(code), Clause: p.catalog.Clauses[code], Message: msg}
}

// codeArticle is the article of a reason code in the code table
// (privacy.ReasonCodes); "" for an extension's own code.
func codeArticle(code string) string {
	c, _ := privacy.LookupReason(code)
	return c.Article
}

// obligationArticle is the article of an obligation code in the
// code table (privacy.ObligationCodes); "" for an extension's own code.
func obligationArticle(code string) string {
	c, _ := privacy.LookupObligation(code)
	return c.Article
}
