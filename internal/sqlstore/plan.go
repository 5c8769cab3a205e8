package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/plan"
	"github.com/privacykit/privacy/subject"
)

var _ plan.Matcher = (*ConsentStore)(nil)

// MatchPlan evaluates the plan's condition for the batch in one query: the
// batch is one bound parameter (JSON), the condition a WHERE clause over
// the ledger's latest record of each subject for the plan's purpose at its
// time and the subject-state tables, with every constant bound as a
// parameter; only the column expressions of planFacts are written into
// the text. SQL's three-valued logic is the plan's: NULL is Unknown. A fact
// SQL cannot compare is Unknown. A consent's policy version, whose order
// is privacy.PolicyVersion's and not the text's, is compared in Go: a
// first query reads the distinct versions of the batch's records for the
// purpose, and a comparison becomes a test of membership in the versions
// for which it holds, and in those for which it does not (a version
// recorded in between is in neither: Unknown). states must be a
// StateStore of the same database (ok false otherwise).
func (s *ConsentStore) MatchPlan(ctx context.Context, states subject.StateReader, p *plan.Plan, batch []plan.Subject, fn func(i int, t plan.Truth)) (bool, error) {
	st, ok := states.(*StateStore)
	if !ok || st.db != s.db {
		return false, nil
	}
	if len(batch) == 0 {
		return true, nil
	}
	type row struct {
		I       int    `json:"i"`
		ID      string `json:"id"`
		Age     int64  `json:"age"`
		Country string `json:"country"`
	}
	rows := make([]row, len(batch))
	for i, b := range batch {
		rows[i] = row{I: i, ID: b.ID, Age: int64(b.Age), Country: b.Country}
	}
	js, err := json.Marshal(rows)
	if err != nil {
		return true, err
	}
	w := &where{d: s.d, args: []any{string(js)}, consent: p.ReadsConsent}
	if p.ReadsConsent && readsFact(&p.Cond, plan.ConsentVersionKey) {
		if w.versions, err = s.batchVersions(ctx, string(js), p.Purpose); err != nil {
			return true, err
		}
	}
	var purpose, at string
	if p.ReadsConsent {
		purpose, at = w.bind(p.Purpose), w.bind(clampNanos(p.At))
	}
	cond := w.cond(&p.Cond)
	q := s.d.batchSource() + `
SELECT b.i, CASE WHEN ` + cond + ` THEN 1 ELSE 2 END
FROM b
LEFT JOIN privacy_subject_states s ON s.subject_id = b.id`
	if p.ReadsConsent {
		q += `
LEFT JOIN privacy_consent_records c ON c.seq = (
	SELECT r.seq FROM privacy_consent_records r
	WHERE r.subject_id = b.id AND r.purpose = ` + purpose + ` AND r.collected_at <= ` + at + `
	ORDER BY r.collected_at DESC, r.seq DESC LIMIT 1)`
	}
	q += `
WHERE (` + cond + `) IS NOT FALSE`
	res, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return true, fmt.Errorf("match plan: %w", s.d.translate(err))
	}
	defer res.Close()
	for res.Next() {
		var i, t int
		if err := res.Scan(&i, &t); err != nil {
			return true, fmt.Errorf("match plan: %w", s.d.translate(err))
		}
		if i < 0 || i >= len(batch) {
			return true, fmt.Errorf("match plan: row %d outside the batch", i)
		}
		if t == 1 {
			fn(i, plan.True)
		} else {
			fn(i, plan.Unknown)
		}
	}
	if err := res.Err(); err != nil {
		return true, fmt.Errorf("match plan: %w", s.d.translate(err))
	}
	return true, nil
}

// maxPlanVersions bounds the distinct policy versions a batch's records
// may carry for the comparisons of versions to be written as lists of
// parameters; with more they are Unknown.
const maxPlanVersions = 64

// batchVersions returns the distinct policy versions of the records of
// the batch's subjects for purpose, and "" (no consent); nil when there
// are more than maxPlanVersions.
func (s *ConsentStore) batchVersions(ctx context.Context, batch, purpose string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.d.batchSource()+`
SELECT DISTINCT r.policy_version FROM privacy_consent_records r
WHERE r.purpose = $2 AND r.subject_id IN (SELECT id FROM b)
LIMIT `+strconv.Itoa(maxPlanVersions+1), batch, purpose)
	if err != nil {
		return nil, fmt.Errorf("match plan: %w", s.d.translate(err))
	}
	defer rows.Close()
	out := []string{""}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("match plan: %w", s.d.translate(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("match plan: %w", s.d.translate(err))
	}
	if len(out) > maxPlanVersions+1 {
		return nil, nil
	}
	return out, nil
}

// readsFact reports whether c compares fact f.
func readsFact(c *plan.Cond, f plan.Fact) bool {
	if c.Fact == f {
		return true
	}
	for i := range c.Args {
		if readsFact(&c.Args[i], f) {
			return true
		}
	}
	return false
}

