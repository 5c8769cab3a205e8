package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/privacyhttp"
	"github.com/privacykit/privacy/privacytest"
	"github.com/privacykit/privacy/sqlite"
)

// TestDecideAgreesWithEngineAndPreferenceCenter is issue 12's "one
// decider" check from the outside: from the same consent, objection and
// guardian states in one SQLite file, Engine.Decide, the preference center
// and `privacyctl decide` give the same decision (allowed and reasons).
// The catalog is at policy version 1.2.0.0.10 and research.surveys last
// changed in 1.2.0.0.5, so a consent under 1.2.0.0.4 is stale in all three.
func TestDecideAgreesWithEngineAndPreferenceCenter(t *testing.T) {
	ctx := t.Context()
	ref, err := os.ReadFile("../../catalog/reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(ref), `policy_version: "1.2"`, `policy_version: "1.2.0.0.10"`, 1)
	i := strings.Index(text, "- key: research.surveys")
	j := i + strings.Index(text[i:], `consent_version: "1.2"`)
	if i < 0 || j < i {
		t.Fatal("reference catalog: research.surveys or its consent_version not found")
	}
	text = text[:j] + `consent_version: "1.2.0.0.5"` + text[j+len(`consent_version: "1.2"`):]
	catFile := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(catFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := privacy.LoadCatalog(catFile)
	if err != nil {
		t.Fatal(err)
	}

	dbFile := newDB(t)
	db, err := sqlite.Open(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eng, err := policies.New(ctx, policies.WithCatalog(cat),
		policies.WithConsents(db.ConsentStore()), policies.WithSubjects(db.StateStore()))
	if err != nil {
		t.Fatal(err)
	}

	subjects := privacytest.SeedSweep(t, cat, db.ConsentStore(), db.StateStore(), time.Now().UTC(),
		privacytest.SweepVersions{Current: "1.2.0.0.5", Old: "1.2.0.0.4"})

	pc := privacyhttp.NewPreferenceCenter(eng, db.ConsentStore(), db.StateStore(),
		privacyhttp.WithResolver(func(r *http.Request) (privacy.Subject, error) { return subjects[r.Header.Get("X-User")], nil }))
	// privacyctl builds an engine for every call (about 0.1 s): the quick
	// form asks it once per subject, about one of the purposes whose states
	// the sweep varies most, in turn, so that every consent state meets
	// each of them with two of its six objection and age pairs; the long
	// form asks about every purpose the page shows.
	viaCLI := []string{"research.surveys", "marketing.announcements", "marketing.profiling"}
	checked, cli, stale := 0, 0, 0
	staleSurveys := []string{}
	for id, s := range subjects {
		r := httptest.NewRequest(http.MethodGet, "/preferences", nil)
		r.Header.Set("X-User", id)
		w := httptest.NewRecorder()
		pc.ServeHTTP(w, r)
		var prefs privacyhttp.Preferences
		if err := json.Unmarshal(w.Body.Bytes(), &prefs); err != nil {
			t.Fatalf("%s: %v\n%s", id, err, w.Body)
		}
		for _, pp := range prefs.Purposes {
			p := cat.Purpose(pp.Purpose)
			req := privacy.Request{Subject: s, Purpose: p.Key, Data: privacytest.PurposeData(cat, p, privacy.SubjectUser)}
			if pp.Consent {
				req.Basis = lawfulbasis.Consent
			}
			d, err := eng.Decide(ctx, req)
			if err != nil {
				t.Fatalf("%s %s: %v", id, p.Key, err)
			}
			if pp.Allowed != d.Allowed || !cmp.Equal(pp.Reasons, d.Codes()) {
				t.Errorf("%s %s: the preference center shows allowed=%v %v, Decide %v %v", id, p.Key, pp.Allowed, pp.Reasons, d.Allowed, d.Codes())
			}
			if codes := d.Codes(); len(codes) > 0 && codes[0] == privacy.ReasonConsentStaleVersion {
				stale++
			}
			if p.Key == "research.surveys" && slices.Contains(d.Codes(), privacy.ReasonConsentStaleVersion) {
				staleSurveys = append(staleSurveys, id)
			}
			checked++
			var n int
			if _, err := fmt.Sscanf(id, "s-%d", &n); err != nil {
				t.Fatalf("subject id %q: %v", id, err)
			}
			if p.Key != viaCLI[n%len(viaCLI)] && !testenv.Long() {
				continue
			}
			body, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			code, out, errs := ctl(t, string(body), "decide", "--db", dbFile, "--catalog", catFile)
			if code != exitOK {
				t.Fatalf("%s %s: privacyctl decide exit %d: %s", id, p.Key, code, errs)
			}
			cd := decision(t, out)
			if cd.Allowed != d.Allowed || !cmp.Equal(cd.Codes(), d.Codes()) {
				t.Errorf("%s %s: privacyctl decide says allowed=%v %v, Decide %v %v", id, p.Key, cd.Allowed, cd.Codes(), d.Allowed, d.Codes())
			}
			cli++
		}
	}
	// privacyctl consent stale lists whom the decisions deny as stale: a
	// consent under 1.2.0.0.4 when 1.2.0.0.5 is required, and no other.
	code, out, errs := ctl(t, "", "consent", "stale", "--db", dbFile, "--catalog", catFile, "--purpose", "research.surveys")
	var listed struct{ Subjects []string }
	if err := json.Unmarshal([]byte(out), &listed); code != exitOK || err != nil {
		t.Fatalf("privacyctl consent stale = %d %s %s", code, out, errs)
	}
	slices.Sort(staleSurveys)
	if diff := cmp.Diff(staleSurveys, listed.Subjects); len(staleSurveys) == 0 || diff != "" {
		t.Errorf("privacyctl consent stale and the decisions' consent.stale_version differ (-decisions +privacyctl):\n%s", diff)
	}
	t.Logf("%d subjects, %d purpose decisions compared, %d of them through privacyctl, %d stale", len(subjects), checked, cli, stale)
	if checked < 200 || cli < len(subjects) || stale == 0 {
		t.Errorf("checked %d purposes (%d through privacyctl), %d stale: the sweep does not cover the states", checked, cli, stale)
	}
}
