package privacytest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/privacytest"
)

// fakeTB records failures instead of failing the test that uses it. It
// embeds a nil testing.TB, as a hand-made fake does: a helper that calls
// any other method panics.
// Fatalf ends the goroutine, as testing.T does.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) output() string { return strings.Join(f.msgs, "\n") }

// run calls fn with a fake TB in a goroutine of its own, so that Fatalf
// can end it, and returns the fake.
func run(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{} // nothing of a real testing.T behind it
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func req(id, purpose string, data ...string) privacy.Request {
	return privacy.Request{
		Subject: privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: purpose,
		Data:    data,
	}
}

func TestAssertions(t *testing.T) {
	env := privacytest.New(t)
	env.Subject("u-1").Grant("marketing.profiling").Object("marketing.announcements")
	env.Subject("u-2").Grant("research.surveys").Withdraw("research.surveys")
	env.Subject("u-3").Restrict()

	profiling := req("u-1", "marketing.profiling", "instance.contact.email")
	announce := req("u-1", "marketing.announcements", "instance.contact.email")
	surveys := req("u-2", "research.surveys", "instance.contact.email")
	restricted := req("u-3", "support", "instance.contact.email")
	invalid := req("", "support", "instance.contact.email")

	tests := []struct {
		name     string
		assert   func(tb testing.TB)
		wantFail bool
		// wantOut lists what the failure message must show.
		wantOut []string
	}{
		{"allowed passes", func(tb testing.TB) { privacytest.AssertAllowed(tb, env.Engine, profiling) }, false, nil},
		{"allowed fails on a denial and explains it", func(tb testing.TB) { privacytest.AssertAllowed(tb, env.Engine, announce) }, true,
			[]string{"want allowed, got denied (objection.active)", `"purpose": "marketing.announcements"`, `"code": "objection.active"`, `"article":`, `"message": "the subject objected`}},
		{"denied passes with its code", func(tb testing.TB) {
			privacytest.AssertDenied(tb, env.Engine, announce, privacy.ReasonObjectionActive)
		}, false, nil},
		{"denied passes with no code", func(tb testing.TB) { privacytest.AssertDenied(tb, env.Engine, surveys) }, false, nil},
		{"denied fails on an allow", func(tb testing.TB) {
			privacytest.AssertDenied(tb, env.Engine, profiling, privacy.ReasonConsentMissing)
		}, true, []string{"want denied (consent.missing), got allowed", `"allowed": true`, `"basis": "consent"`}},
		{"denied fails on another reason", func(tb testing.TB) {
			privacytest.AssertDenied(tb, env.Engine, surveys, privacy.ReasonConsentMissing)
		}, true, []string{"denied, but without reason consent.missing (got consent.withdrawn)"}},
		{"restriction", func(tb testing.TB) {
			privacytest.AssertDenied(tb, env.Engine, restricted, privacy.ReasonRestrictionActive)
		}, false, nil},
		{"invalid request passes only when expected", func(tb testing.TB) {
			privacytest.AssertDenied(tb, env.Engine, invalid, privacy.ReasonRequestInvalid)
		}, false, nil},
		{"invalid request fails otherwise", func(tb testing.TB) { privacytest.AssertDenied(tb, env.Engine, invalid) }, true,
			[]string{"want denied, got error: subject.id: is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := run(t, tc.assert)
			if f.failed != tc.wantFail {
				t.Fatalf("failed = %v, want %v; output:\n%s", f.failed, tc.wantFail, f.output())
			}
			for _, s := range tc.wantOut {
				if !strings.Contains(f.output(), s) {
					t.Errorf("failure message lacks %q:\n%s", s, f.output())
				}
			}
		})
	}
}

func TestNewFailsOnBadCatalog(t *testing.T) {
	f := run(t, func(tb testing.TB) {
		privacytest.Catalog(tb, filepath.Join(t.TempDir(), "missing.yaml"))
		tb.Errorf("not reached")
	})
	if !f.failed || strings.Contains(f.output(), "not reached") || !strings.Contains(f.output(), "missing.yaml") {
		t.Errorf("Catalog on a missing file: failed=%v, output:\n%s", f.failed, f.output())
	}
}

func TestGolden(t *testing.T) {
	env := privacytest.New(t)
	env.Subject("u-1").Grant("research.surveys")
	cases := []privacytest.Case{
		{Name: "surveys with consent", Request: req("u-1", "research.surveys", "instance.contact.email")},
		{Name: "surveys without consent", Request: req("u-2", "research.surveys", "instance.contact.email")},
	}
	path := filepath.Join(t.TempDir(), "testdata", "decisions.json")

	t.Setenv(privacytest.UpdateEnv, "1")
	if f := run(t, func(tb testing.TB) { privacytest.Golden(tb, env.Engine, path, cases) }); f.failed {
		t.Fatalf("update failed:\n%s", f.output())
	}
	t.Setenv(privacytest.UpdateEnv, "")
	if f := run(t, func(tb testing.TB) { privacytest.Golden(tb, env.Engine, path, cases) }); f.failed {
		t.Fatalf("an unchanged policy fails its golden file:\n%s", f.output())
	}

	// The subject withdraws: the first decision flips.
	env.Subject("u-1").Withdraw("research.surveys")
	f := run(t, func(tb testing.TB) { privacytest.Golden(tb, env.Engine, path, cases) })
	if !f.failed {
		t.Fatal("a flipped decision passed the golden file")
	}
	for _, re := range []string{`in "surveys with consent" \(-want \+got\)`, `-[\s\x{a0}]+Allowed:[\s\x{a0}]+true`, `\+[\s\x{a0}]+Allowed:[\s\x{a0}]+false`, `"consent.withdrawn"`, privacytest.UpdateEnv + "=1"} {
		if !regexp.MustCompile(re).MatchString(f.output()) {
			t.Errorf("golden failure does not match %s:\n%s", re, f.output())
		}
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	f = run(t, func(tb testing.TB) { privacytest.Golden(tb, env.Engine, path, cases) })
	if !f.failed || !strings.Contains(f.output(), "run with PRIVACYTEST_UPDATE=1 to create it") {
		t.Errorf("missing golden file: failed=%v, output:\n%s", f.failed, f.output())
	}
}
