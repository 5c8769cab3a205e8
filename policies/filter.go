package policies

import (
	"context"
	"iter"

	"github.com/privacykit/privacy"
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
		if req.Time.IsZero() {
			// One run is one moment: consent expiry is judged at the same
			// time for every subject.
			req.Time = e.now()
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
