package policies

import (
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

// buildInput hands OPA the request and the state the engine gathered as an
// ast.Value, skipping the JSON round trip of a Go struct. Every field is
// present (empty when not given) except the recipient, which is absent for
// internal use.
//
//	{"request": {...}, "consent": {...}, "subject_state": {...}, "now_ns": N,
//	 "retention_overrides": {leaf: period},  (only when the controller chose)
//	 "transfer_consent": {"event", "expires_ns", "act"}}  (only for a
//	                     recipient whose derogation is explicit_consent)
//
// subject_state.lifecycle maps each retention trigger that happened for
// the subject to its time in unix nanoseconds.
func buildInput(req *privacy.Request, cs *consent.State, ss *subject.State, ch map[string]privacy.Period, tcs *consent.State, at time.Time) ast.Value {
	s := req.Subject
	data := make([]*ast.Term, len(req.Data))
	for i, d := range req.Data {
		data[i] = ast.StringTerm(d)
	}
	reqItems := [][2]*ast.Term{
		ast.Item(ast.StringTerm("subject"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("id"), ast.StringTerm(s.ID)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(string(s.Kind))),
			ast.Item(ast.StringTerm("age"), ast.IntNumberTerm(s.Age)),
			ast.Item(ast.StringTerm("country"), ast.StringTerm(s.Country)),
			ast.Item(ast.StringTerm("controller"), ast.StringTerm(s.Controller)),
		)),
		ast.Item(ast.StringTerm("purpose"), ast.StringTerm(req.Purpose)),
		ast.Item(ast.StringTerm("data"), ast.ArrayTerm(data...)),
		ast.Item(ast.StringTerm("basis"), ast.StringTerm(string(req.Basis))),
		ast.Item(ast.StringTerm("automated_decision"), ast.BooleanTerm(req.AutomatedDecision)),
		ast.Item(ast.StringTerm("encrypted_in_transit"), ast.BooleanTerm(req.EncryptedInTransit)),
		ast.Item(ast.StringTerm("signals"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("gpc"), ast.BooleanTerm(req.Signals.GPC)),
		)),
	}
	if r := req.Recipient; r != nil {
		reqItems = append(reqItems, ast.Item(ast.StringTerm("recipient"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("id"), ast.StringTerm(r.ID)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(string(r.Kind))),
			ast.Item(ast.StringTerm("country"), ast.StringTerm(r.Country)),
			ast.Item(ast.StringTerm("dpa"), ast.BooleanTerm(r.DPA)),
			ast.Item(ast.StringTerm("safeguard"), ast.StringTerm(string(r.Safeguard))),
			ast.Item(ast.StringTerm("sale"), ast.BooleanTerm(r.Sale)),
			ast.Item(ast.StringTerm("certifications"), stringsTerm(r.Certifications)),
			ast.Item(ast.StringTerm("sector"), ast.StringTerm(r.Sector)),
			ast.Item(ast.StringTerm("jurisdiction"), ast.StringTerm(r.Jurisdiction)),
			ast.Item(ast.StringTerm("derogation"), ast.StringTerm(string(r.Derogation))),
			ast.Item(ast.StringTerm("occasional"), ast.BooleanTerm(r.Occasional)),
			ast.Item(ast.StringTerm("inform_prohibited"), ast.BooleanTerm(r.InformProhibited)),
		)))
	}

	consentItems := [][2]*ast.Term{
		ast.Item(ast.StringTerm("event"), ast.StringTerm(string(cs.Event))),
		ast.Item(ast.StringTerm("guardian"), ast.BooleanTerm(cs.Guardian)),
		ast.Item(ast.StringTerm("act"), ast.StringTerm(string(cs.Act))),
		ast.Item(ast.StringTerm("collected_ns"), ast.IntNumberTerm(int(unixNano(cs.CollectedAt)))),
		ast.Item(ast.StringTerm("expires_ns"), ast.IntNumberTerm(int(unixNano(cs.ExpiresAt)))),
		ast.Item(ast.StringTerm("policy_version_text"), ast.StringTerm(cs.PolicyVersion)),
		ast.Item(ast.StringTerm("policy_version_key"), ast.StringTerm(versionKey(cs.PolicyVersion))),
	}

	var objections []*ast.Term
	dmObjection := false
	for _, o := range ss.Objections {
		if o.DirectMarketing {
			dmObjection = true
		} else {
			objections = append(objections, ast.StringTerm(o.Purpose))
		}
	}

	items := [][2]*ast.Term{
		ast.Item(ast.StringTerm("request"), ast.ObjectTerm(reqItems...)),
		ast.Item(ast.StringTerm("consent"), ast.ObjectTerm(consentItems...)),
		ast.Item(ast.StringTerm("subject_state"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("objections"), ast.ArrayTerm(objections...)),
			ast.Item(ast.StringTerm("direct_marketing_objection"), ast.BooleanTerm(dmObjection)),
			ast.Item(ast.StringTerm("restricted"), ast.BooleanTerm(ss.Restricted)),
			ast.Item(ast.StringTerm("deactivated"), ast.BooleanTerm(ss.Deactivated)),
			ast.Item(ast.StringTerm("lifecycle"), lifecycleTerm(ss.Lifecycle)),
		)),
		ast.Item(ast.StringTerm("now_ns"), ast.IntNumberTerm(int(unixNano(at)))),
	}
	if tcs != nil {
		items = append(items, ast.Item(ast.StringTerm("transfer_consent"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("event"), ast.StringTerm(string(tcs.Event))),
			ast.Item(ast.StringTerm("expires_ns"), ast.IntNumberTerm(int(unixNano(tcs.ExpiresAt)))),
			ast.Item(ast.StringTerm("act"), ast.StringTerm(string(tcs.Act))),
		)))
	}
	if len(ch) > 0 {
		choices := make([][2]*ast.Term, 0, len(ch))
		for leaf, p := range ch {
			choices = append(choices, ast.Item(ast.StringTerm(leaf), ast.NewTerm(ast.MustInterfaceToValue(periodData(p)))))
		}
		items = append(items, ast.Item(ast.StringTerm("retention_overrides"), ast.ObjectTerm(choices...)))
	}
	return ast.NewObject(items...)
}

func stringsTerm(list []string) *ast.Term {
	terms := make([]*ast.Term, len(list))
	for i, v := range list {
		terms[i] = ast.StringTerm(v)
	}
	return ast.ArrayTerm(terms...)
}

// lifecycleTerm gives the subject's retention trigger times as
// {trigger: unix nanoseconds}.
func lifecycleTerm(m map[privacy.Trigger]time.Time) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for tr, at := range m {
		if !at.IsZero() {
			items = append(items, ast.Item(ast.StringTerm(string(tr)), ast.IntNumberTerm(int(at.UnixNano()))))
		}
	}
	return ast.ObjectTerm(items...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// versionKey is the comparable form of a consent's policy version
// (privacy.Version.Key); a version that does not parse is the empty
// version, older than any, so that it can only be stale.
func versionKey(v string) string {
	pv, _ := privacy.ParsePolicyVersion(v)
	return pv.Key()
}
