package policies

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/subject"
)

// BenchmarkAudience lists the audience of the newsletter (benchRequest)
// among n subjects whose state is in a SQLite file or a PostgreSQL
// database, two ways in one run: "plan", Filter going by the plan (one
// query per thousand subjects), and "per_subject", Filter deciding every
// subject with Decide (the consent store's plan.Matcher hidden). One
// subject in a hundred objected to direct marketing, one in a thousand
// restricted processing. It reports the peak heap (MiB) sampled every
// tenth of the run.
//
// The surveys_ runs list the audience of a consent purpose
// (surveyRequest: research.surveys, maximum age 24 months, consent
// version 1.2) among the same subjects, six in ten of whom gave a consent
// in force (under 1.2, 1.2.0 or 1.10, a day or 23 months ago) and three
// in ten one that is not (withdrawn, under 1.0, 25 months ago).
//
// The 10k sizes run by default; the 1M sizes only when -bench names
// them ('Audience/.*1M'), since their stores take minutes to fill.
// PostgreSQL runs with PRIVACY_TEST_POSTGRES_DSN set.
func BenchmarkAudience(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		size := fmt.Sprintf("%dk", n/1000)
		if n >= 1_000_000 {
			size = fmt.Sprintf("%dM", n/1_000_000)
		}
		for _, purpose := range []string{"", "surveys_"} {
			for _, store := range []string{"sqlite", "postgres"} {
				b.Run(purpose+store+"_"+size, func(b *testing.B) {
					if n >= 1_000_000 && !strings.Contains(flagValue("test.bench"), "1m") {
						b.Skip("fills a store with 1,000,000 subjects: select it with -bench 'Audience/.*1M'")
					}
					consents, states := audienceStores(b, store, n)
					if purpose == "" {
						benchAudience(b, consents, states, benchRequest, n, n-n/100-n/1000)
						return
					}
					surveyConsents(b, consents, n)
					benchAudience(b, consents, states, surveyRequest, n, 6*(n/10))
				})
			}
		}
	}
}

// surveyRequest sends a survey to the mailer: a purpose on consent.
var surveyRequest = privacy.Request{
	Purpose:   "research.surveys",
	Data:      []string{"instance.contact.email"},
	Recipient: &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "NL", DPA: true},
}

// surveyConsents records the survey consents of the n subjects, by the
// last digit of their number: 0 none; 1 withdrawn; 2 under 1.0 (stale);
// 3 given 25 months ago (renewal due); 4 under 1.10 and 5 under 1.2.0
// (in force); 6 given 23 months ago; 7–9 given a day ago.
func surveyConsents(b *testing.B, consents consent.Ledger, n int) {
	ctx := context.Background()
	now := time.Now().UTC()
	var batch []consent.Record
	for i := range n {
		d := i % 10
		if d == 0 {
			continue
		}
		rec := consent.Record{SubjectID: subjectID(i), Purpose: surveyRequest.Purpose, Event: consent.Given, PolicyVersion: "1.2",
			Method: "web_form", Act: consent.ActButton, CollectedAt: now.Add(-24 * time.Hour)}
		switch d {
		case 1:
			rec.Event = consent.Withdrawn
		case 2:
			rec.PolicyVersion = "1.0"
		case 3:
			rec.CollectedAt = now.AddDate(0, -25, 0)
		case 4:
			rec.PolicyVersion = "1.10"
		case 5:
			rec.PolicyVersion = "1.2.0"
		case 6:
			rec.CollectedAt = now.AddDate(0, -23, 0)
		}
		batch = append(batch, rec)
		if len(batch) == 1000 || i == n-1 {
			if _, err := consents.AppendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if _, err := consents.AppendBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// hiddenMatcher is a consent reader without plan.Matcher: Filter decides
// subject by subject.
type hiddenMatcher struct{ consent.Reader }

func audienceStores(b *testing.B, store string, n int) (consent.Ledger, subject.StateStore) {
	ctx := context.Background()
	var (
		consents consent.Ledger
		states   subject.StateStore
	)
	switch store {
	case "sqlite":
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "privacy.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		consents, states = db.ConsentStore(), db.StateStore()
	case "postgres":
		db, err := postgres.Open(ctx, pgtest.DSN(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		consents, states = db.ConsentStore(), db.StateStore()
	}
	for i := 0; i < n; i += 100 {
		if err := subject.ObjectToDirectMarketing(ctx, states, subjectID(i)); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			if err := subject.SetRestricted(ctx, states, subjectID(i+50), true); err != nil {
				b.Fatal(err)
			}
		}
	}
	return consents, states
}

// audience yields n adult and unknown-age customers in five countries,
// made on the fly: the population costs no memory.
func audience(n int) iter.Seq2[privacy.Subject, error] {
	countries := []string{"NL", "NL", "DE", "FR", "BE", "US"}
	return func(yield func(privacy.Subject, error) bool) {
		for j := range n {
			age := 18 + j%60
			if j%50 == 0 {
				age = 0
			}
			if !yield(privacy.Subject{ID: subjectID(j), Kind: privacy.SubjectUser, Age: age, Country: countries[j%len(countries)]}, nil) {
				return
			}
		}
	}
}

// benchAudience lists the audience of tmpl among n subjects both ways;
// want is how many the policy allows.
func benchAudience(b *testing.B, consents consent.Ledger, states subject.StateStore, tmpl privacy.Request, n, want int) {
	ctx := context.Background()
	for _, way := range []string{"plan", "per_subject"} {
		var reader consent.Reader = consents
		if way == "per_subject" {
			reader = hiddenMatcher{consents}
		}
		e, err := New(ctx, WithConsents(reader), WithSubjects(states))
		if err != nil {
			b.Fatal(err)
		}
		tmpl := tmpl
		tmpl.Subject = privacy.Subject{}
		tmpl.Time = time.Time{} // now: the moment the run starts
		b.Run(way, func(b *testing.B) {
			var peak uint64
			b.ReportAllocs()
			for b.Loop() {
				allowed := countAllowed(b, e.Filter(ctx, tmpl, audience(n)), n, &peak)
				if allowed != want {
					b.Fatalf("%d of %d allowed, want %d", allowed, n, want)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