// versionCond writes a comparison of the consent's policy version as the
// membership of its text in the versions of the batch for which the
// comparison holds (TRUE), or does not (FALSE), decided in Go by
// plan.Eval on the version's key; NULL for a version in neither (recorded
// after the versions were read) or that does not parse, which the
// subject's Decide reports.
func (w *where) versionCond(c *plan.Cond) string {
	var yes, no []string
	for _, v := range w.versions {
		if v != "" && !privacy.ValidVersion(v) {
			continue
		}
		switch plan.Eval(c, &plan.Facts{Consent: consent.State{PolicyVersion: v}}) {
		case plan.True:
			yes = append(yes, v)
		case plan.False:
			no = append(no, v)
		}
	}
	if len(yes) == 0 && len(no) == 0 {
		return sqlUnknown
	}
	in := func(list []string) string {
		ps := make([]string, len(list))
		for i, v := range list {
			ps[i] = w.bind(v)
		}
		return "COALESCE(c.policy_version, '') IN (" + strings.Join(ps, ", ") + ")"
	}
	q := "(CASE"
	if len(yes) > 0 {
		q += " WHEN " + in(yes) + " THEN TRUE"
	}
	if len(no) > 0 {
		q += " WHEN " + in(no) + " THEN FALSE"
	}
	return q + " ELSE " + sqlUnknown + " END)"
}

// batchSource is the WITH clause that makes the JSON batch ($1) a table b
// (i, id, age, country).
func (d Dialect) batchSource() string {
	if d.name == "postgres" {
		return `WITH b AS (SELECT x.i, x.id, x.age, x.country FROM jsonb_to_recordset($1::jsonb) AS x(i integer, id text, age bigint, country text))`
	}
	return `WITH b(i, id, age, country) AS (SELECT json_extract(value, '$.i'), json_extract(value, '$.id'), json_extract(value, '$.age'), json_extract(value, '$.country') FROM json_each($1))`
}

// planFacts are the SQL expressions of the facts, over b (the batch), s
// (the subject's state row) and c (the consent record in force). A fact
// not here is Unknown.
var planFacts = map[plan.Fact]string{
	plan.ConsentEvent:     `COALESCE(c.event, '')`,
	plan.ConsentAct:       `COALESCE(c.act, '')`,
	plan.ConsentGuardian:  `COALESCE(c.guardian, FALSE)`,
	plan.ConsentCollected: `COALESCE(c.collected_at, 0)`,
	plan.ConsentExpires:   `COALESCE(c.expires_at, 0)`,
	plan.Restricted:       `COALESCE(s.restricted, FALSE)`,
	plan.Deactivated:      `COALESCE(s.deactivated, FALSE)`,
	plan.DirectMarketingObjection: `EXISTS (SELECT 1 FROM privacy_subject_objections o
		WHERE o.subject_id = b.id AND o.direct_marketing)`,
	plan.Age:     `b.age`,
	plan.Country: `b.country`,
}

// zeroConsent are the consent facts of a plan that reads no consent: the
// zero state's.
var zeroConsent = map[plan.Fact]bool{
	plan.ConsentEvent: true, plan.ConsentAct: true, plan.ConsentGuardian: true,
	plan.ConsentCollected: true, plan.ConsentExpires: true, plan.ConsentVersionKey: true,
}

var sqlOps = map[plan.Op]string{plan.OpEq: "=", plan.OpNe: "<>", plan.OpLt: "<", plan.OpLe: "<=", plan.OpGt: ">", plan.OpGe: ">="}

// where writes a condition as a boolean SQL expression, binding every
// constant as a parameter.
type where struct {
	d       Dialect
	args    []any
	consent bool
	// versions are the policy versions of the batch's consent records
	// (versionCond).
	versions []string
}

func (w *where) bind(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

const sqlUnknown = `CAST(NULL AS BOOLEAN)`

func (w *where) cond(c *plan.Cond) string {
	switch c.Op {
	case plan.OpTrue:
		return "TRUE"
	case plan.OpFalse:
		return "FALSE"
	case plan.OpUnknown:
		return sqlUnknown
	case plan.OpAnd, plan.OpOr:
		parts := make([]string, len(c.Args))
		for i := range c.Args {
			parts[i] = w.cond(&c.Args[i])
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(string(c.Op))+" ") + ")"
	case plan.OpNot:
		return "(NOT " + w.cond(&c.Args[0]) + ")"
	case plan.OpObjects:
		return `EXISTS (SELECT 1 FROM privacy_subject_objections o
		WHERE o.subject_id = b.id AND NOT o.direct_marketing AND o.purpose = ` + w.bind(c.Value) + `)`
	case plan.OpHasTrigger:
		return `EXISTS (SELECT 1 FROM privacy_subject_lifecycle l
		WHERE l.subject_id = b.id AND l.event = ` + w.bind(c.Value) + `)`
	}
	if zeroConsent[c.Fact] && !w.consent {
		// The zero consent is known: compare in Go.
		return w.truth(plan.Eval(c, &plan.Facts{}))
	}
	if c.Fact == plan.ConsentVersionKey {
		return w.versionCond(c)
	}
	col, ok := planFacts[c.Fact]
	if !ok {
		return sqlUnknown
	}
	switch c.Op {
	case plan.OpIn:
		list, _ := c.Value.([]string)
		if len(list) == 0 {
			return "FALSE"
		}
		ps := make([]string, len(list))
		for i, v := range list {
			ps[i] = w.bind(v)
		}
		return "(" + col + " IN (" + strings.Join(ps, ", ") + "))"
	}
	op, ok := sqlOps[c.Op]
	if !ok {
		return sqlUnknown
	}
	switch c.Value.(type) {
	case string, int64, bool:
	default:
		return sqlUnknown
	}
	return "(" + col + " " + op + " " + w.bind(c.Value) + ")"
}

// truth writes a truth known in Go.
func (w *where) truth(t plan.Truth) string {
	switch t {
	case plan.True:
		return "TRUE"
	case plan.False:
		return "FALSE"
	}
	return sqlUnknown
}
