package policies

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
)

// staleQuery asks the policy which consents are stale: the rule the
// decisions' consent.stale_version reason uses, over many states at once.
const staleQuery = "data.privacy.rules.bases.stale_subjects"

// staleBatch bounds the states handed to one evaluation.
const staleBatch = 1000

// stalePolicy is the stale query prepared over one policy's catalog, on
// first use: only privacyctl consent stale and its like need it.
type stalePolicy struct {
	once     sync.Once
	prepared rego.PreparedEvalQuery
	err      error
}

func (p *policy) staleQuery(ctx context.Context) (rego.PreparedEvalQuery, error) {
	s := &p.stale
	s.once.Do(func() {
		base, err := baseModules()
		if err != nil {
			s.err = err
			return
		}
		// Extension modules live under privacy.ext and cannot change the
		// rule; the base policy and the catalog are all it reads.
		ropts := []func(*rego.Rego){
			rego.Query(staleQuery),
			rego.StrictBuiltinErrors(true),
			rego.Store(inmem.NewFromObject(map[string]any{"catalog": catalogData(p.catalog)})),
		}
		for _, m := range base {
			ropts = append(ropts, rego.Module(m.name, m.source))
		}
		s.prepared, s.err = rego.New(ropts...).PrepareForEval(context.WithoutCancel(ctx))
		if s.err != nil {
			s.err = fmt.Errorf("policies: compile stale-consent query: %w", s.err)
		}
	})
	return s.prepared, s.err
}

// StaleConsents returns, sorted, the subjects among states whose consent
// for purpose must be asked for again because it was given under a policy
// version older than the purpose's last material change (its
// consent_version in the catalog): the rule by which Decide denies with
// consent.stale_version, so that a list made here and the decisions
// agree. A non-empty version asks about that version instead of the
// catalog's (what a planned change would make stale).
//
// states are the subjects' consent states for the purpose, each the
// latest of its subject, as consent.Resubscriber.Latest lists them; the
// engine judges them, whatever their event. It returns a
// *privacy.ValidationError for an undeclared purpose ("purpose"), a bad
// version ("version") or a state of another purpose or of no subject
// ("states[i].subject_id", "states[i].purpose").
func (e *Engine) StaleConsents(ctx context.Context, purpose, version string, states []consent.State) ([]string, error) {
	p := e.policy.Load()
	if p.catalog.Purpose(purpose) == nil {
		return nil, &privacy.ValidationError{Field: "purpose",
			Message: fmt.Sprintf("unknown purpose %q%s", purpose, privacy.DidYouMean(purpose, p.catalog.PurposeKeys()))}
	}
	var required *ast.Term
	if version != "" {
		v, err := privacy.ParsePolicyVersion(version)
		if err != nil {
			return nil, privacy.FieldError("version", err)
		}
		required = ast.StringTerm(v.Key())
	}
	for i, st := range states {
		switch {
		case st.SubjectID == "":
			return nil, &privacy.ValidationError{Field: fmt.Sprintf("states[%d].subject_id", i), Message: "is empty"}
		case st.Purpose != purpose:
			return nil, &privacy.ValidationError{Field: fmt.Sprintf("states[%d].purpose", i),
				Message: fmt.Sprintf("is %q, want %q", st.Purpose, purpose)}
		case st.PolicyVersion != "":
			if err := privacy.CheckPolicyVersion(fmt.Sprintf("states[%d].policy_version", i), st.PolicyVersion); err != nil {
				return nil, err
			}
		}
	}
	prepared, err := p.staleQuery(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for chunk := range slices.Chunk(states, staleBatch) {
		terms := make([]*ast.Term, len(chunk))
		for i := range chunk {
			items := append(consentFacts(&chunk[i]), ast.Item(ast.StringTerm("subject_id"), ast.StringTerm(chunk[i].SubjectID)))
			terms[i] = ast.ObjectTerm(items...)
		}
		input := [][2]*ast.Term{
			ast.Item(ast.StringTerm("request"), ast.ObjectTerm(ast.Item(ast.StringTerm("purpose"), ast.StringTerm(purpose)))),
			ast.Item(ast.StringTerm("consents"), ast.ArrayTerm(terms...)),
		}
		if required != nil {
			input = append(input, ast.Item(ast.StringTerm("required_version_key"), required))
		}
		rs, err := prepared.Eval(ctx, rego.EvalParsedInput(ast.NewObject(input...)))
		if err != nil {
			return nil, fmt.Errorf("policies: stale consents for %s: %w", purpose, err)
		}
		if len(rs) != 1 || len(rs[0].Expressions) != 1 {
			return nil, fmt.Errorf("policies: stale consents for %s: the policy gave no answer", purpose)
		}
		ids, ok := rs[0].Expressions[0].Value.([]any)
		if !ok {
			return nil, fmt.Errorf("policies: stale consents for %s: the policy answered %T, want a set", purpose, rs[0].Expressions[0].Value)
		}
		for _, id := range ids {
			s, ok := id.(string)
			if !ok {
				return nil, fmt.Errorf("policies: stale consents for %s: the policy answered a subject of type %T", purpose, id)
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
