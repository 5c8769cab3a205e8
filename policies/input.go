package policies

import (
	"encoding/binary"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/subject"
)

// facts is everything a decision is made from besides the request: the
// state the engine read from the stores (checked to be the subject's, its
// times in range: gather), the controller's retention choices, and the
// moment judged. Go gathers facts and Rego alone turns them into a
// decision: nothing here concludes anything.
//
// Each fact reaches Rego through input (the one encoding OPA reads) and
// the cache through appendKey (everything but the moment judged, which the
// decision's validity window covers instead); TestEveryFactIsInTheKey
// holds the two to the same facts.
type facts struct {
	// at is the moment judged: the request's time, or the engine clock's
	// now when the request has none.
	at time.Time
	// replay marks an audit replay (Engine.Replay): state as recorded up
	// to at, never cached.
	replay  bool
	consent consent.State
	state   subject.State
	// choices holds the periods the subject's controller chose for the
	// requested leaves whose rules let it choose; nil when none applies.
	choices map[string]privacy.Period
	// transferConsent is the subject's consent to the transfer (Art.
	// 49(1)(a)), read only for a recipient whose derogation is
	// explicit_consent; nil otherwise.
	transferConsent *consent.State
}

// input hands OPA the request and the facts as an ast.Value, skipping the
// JSON round trip of a Go struct. Every field is present (empty when not
// given) except the recipient, which is absent for internal use:
//
//	{"request": {...}, "consent": {...}, "subject_state": {...}, "now_ns": N,
//	 "retention_overrides": {leaf: period},  (only when the controller chose)
//	 "transfer_consent": {"event", "expires_ns", "act", "guardian",
//	                      "collected_ns"}}  (only for a recipient whose
//	                      derogation is explicit_consent)
//
// Times are unix nanoseconds, 0 for none. consent.policy_version_key is the
// consent's version in the form whose string order is the version order
// (privacy.PolicyVersion.Key); subject_state.lifecycle maps each retention
// trigger that happened for the subject to its time;
// subject_state.objected_ns maps each purpose objected to to the time of
// the objection (0: unknown), and subject_state.assessments each purpose
// with an assessment of compelling grounds for the subject to
// {"by", "at_ns"} (Art. 21(1)).
func (f *facts) input(req *privacy.Request) ast.Value {
	s := req.Subject
	data := make([]*ast.Term, len(req.Data))
	for i, d := range req.Data {
		data[i] = strTerm(d)
	}
	reqItems := [][2]*ast.Term{
		ast.Item(inputKey("subject"), ast.ObjectTerm(
			ast.Item(inputKey("id"), strTerm(s.ID)),
			ast.Item(inputKey("kind"), strTerm(string(s.Kind))),
			ast.Item(inputKey("age"), ast.InternedTerm(s.Age)),
			ast.Item(inputKey("country"), strTerm(s.Country)),
			ast.Item(inputKey("controller"), strTerm(s.Controller)),
		)),
		ast.Item(inputKey("purpose"), strTerm(req.Purpose)),
		ast.Item(inputKey("data"), ast.ArrayTerm(data...)),
		ast.Item(inputKey("basis"), strTerm(string(req.Basis))),
		ast.Item(inputKey("automated_decision"), ast.InternedTerm(req.AutomatedDecision)),
		ast.Item(inputKey("encrypted_in_transit"), ast.InternedTerm(req.EncryptedInTransit)),
		ast.Item(inputKey("signals"), ast.ObjectTerm(
			ast.Item(inputKey("gpc"), ast.InternedTerm(req.Signals.GPC)),
		)),
	}
	if r := req.Recipient; r != nil {
		reqItems = append(reqItems, ast.Item(inputKey("recipient"), ast.ObjectTerm(
			ast.Item(inputKey("id"), strTerm(r.ID)),
			ast.Item(inputKey("kind"), strTerm(string(r.Kind))),
			ast.Item(inputKey("country"), strTerm(r.Country)),
			ast.Item(inputKey("dpa"), ast.InternedTerm(r.DPA)),
			ast.Item(inputKey("safeguard"), strTerm(string(r.Safeguard))),
			ast.Item(inputKey("sale"), ast.InternedTerm(r.Sale)),
			ast.Item(inputKey("certifications"), stringsTerm(r.Certifications)),
			ast.Item(inputKey("sector"), strTerm(r.Sector)),
			ast.Item(inputKey("jurisdiction"), strTerm(r.Jurisdiction)),
			ast.Item(inputKey("derogation"), strTerm(string(r.Derogation))),
			ast.Item(inputKey("occasional"), ast.InternedTerm(r.Occasional)),
			ast.Item(inputKey("inform_prohibited"), ast.InternedTerm(r.InformProhibited)),
		)))
	}

	consentItems := consentFacts(&f.consent)

	var objections []*ast.Term
	var objected [][2]*ast.Term
	dmObjection := false
	for _, o := range f.state.Objections {
		if o.DirectMarketing {
			dmObjection = true
		} else {
			objections = append(objections, strTerm(o.Purpose))
			objected = append(objected, ast.Item(strTerm(o.Purpose), ast.InternedTerm(int(unixNano(o.At)))))
		}
	}
	assessments := make([][2]*ast.Term, 0, len(f.state.Assessments))
	for _, a := range f.state.Assessments {
		assessments = append(assessments, ast.Item(strTerm(a.Purpose), ast.ObjectTerm(
			ast.Item(inputKey("by"), strTerm(a.By)),
			ast.Item(inputKey("at_ns"), ast.InternedTerm(int(unixNano(a.At)))),
		)))
	}

	items := [][2]*ast.Term{
		ast.Item(inputKey("request"), ast.ObjectTerm(reqItems...)),
		ast.Item(inputKey("consent"), ast.ObjectTerm(consentItems...)),
		ast.Item(inputKey("subject_state"), ast.ObjectTerm(
			ast.Item(inputKey("objections"), ast.ArrayTerm(objections...)),
			ast.Item(inputKey("objected_ns"), ast.ObjectTerm(objected...)),
			ast.Item(inputKey("assessments"), ast.ObjectTerm(assessments...)),
			ast.Item(inputKey("direct_marketing_objection"), ast.InternedTerm(dmObjection)),
			ast.Item(inputKey("restricted"), ast.InternedTerm(f.state.Restricted)),
			ast.Item(inputKey("deactivated"), ast.InternedTerm(f.state.Deactivated)),
			ast.Item(inputKey("lifecycle"), lifecycleTerm(f.state.Lifecycle)),
		)),
		ast.Item(inputKey("now_ns"), ast.InternedTerm(int(unixNano(f.at)))),
	}
	if tcs := f.transferConsent; tcs != nil {
		items = append(items, ast.Item(inputKey("transfer_consent"), ast.ObjectTerm(
			ast.Item(inputKey("event"), strTerm(string(tcs.Event))),
			ast.Item(inputKey("expires_ns"), ast.InternedTerm(int(unixNano(tcs.ExpiresAt)))),
			ast.Item(inputKey("act"), strTerm(string(tcs.Act))),
			ast.Item(inputKey("guardian"), ast.InternedTerm(tcs.Guardian)),
			ast.Item(inputKey("collected_ns"), ast.InternedTerm(int(unixNano(tcs.CollectedAt)))),
		)))
	}
	if len(f.choices) > 0 {
		choices := make([][2]*ast.Term, 0, len(f.choices))
		for leaf, p := range f.choices {
			choices = append(choices, ast.Item(strTerm(leaf), ast.NewTerm(ast.MustInterfaceToValue(periodData(p)))))
		}
		items = append(items, ast.Item(inputKey("retention_overrides"), ast.ObjectTerm(choices...)))
	}
	return ast.NewObject(items...)
}

