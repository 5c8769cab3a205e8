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
// The 10k sizes run by default; the 1M sizes only when -bench names
// them ('Audience/.*1M'), since their stores take minutes to fill.
// PostgreSQL runs with PRIVACY_TEST_POSTGRES_DSN set.
func BenchmarkAudience(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		size := fmt.Sprintf("%dk", n/1000)
		if n >= 1_000_000 {
			size = fmt.Sprintf("%dM", n/1_000_000)
		}
		for _, store := range []string{"sqlite", "postgres"} {
			b.Run(store+"_"+size, func(b *testing.B) {
				if n >= 1_000_000 && !strings.Contains(flagValue("test.bench"), "1m") {
					b.Skip("fills a store with 1,000,000 subjects: select it with -bench 'Audience/.*1M'")
				}
				consents, states := audienceStores(b, store, n)
				benchAudience(b, consents, states, n)
			})
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

func benchAudience(b *testing.B, consents consent.Ledger, states subject.StateStore, n int) {
	ctx := context.Background()
	want := n - n/100 - n/1000
	for _, way := range []string{"plan", "per_subject"} {
		var reader consent.Reader = consents
		if way == "per_subject" {
			reader = hiddenMatcher{consents}
		}
		e, err := New(ctx, WithConsents(reader), WithSubjects(states))
		if err != nil {
			b.Fatal(err)
		}
		tmpl := benchRequest
		tmpl.Subject = privacy.Subject{}
		tmpl.Time = time.Time{} // now: the moment the run starts
		b.Run(way, func(b *testing.B) {
			var peak uint64
			b.ReportAllocs()
			for b.Loop() {
				allowed := countAllowed(b, e.Filter(ctx, tmpl, audience(n)), n, &peak)
				if allowed != want {
					b.Fatalf("%d of %d allowed, want %d: all but those who objected or restricted processing", allowed, n, want)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
