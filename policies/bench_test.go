package policies

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/open-policy-agent/opa/v1/rego"
	_ "modernc.org/sqlite"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/subject"
)

// benchRequest is the newsletter request: the decision a marketing run asks
// for every customer.
var benchRequest = privacy.Request{
	Subject:   privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
	Purpose:   "marketing.announcements",
	Data:      []string{"instance.contact.email", "instance.account.username"},
	Recipient: &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true},
	Time:      time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
}

// BenchmarkDecisions measures one decision six ways in one run, so that the
// ratios in docs/benchmarks.md come from the same machine and load:
//
//   - raw_opa: PreparedEvalQuery.Eval of the engine's own prepared query on
//     the same input, prebuilt (the anchor);
//   - decide_uncached: Decide with WithCache(0) (state read, input built,
//     OPA evaluated, result decoded);
//   - decide_cached: Decide with the default cache;
//   - decide_cached_parallel: the same under RunParallel;
//   - handwritten_go: the same rule set written in Go (the floor);
//   - filter_sqlite_1M: Filter over 1,000,000 subjects read from SQLite
//     (run only when -bench selects it by name; the table is built once).
func BenchmarkDecisions(b *testing.B) {
	ctx := b.Context()
	consents, states := memory.NewConsentStore(), memory.NewStateStore()
	uncached, cached := benchEngines(b, consents, states)
	want, err := uncached.Decide(ctx, benchRequest)
	if err != nil || !want.Allowed {
		b.Fatalf("benchmark request: %v %v", want.Codes(), err)
	}

	b.Run("raw_opa", func(b *testing.B) {
		p := uncached.policy.Load()
		input := rego.EvalParsedInput((&facts{at: benchRequest.Time}).input(&benchRequest))
		b.ReportAllocs()
		for b.Loop() {
			rs, err := p.prepared.Eval(ctx, input)
			if err != nil || len(rs) != 1 {
				b.Fatal(rs, err)
			}
		}
	})
	decide := func(e *Engine) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d, err := e.Decide(ctx, benchRequest); err != nil || !d.Allowed {
					b.Fatal(d.Codes(), err)
				}
			}
		}
	}
	b.Run("decide_uncached", decide(uncached))
	b.Run("decide_cached", decide(cached))
	b.Run("decide_cached_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if d, err := cached.Decide(ctx, benchRequest); err != nil || !d.Allowed {
					b.Error(d.Codes(), err)
					return
				}
			}
		})
	})
	b.Run("handwritten_go", func(b *testing.B) {
		f := newFloor(privacy.DefaultCatalog())
		if diff := cmp.Diff(want, f.decide(&benchRequest, &subject.State{}), cmpopts.EquateEmpty()); diff != "" {
			b.Fatalf("the hand-written decision differs from the policy's (-want +got):\n%s", diff)
		}
		b.ReportAllocs()
		for b.Loop() {
			if d := f.decide(&benchRequest, &subject.State{}); !d.Allowed {
				b.Fatal(d.Codes())
			}
		}
	})
	for _, n := range []int{100_000, 1_000_000} {
		name := fmt.Sprintf("filter_sqlite_%dk", n/1000)
		b.Run(name, func(b *testing.B) {
			if !strings.Contains(flagValue("test.bench"), "filter") {
				b.Skip("builds a table of 1,000,000 subjects: select it with -bench 'Decisions/filter'")
			}
			db := subjectsDB(b, 1_000_000)
			// One subject in a hundred objected to direct marketing.
			objectOnce.Do(func() {
				for i := 0; i < 1_000_000; i += 100 {
					if err := subject.ObjectToDirectMarketing(ctx, states, subjectID(i)); err != nil {
						b.Fatal(err)
					}
				}
			})
			tmpl := benchRequest
			tmpl.Subject = privacy.Subject{}
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				allowed := countAllowed(b, cached.Filter(ctx, tmpl, scanSubjects(ctx, db, n)), n, &peak)
				if allowed != n-n/100 {
					b.Fatalf("%d of %d allowed, want all but the 1%% who objected", allowed, n)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// countAllowed counts the allowed subjects of a Filter run over n
// subjects, and raises peak to the heap in use, sampled every tenth of
// the run.
func countAllowed(b *testing.B, results iter.Seq2[FilterResult, error], n int, peak *uint64) int {
	allowed, seen := 0, 0
	for r, err := range results {
		if err != nil {
			b.Fatal(err)
		}
		if r.Decision.Allowed {
			allowed++
		}
		if seen++; seen%max(n/10, 1) == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
		}
	}
	return allowed
}

// BenchmarkStateReads measures decisions that read consent and subject
// state from a SQLite file, directly and through a stateview.View, with
// and without the decision cache: what the view saves on every decision.
// The request is a survey of a subject who consented, so both stores are
// read.
func BenchmarkStateReads(b *testing.B) {
	ctx := b.Context()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "privacy.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	req := privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
		Purpose: "research.surveys",
		Data:    []string{"instance.contact.email"},
		Time:    benchRequest.Time,
	}
	if _, err := consent.Grant(ctx, db.ConsentStore(), privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: req.Purpose,
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: req.Time.Add(-time.Hour)}); err != nil {
		b.Fatal(err)
	}
	if err := subject.RecordLifecycle(ctx, db.StateStore(), "u-1", privacy.TriggerLastActivity, req.Time.Add(-time.Hour)); err != nil {
		b.Fatal(err)
	}
	view := db.View()
	for _, src := range []struct {
		name     string
		consents consent.Reader
		subjects subject.StateReader
	}{
		{"sqlite", db.ConsentStore(), db.StateStore()},
		{"sqlite_view", view.Consents(), view.Subjects()},
	} {
		for _, size := range []int{0, DefaultCacheSize} {
			e, err := New(ctx, WithConsents(src.consents), WithSubjects(src.subjects), WithCache(size))
			if err != nil {
				b.Fatal(err)
			}
			name := src.name + "/decide_cached"
			if size == 0 {
				name = src.name + "/decide_uncached"
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if d, err := e.Decide(ctx, req); err != nil || !d.Allowed {
						b.Fatal(d.Codes(), err)
					}
				}
			})
			if size == 0 {
				continue
			}
			b.Run(src.name+"/decide_cached_parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if d, err := e.Decide(ctx, req); err != nil || !d.Allowed {
							b.Error(d.Codes(), err)
							return
						}
					}
				})
			})
		}
	}
}