// appendKey appends the canonical encoding of req and f without the moment
// judged (f.at and req.Time) to b: two decisions with the same encoding
// read the same facts but for the time, and the policy's validity window
// (valid_from, valid_until) says for which times the answer stands.
// Strings are length-prefixed and maps written in key order, so that no
// two different inputs share an encoding.
func (f *facts) appendKey(b []byte, generation uint64, req *privacy.Request) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	flag := func(v bool) {
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	ns := func(t time.Time) { b = binary.AppendVarint(b, unixNano(t)) }

	b = binary.LittleEndian.AppendUint64(b, generation)
	s := &req.Subject
	str(s.ID)
	str(string(s.Kind))
	b = binary.AppendVarint(b, int64(s.Age))
	str(s.Country)
	str(s.Controller)
	str(req.Purpose)
	b = binary.AppendUvarint(b, uint64(len(req.Data)))
	for _, d := range req.Data {
		str(d)
	}
	str(string(req.Basis))
	flag(req.AutomatedDecision)
	flag(req.EncryptedInTransit)
	flag(req.Signals.GPC)
	if r := req.Recipient; r != nil {
		b = append(b, 1)
		str(r.ID)
		str(string(r.Kind))
		str(r.Country)
		flag(r.DPA)
		str(string(r.Safeguard))
		flag(r.Sale)
		b = binary.AppendUvarint(b, uint64(len(r.Certifications)))
		for _, c := range r.Certifications {
			str(c)
		}
		str(r.Sector)
		str(r.Jurisdiction)
		str(string(r.Derogation))
		flag(r.Occasional)
		flag(r.InformProhibited)
	} else {
		b = append(b, 0)
	}

	cs := &f.consent
	str(string(cs.Event))
	str(string(cs.Act))
	flag(cs.Guardian)
	str(cs.PolicyVersion)
	ns(cs.CollectedAt)
	ns(cs.ExpiresAt)
	if tcs := f.transferConsent; tcs != nil {
		b = append(b, 1)
		str(string(tcs.Event))
		str(string(tcs.Act))
		ns(tcs.ExpiresAt)
		flag(tcs.Guardian)
		ns(tcs.CollectedAt)
	} else {
		b = append(b, 0)
	}

	ss := &f.state
	b = binary.AppendUvarint(b, uint64(len(ss.Objections)))
	for _, o := range ss.Objections {
		flag(o.DirectMarketing)
		str(o.Purpose)
		ns(o.At)
	}
	b = binary.AppendUvarint(b, uint64(len(ss.Assessments)))
	for _, a := range ss.Assessments {
		str(a.Purpose)
		str(a.By)
		ns(a.At)
	}
	flag(ss.Restricted)
	flag(ss.Deactivated)
	b = binary.AppendUvarint(b, uint64(len(ss.Lifecycle)))
	for tr := range inOrder(ss.Lifecycle) {
		str(string(tr))
		ns(ss.Lifecycle[tr])
	}
	b = binary.AppendUvarint(b, uint64(len(f.choices)))
	for leaf := range inOrder(f.choices) {
		p := f.choices[leaf]
		str(leaf)
		for _, n := range [...]int{p.Years, p.Months, p.Weeks, p.Days, p.Hours} {
			b = binary.AppendVarint(b, int64(n))
		}
	}
	return b
}

