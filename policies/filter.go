package policies

import (
	"context"
	"iter"
	"slices"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/plan"
)

// FilterResult is the decision for one subject of a Filter run.
type FilterResult struct {
	// Subject is the subject, as the source yielded it.
	Subject privacy.Subject
	// Decision is the decision Decide would return for the template with
	// this subject. Its slices may be shared with other results: read
	// them, do not modify them.
	Decision privacy.Decision
}

// FilterOption configures Filter.
type FilterOption func(*filterConfig)

type filterConfig struct{ denied bool }

// IncludeDenied makes Filter yield the subjects it denies too, each with
// its decision and the reasons for it (default: only allowed subjects).
func IncludeDenied() FilterOption { return func(c *filterConfig) { c.denied = true } }

// Filter decides one processing for a stream of subjects: for every subject
// from subjects it decides tmpl with the request's subject replaced by that
// subject, and yields the allowed ones (with IncludeDenied, every one). It
// is how a newsletter run or an export picks its audience.
//
// Each decision is exactly Decide's: the subject's consent and state are
// read from the engine's stores and the policy is evaluated for them (or
// answered from the cache, for a subject decided before). Filter streams:
// it holds one subject at a time, so its memory does not grow with the
// number of subjects.
//
// When the engine's consent store matches plans (plan.Matcher: the memory,
// SQLite and PostgreSQL stores, with the subject store of the same kind or
// database), IncludeDenied is not given and no decision log is written,
// Filter goes by plans (Engine.Plan): it reads the subjects in batches,
// lets the store find which ones each plan allows (one query per batch for
// a database), and calls Decide only for the subjects a plan leaves
// Unknown. The allowed subjects and their decisions are Decide's, but for
// ValidUntil, which a plan does not compute (zero). Otherwise it decides
// every subject with Decide.
//
// A template without a time is decided at the time the run starts, for
// every subject.
//
// An error from subjects is yielded with a zero FilterResult and ends the
// run. A decision that fails (an invalid subject, a store error) is yielded
// with its error whether or not IncludeDenied was given, and the run goes
// on if the caller's loop does.
func (e *Engine) Filter(ctx context.Context, tmpl privacy.Request, subjects iter.Seq2[privacy.Subject, error], opts ...FilterOption) iter.Seq2[FilterResult, error] {
	var cfg filterConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	return func(yield func(FilterResult, error) bool) {
		req := tmpl
		now := e.now()
		if req.Time.IsZero() {
			// One run is one moment: consent expiry is judged at the same
			// time for every subject.
			req.Time = now
		}
		if m, ok := e.consents.(plan.Matcher); ok && !cfg.denied && e.dlog == nil {
			e.filterPlanned(ctx, m, req, now, subjects, yield)
			return
		}
		for s, err := range subjects {
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				yield(FilterResult{}, err)
				return
			}
			req.Subject = s
			d, err := e.Decide(ctx, req)
			if err == nil && !d.Allowed && !cfg.denied {
				continue
			}
			if !yield(FilterResult{Subject: s, Decision: d}, err) {
				return
			}
		}
	}
}

// filterBatch is the number of subjects Filter matches against a plan at
// once: one query of a SQL store.
const filterBatch = 1000

// planGroup is what a plan is made for: the subject's kind and controller.
type planGroup struct {
	kind       privacy.SubjectKind
	controller string
}

// filterPlanned is Filter by plans: it reads the subjects in batches, asks
// the store which subjects of a batch each plan allows (plan.Matcher), and
// decides with Decide the subjects the plan leaves Unknown, the subjects
// whose request is invalid, and every subject when the store cannot match.
func (e *Engine) filterPlanned(ctx context.Context, m plan.Matcher, req privacy.Request, now time.Time, subjects iter.Seq2[privacy.Subject, error], yield func(FilterResult, error) bool) {
	p := e.policy.Load()
	plans := map[planGroup]*plan.Plan{}
	decisions := map[*plan.Plan]privacy.Decision{}
	var (
		batch   = make([]privacy.Subject, 0, filterBatch)
		truths  = make([]plan.Truth, filterBatch)
		matched = make([]plan.Subject, 0, filterBatch)
		index   = make([]int, 0, filterBatch)
		canPlan = true
	)
	decide := func(s privacy.Subject) bool {
		r := req
		r.Subject = s
		d, err := e.Decide(ctx, r)
		if err == nil && !d.Allowed {
			return true
		}
		return yield(FilterResult{Subject: s, Decision: d}, err)
	}
	flush := func() bool {
		for i := range batch {
			truths[i] = plan.Unknown
		}
		// Subjects of one plan go to the store together.
		done := map[planGroup]bool{}
		for i := range batch {
			k := planGroup{batch[i].Kind, batch[i].Controller}
			if !canPlan || done[k] {
				continue
			}
			done[k] = true
			pl, ok := plans[k]
			if !ok {
				r := req
				r.Subject = batch[i]
				var err error
				if pl, err = e.plan(ctx, p, r, now); err != nil {
					pl = nil // an invalid subject: Decide says why
				}
				plans[k] = pl
				if pl != nil {
					// The decision Decide gives every subject the plan
					// allows, but for its validity window.
					d := privacy.Decision{Basis: pl.Basis, PolicyVersion: pl.PolicyVersion, Obligations: slices.Clone(pl.Obligations)}
					d.Normalize()
					decisions[pl] = d
				}
			}
			if pl == nil || pl.Cond.Op == plan.OpUnknown {
				continue
			}
			matched, index = matched[:0], index[:0]
			for j := i; j < len(batch); j++ {
				s := &batch[j]
				if (planGroup{s.Kind, s.Controller}) != k {
					continue
				}
				r := req
				r.Subject = *s
				if p.validate(&r) != nil {
					continue // Decide gives the error
				}
				matched = append(matched, plan.Subject{ID: s.ID, Age: s.Age, Country: s.Country})
				index = append(index, j)
				truths[j] = plan.False
			}
			ok, err := m.MatchPlan(ctx, e.subjects, pl, matched, func(n int, t plan.Truth) {
				if n >= 0 && n < len(index) {
					truths[index[n]] = t
				}
			})
			if err != nil {
				yield(FilterResult{}, err)
				return false
			}
			if !ok {
				canPlan = false
				for _, j := range index {
					truths[j] = plan.Unknown
				}
			}
		}
		for i, s := range batch {
			switch truths[i] {
			case plan.True:
				pl := plans[planGroup{s.Kind, s.Controller}]
				if !yield(FilterResult{Subject: s, Decision: decisions[pl]}, nil) {
					return false
				}
			case plan.Unknown:
				if !decide(s) {
					return false
				}
			}
		}
		batch = batch[:0]
		return true
	}
	for s, err := range subjects {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			if flush() {
				yield(FilterResult{}, err)
			}
			return
		}
		batch = append(batch, s)
		if len(batch) == filterBatch && !flush() {
			return
		}
	}
	flush()
}