// benchEngines returns two engines over the same stores: one with the
// cache off and one with the default cache.
func benchEngines(b *testing.B, consents consent.Reader, states subject.StateReader) (uncached, cached *Engine) {
	engine := func(opts ...Option) *Engine {
		e, err := New(b.Context(), append(opts, WithConsents(consents), WithSubjects(states))...)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	return engine(WithCache(0)), engine()
}

func flagValue(name string) string {
	for _, a := range os.Args {
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return strings.ToLower(v)
		}
	}
	return ""
}

func subjectID(i int) string { return fmt.Sprintf("c-%07d", i) }

var (
	subjectsOnce sync.Once
	subjectsPath string
	subjectsErr  error
	objectOnce   sync.Once
)

// subjectsDB opens a SQLite database of n customers, built on first use
// with multi-row inserts in one transaction and kept for the process.
func subjectsDB(b *testing.B, n int) *sql.DB {
	subjectsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "privacy-bench-")
		if err != nil {
			subjectsErr = err
			return
		}
		subjectsPath = filepath.Join(dir, "subjects.db")
		subjectsErr = buildSubjects(subjectsPath, n)
	})
	if subjectsErr != nil {
		b.Fatal(subjectsErr)
	}
	db, err := sql.Open("sqlite", subjectsPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func buildSubjects(path string, n int) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
		CREATE TABLE subjects (id TEXT PRIMARY KEY, kind TEXT NOT NULL, age INTEGER NOT NULL, country TEXT NOT NULL, controller TEXT NOT NULL)`); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const batch = 500
	countries := []string{"NL", "NL", "DE", "FR", "BE", "US"}
	var (
		q    strings.Builder
		args []any
	)
	for i := 0; i < n; i += batch {
		q.Reset()
		args = args[:0]
		q.WriteString("INSERT INTO subjects VALUES ")
		for j := i; j < min(i+batch, n); j++ {
			if j > i {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?)")
			age := 18 + j%60
			if j%50 == 0 {
				age = 0 // unknown
			}
			args = append(args, subjectID(j), "user", age, countries[j%len(countries)], "")
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// scanSubjects streams the customers table, one row at a time.
func scanSubjects(ctx context.Context, db *sql.DB, limit int) iter.Seq2[privacy.Subject, error] {
	return func(yield func(privacy.Subject, error) bool) {
		rows, err := db.QueryContext(ctx, `SELECT id, kind, age, country, controller FROM subjects ORDER BY id LIMIT ?`, limit)
		if err != nil {
			yield(privacy.Subject{}, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var s privacy.Subject
			if err := rows.Scan(&s.ID, &s.Kind, &s.Age, &s.Country, &s.Controller); err != nil {
				yield(privacy.Subject{}, err)
				return
			}
			if !yield(s, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(privacy.Subject{}, err)
		}
	}
}

// floor is the decision of the reference catalog's purpose, category,
// basis, rights and recipient rules written by hand in Go: what a decision
// costs with no policy engine at all. It serves the benchmark only; the
// Rego policy stays the source of truth.
type floor struct {
	version  string
	purposes map[string]*floorPurpose
	eea      map[string]bool
	clauses  map[string]string
}

type floorPurpose struct {
	p          *privacy.Purpose
	subjects   map[privacy.SubjectKind]bool
	leaves     map[string]bool
	recipients map[privacy.RecipientKind]bool
}

func newFloor(c *privacy.Catalog) *floor {
	f := &floor{version: c.PolicyVersion, purposes: map[string]*floorPurpose{}, eea: map[string]bool{}, clauses: c.Clauses}
	for _, k := range c.Transfers.EEA {
		f.eea[k] = true
	}
	for i := range c.Purposes {
		p := &c.Purposes[i]
		fp := &floorPurpose{p: p, subjects: map[privacy.SubjectKind]bool{}, leaves: map[string]bool{}, recipients: map[privacy.RecipientKind]bool{}}
		for _, k := range p.Subjects {
			fp.subjects[k] = true
		}
		for _, cat := range p.Categories {
			for _, l := range c.Leaves(cat) {
				fp.leaves[l] = true
			}
		}
		for _, k := range p.Recipients {
			fp.recipients[k] = true
		}
		f.purposes[p.Key] = fp
	}
	return f
}

func (f *floor) decide(req *privacy.Request, ss *subject.State) privacy.Decision {
	deny := func(code string) privacy.Decision {
		return privacy.Decision{Reasons: []privacy.Reason{{Code: code}}, PolicyVersion: f.version}
	}
	fp := f.purposes[req.Purpose]
	switch {
	case fp == nil:
		return deny("purpose.undeclared")
	case !fp.subjects[req.Subject.Kind]:
		return deny("purpose.subject_not_covered")
	}
	for _, d := range req.Data {
		if !fp.leaves[d] {
			return deny("purpose.category_not_permitted")
		}
	}
	bases := fp.p.BasesFor(req.Subject.Kind)
	basis := bases[0]
	if basis == lawfulbasis.LegitimateInterests {
		if fp.p.LIA == nil {
			return deny("legitimate_interests.no_assessment")
		}
		if req.Subject.Age > 0 && req.Subject.Age < 18 && !fp.p.LIA.CoversChildren {
			return deny("legitimate_interests.child")
		}
	}
	if fp.p.DirectMarketing && (req.Signals.GPC || ss.ObjectsTo(req.Purpose, true)) {
		return deny("objection.active")
	}
	if ss.Restricted && !fp.p.Legal {
		return deny("restriction.active")
	}
	if ss.Deactivated && !fp.p.Legal {
		return deny("subject.deactivated")
	}
	d := privacy.Decision{Allowed: true, Basis: basis, PolicyVersion: f.version}
	if fp.p.DirectMarketing {
		d.Obligations = append(d.Obligations, privacy.Obligation{Code: "include_unsubscribe", Article: obligationArticle("include_unsubscribe"), Message: "include a working unsubscribe link in every message"})
	}
	if r := req.Recipient; r != nil {
		switch {
		case !fp.recipients[r.Kind]:
			return deny("disclosure.recipient_not_permitted")
		case (r.Kind == privacy.RecipientProcessor || r.Kind == privacy.RecipientAffiliate) && !r.DPA:
			return deny("disclosure.processor_without_dpa")
		case !f.eea[r.Country] && r.Safeguard == "":
			return deny("transfer.no_safeguard")
		}
		d.Obligations = append(d.Obligations, privacy.Obligation{Code: "log_disclosure", Article: obligationArticle("log_disclosure"),
			Message: "log the disclosure to " + string(r.Kind) + " " + `"` + r.ID + `"` + " for the subject's right of access"})
	}
	return d
}