// inOrder yields the keys of a small map in increasing order without
// allocating (a map of a subject's triggers or a request's leaves holds a
// handful).
func inOrder[K ~string, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		var prev K
		for i := range len(m) {
			var next K
			found := false
			for k := range m {
				if (i == 0 || k > prev) && (!found || k < next) {
					next, found = k, true
				}
			}
			if !found || !yield(next) {
				return
			}
			prev = next
		}
	}
}

// inputKeys holds the input's object keys, built once: input builds its
// objects from these shared terms instead of allocating each key for every
// decision. OPA never modifies an input term.
var inputKeys = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, k := range []string{"act", "age", "assessments", "at_ns", "automated_decision", "basis", "by", "certifications", "collected_ns", "consent", "controller", "country", "data", "deactivated", "derogation", "direct_marketing_objection", "dpa", "encrypted_in_transit", "event", "expires_ns", "gpc", "guardian", "id", "inform_prohibited", "jurisdiction", "kind", "lifecycle", "now_ns", "objected_ns", "objections", "occasional", "policy_version_key", "policy_version_text", "purpose", "recipient", "request", "restricted", "retention_overrides", "safeguard", "sale", "sector", "signals", "subject", "subject_state", "transfer_consent"} {
		m[k] = ast.StringTerm(k)
	}
	return m
}()

