package policies_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

// coolingOff is an extension rule on a time-dependent fact no base rule
// reads (when a consent was collected): a consent may be used for research
// only a day after it was given. It declares when its answer changes, as
// every rule that reads the time must; the cache knows nothing of it.
const coolingOff = `package privacy.ext.cooling_off

import data.privacy.lib

ready := input.consent.collected_ns + 86400000000000

deny contains {"code": "ext.cooling_off", "message": "a consent is used only a day after it was given"} if {
	input.request.purpose == "research.surveys"
	input.consent.event == "given"
	not lib.reached(ready)
}

changes contains ready if input.consent.event == "given"
`

// TestCacheFollowsAnAddedTimeRule decides, through the cache, a request
// whose answer a new rule on a new time-dependent fact turns from deny to
// allow, and requires every answer to be the one an uncached engine gives.
func TestCacheFollowsAnAddedTimeRule(t *testing.T) {
	t.Parallel()
	consents, subjects := memory.NewConsentStore(), memory.NewStateStore()
	given := now.Add(-time.Hour)
	if _, err := consent.Grant(t.Context(), consents, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: given}); err != nil {
		t.Fatal(err)
	}
	engine := func(size int) *policies.Engine {
		e, err := policies.New(t.Context(), policies.WithConsents(consents), policies.WithSubjects(subjects),
			policies.WithModule("cooling.rego", coolingOff), policies.WithCache(size), policies.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cached, plain := engine(1000), engine(0)
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{now, []string{"ext.cooling_off"}},
		{given.Add(24*time.Hour - 1), []string{"ext.cooling_off"}},
		{given.Add(24 * time.Hour), []string{}},
		{now, []string{"ext.cooling_off"}},
		{given.Add(48 * time.Hour), []string{}},
	} {
		r := req(user, "research.surveys", "instance.contact.email")
		r.Time = tc.at
		want, err := plain.Decide(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cached.Decide(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got.Codes()); diff != "" {
			t.Errorf("at %s: cached reasons (-want +got):\n%s", tc.at, diff)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("at %s: cached and uncached decisions differ (-plain +cached):\n%s", tc.at, diff)
		}
	}
}

// TestValidUntil: a decision says until when it stands, the nearest time a
// rule's answer changes; here a consent's expiry.
func TestValidUntil(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expires := now.Add(36 * time.Hour)
	if err := grant(user.ID, "research.surveys", func(r *consent.Record) { r.ExpiresAt = expires })(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	d, err := f.eng.Decide(t.Context(), req(user, "research.surveys", "instance.contact.email"))
	if err != nil || !d.Allowed {
		t.Fatalf("%v %v", d.Codes(), err)
	}
	if !d.ValidUntil.Equal(expires) {
		t.Errorf("valid_until = %s, want the consent's expiry %s", d.ValidUntil, expires)
	}
	b, _ := json.Marshal(d)
	if !strings.Contains(string(b), `"valid_until":"`+expires.Format(time.RFC3339)+`"`) {
		t.Errorf("decision JSON %s lacks valid_until", b)
	}
	d, _ = f.eng.Decide(t.Context(), req(user, "billing", "instance.contact.email"))
	if b, _ := json.Marshal(d); !d.ValidUntil.IsZero() || strings.Contains(string(b), "valid_until") {
		t.Errorf("a decision no time limits carries valid_until: %s", b)
	}
}

// TestEarlierTimeNeverUndoesWhatIsRecorded is the regression test of issue
// 13, item 7: a request dated before a withdrawal or an objection recorded
// before the decision was allowed. Decide counts what is recorded up to
// its clock's now; Replay judges the past as it was, uncached and marked
// in the decision log.
func TestEarlierTimeNeverUndoesWhatIsRecorded(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	f := newFixture(t, policies.WithDecisionLog(slog.New(slog.NewJSONHandler(&logged, nil)), bytes.Repeat([]byte{7}, 32)))
	if err := grant(user.ID, "research.surveys", func(r *consent.Record) { r.CollectedAt = now.Add(-48 * time.Hour) })(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if err := withdraw(user.ID, "research.surveys")(t.Context(), f); err != nil { // a minute ago
		t.Fatal(err)
	}
	if err := subject.ObjectToDirectMarketing(t.Context(), f.subjects, user.ID); err != nil {
		t.Fatal(err)
	}
	yesterday := now.Add(-24 * time.Hour)
	r := req(user, "research.surveys", "instance.contact.email")
	r.Time = yesterday
	for range 2 { // the second from the cache
		d, err := f.eng.Decide(t.Context(), r)
		if err != nil || d.Allowed || !d.Has(privacy.ReasonConsentWithdrawn) {
			t.Fatalf("Decide at a time before the withdrawal: %v %v, want consent.withdrawn", d.Codes(), err)
		}
	}
	m := req(user, "marketing.announcements", "instance.contact.email")
	m.Time = yesterday
	if d, err := f.eng.Decide(t.Context(), m); err != nil || d.Allowed || !d.Has(privacy.ReasonObjectionActive) {
		t.Fatalf("Decide at a time before the objection: %v %v, want objection.active", d.Codes(), err)
	}

	logged.Reset()
	d, err := f.eng.Replay(t.Context(), r)
	if err != nil || !d.Allowed {
		t.Fatalf("Replay at a time the consent stood: %v %v, want allowed", d.Codes(), err)
	}
	if !strings.Contains(logged.String(), `"replay":true`) {
		t.Errorf("the decision log does not mark the replay: %s", logged.String())
	}
	// A replay is never cached: Decide still counts the withdrawal.
	if d, _ := f.eng.Decide(t.Context(), r); d.Allowed {
		t.Error("Decide after a Replay answered with the replay's allow")
	}
	r.Time = time.Time{}
	if _, err := f.eng.Replay(t.Context(), r); err == nil || !strings.Contains(err.Error(), "time") {
		t.Errorf("Replay without a time: %v, want an error naming time", err)
	}
}
