package privacytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/subject"
)

// SweepVersions are the policy versions the consents of SeedSweep are given
// under.
type SweepVersions struct {
	// Current is the version of the subjects whose consent is current.
	Current string
	// Old is the version of the subjects whose consent is stale: older than
	// the consent_version of the purposes it is given for.
	Old string
}

// sweepConsents are the consent states of a sweep, in the order their
// subjects are numbered; each returns the record for a purpose, or nil.
func sweepConsents(v SweepVersions, now time.Time) []func(purpose string) *consent.Record {
	given := func(version string, edit func(*consent.Record)) func(string) *consent.Record {
		return func(p string) *consent.Record {
			r := &consent.Record{Purpose: p, Event: consent.Given, PolicyVersion: version,
				Method: consent.MethodCheckbox, Act: consent.ActUntickedBox}
			if edit != nil {
				edit(r)
			}
			return r
		}
	}
	return []func(string) *consent.Record{
		func(string) *consent.Record { return nil },
		given(v.Current, nil),
		given(v.Old, nil),
		given(v.Current, func(r *consent.Record) { r.Guardian, r.Method = true, consent.MethodGuardian }),
		func(p string) *consent.Record {
			return &consent.Record{Purpose: p, Event: consent.Withdrawn, Method: consent.MethodPreferencesUI}
		},
		func(p string) *consent.Record {
			return &consent.Record{Purpose: p, Event: consent.Refused, Method: consent.MethodCheckbox}
		},
		given(v.Current, func(r *consent.Record) { r.ExpiresAt = now.Add(-time.Minute) }),
	}
}

// SeedSweep writes, into consents and states, one user for every
// combination of
//
//   - a consent state for each purpose the user may consent to: none,
//     given under v.Current, given under v.Old (stale), given by a
//     guardian, withdrawn, refused, and given but expired a minute before
//     now;
//   - an objection: none, to every purpose on legitimate interests or of
//     direct marketing, or to all direct marketing;
//   - an age: 30, or 14 (a child in NL, whose consent needs a guardian);
//
// and returns the users, from the Netherlands, by id ("s-1", "s-2", …, in
// that order). Consents are recorded a day before now, objections an hour
// before: a decision at now reads them all. Tests that compare two ways
// of deciding (Engine.Decide, the preference center, privacyctl) over the
// same states start from it. It fails the test when a store refuses a
// write.
func SeedSweep(t testing.TB, cat *privacy.Catalog, consents consent.Store, states subject.StateStore, now time.Time, v SweepVersions) map[string]privacy.Subject {
	t.Helper()
	ctx := context.Background()
	objections := []*subject.Objection{nil, {Purpose: "*"}, {DirectMarketing: true}}
	subjects := map[string]privacy.Subject{}
	n := 0
	for _, mk := range sweepConsents(v, now) {
		for _, o := range objections {
			for _, age := range []int{30, 14} {
				n++
				id := fmt.Sprintf("s-%d", n)
				subjects[id] = privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: age, Country: "NL"}
				for _, p := range cat.Purposes {
					bases := p.BasesFor(privacy.SubjectUser)
					if r := mk(p.Key); r != nil && lawfulbasis.Contains(bases, lawfulbasis.Consent) {
						r.SubjectID, r.CollectedAt, r.CollectedBy = id, now.Add(-24*time.Hour), "privacytest"
						if _, err := consents.Append(ctx, *r); err != nil {
							t.Fatalf("privacytest: sweep: %s %s consent for %s: %v", id, r.Event, p.Key, err)
						}
					}
					if o != nil && (o.DirectMarketing || p.DirectMarketing || lawfulbasis.Contains(bases, lawfulbasis.LegitimateInterests)) {
						obj := *o
						if !obj.DirectMarketing {
							obj.Purpose = p.Key
						}
						obj.At = now.Add(-time.Hour)
						if err := subject.RecordObjection(ctx, states, id, obj); err != nil {
							t.Fatalf("privacytest: sweep: %s objects to %s: %v", id, p.Key, err)
						}
					}
				}
			}
		}
	}
	return subjects
}

// PurposeData returns the leaf categories of the subject kind that the
// purpose may use, parents expanded: the Data of a request that asks for
// all of it.
func PurposeData(cat *privacy.Catalog, p *privacy.Purpose, kind privacy.SubjectKind) []string {
	var out []string
	for _, key := range p.Categories {
		for _, leaf := range cat.Leaves(key) {
			if c := cat.Category(leaf); c != nil && c.Subject == kind {
				out = append(out, leaf)
			}
		}
	}
	return out
}