// inputStrings holds, built once, the terms of the strings an input holds
// most often: the empty string (every field not given) and the values of
// the enumerations a request and a consent take theirs from.
var inputStrings = func() map[string]*ast.Term {
	m := map[string]*ast.Term{"": ast.StringTerm("")}
	add := func(s string) { m[s] = ast.StringTerm(s) }
	for _, k := range privacy.RecipientKinds() {
		add(string(k))
	}
	for _, d := range privacy.Derogations() {
		add(string(d))
	}
	for _, b := range lawfulbasis.All() {
		add(string(b))
	}
	for _, s := range []string{string(privacy.SubjectUser), string(privacy.SubjectGuest),
		string(consent.Given), string(consent.Withdrawn), string(consent.Refused), string(consent.Expired)} {
		add(s)
	}
	return m
}()

// strTerm is the term of a string of the input: a shared one for the
// strings of inputStrings, a new one otherwise. OPA never modifies an input
// term.
func strTerm(s string) *ast.Term {
	if t, ok := inputStrings[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// inputKey is the shared term of an input key.
func inputKey(k string) *ast.Term {
	t, ok := inputKeys[k]
	if !ok {
		panic("policies: input key " + k + " is not in inputKeys")
	}
	return t
}

func stringsTerm(list []string) *ast.Term {
	terms := make([]*ast.Term, len(list))
	for i, v := range list {
		terms[i] = strTerm(v)
	}
	return ast.ArrayTerm(terms...)
}

// lifecycleTerm gives the subject's retention trigger times as
// {trigger: unix nanoseconds}.
func lifecycleTerm(m map[privacy.Trigger]time.Time) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for tr, at := range m {
		if !at.IsZero() {
			items = append(items, ast.Item(ast.StringTerm(string(tr)), ast.InternedTerm(int(at.UnixNano()))))
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

// consentFacts are a consent state as the rules read it (input.consent,
// and each of input.consents for stale_subjects).
func consentFacts(cs *consent.State) [][2]*ast.Term {
	return [][2]*ast.Term{
		ast.Item(inputKey("event"), strTerm(string(cs.Event))),
		ast.Item(inputKey("guardian"), ast.InternedTerm(cs.Guardian)),
		ast.Item(inputKey("act"), strTerm(string(cs.Act))),
		ast.Item(inputKey("collected_ns"), ast.InternedTerm(int(unixNano(cs.CollectedAt)))),
		ast.Item(inputKey("expires_ns"), ast.InternedTerm(int(unixNano(cs.ExpiresAt)))),
		ast.Item(inputKey("policy_version_text"), strTerm(cs.PolicyVersion)),
		ast.Item(inputKey("policy_version_key"), strTerm(versionKey(cs.PolicyVersion))),
	}
}

// versionKey is the comparable form of a consent's policy version
// (privacy.PolicyVersion.Key). readConsent refuses a version that does not
// parse; the empty version (no consent) is older than any.
func versionKey(v string) string {
	pv, _ := privacy.ParsePolicyVersion(v)
	return pv.Key()
}
