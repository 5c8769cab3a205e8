package privacyhttp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/privacyhttp"
	"github.com/privacykit/privacy/privacytest"
)

func TestPreferenceCenter(t *testing.T) {
	env := privacytest.New(t)
	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, privacyhttp.WithResolver(byHeader))
	srv := httptest.NewServer(http.StripPrefix("/privacy", pc))
	defer srv.Close()

	surveys := privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "research.surveys", Data: []string{"instance.contact.email"}}
	announce := surveys
	announce.Purpose = "marketing.announcements"

	do := func(t *testing.T, method, path, user string, header ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/privacy"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.Header.Set("X-User", user)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}

	steps := []struct {
		name       string
		method     string
		path       string
		user       string
		header     []string
		wantStatus int
		wantBody   string
		// then is checked after the step.
		then func(t *testing.T)
	}{
		{"show before anything", "GET", "/preferences", "u-1", nil, 200, `"purpose": "research.surveys"`,
			func(t *testing.T) { privacytest.AssertDenied(t, env.Engine, surveys, privacy.ReasonConsentMissing) }},
		{"grant", "POST", "/consents/research.surveys", "u-1", nil, 200, `"given": true`,
			func(t *testing.T) { privacytest.AssertAllowed(t, env.Engine, surveys) }},
		{"withdraw", "DELETE", "/consents/research.surveys", "u-1", nil, 200, `"consent_event": "withdrawn"`,
			func(t *testing.T) { privacytest.AssertDenied(t, env.Engine, surveys, privacy.ReasonConsentWithdrawn) }},
		{"object", "POST", "/objections/marketing.announcements", "u-1", nil, 200, `"objected": true`,
			func(t *testing.T) { privacytest.AssertDenied(t, env.Engine, announce, privacy.ReasonObjectionActive) }},
		{"withdraw objection", "DELETE", "/objections/marketing.announcements", "u-1", nil, 200, `"objected": false`,
			func(t *testing.T) { privacytest.AssertAllowed(t, env.Engine, announce) }},
		{"object to all direct marketing", "POST", "/objections/direct-marketing", "u-1", nil, 200, `"direct_marketing_objection": true`,
			func(t *testing.T) { privacytest.AssertDenied(t, env.Engine, announce, privacy.ReasonObjectionActive) }},
		{"withdraw the objection to all direct marketing", "DELETE", "/objections/direct-marketing", "u-1", nil, 200, `"direct_marketing_objection": false`,
			func(t *testing.T) { privacytest.AssertAllowed(t, env.Engine, announce) }},
		{"unknown purpose", "POST", "/consents/no.such", "u-1", nil, 404, "unknown purpose no.such", nil},
		{"consent to a contract purpose", "POST", "/consents/billing", "u-1", nil, 400, "not one you can consent to", nil},
		{"object to a legal purpose", "POST", "/objections/legal.compliance", "u-1", nil, 400, "not one you can object to", nil},
		{"anonymous", "GET", "/preferences", "", nil, 401, "sign in", nil},
		{"cross-origin change refused", "POST", "/consents/research.surveys", "u-2", []string{"Sec-Fetch-Site", "cross-site"}, 403, "",
			func(t *testing.T) {
				privacytest.AssertDenied(t, env.Engine, privacy.Request{Subject: privacy.Subject{ID: "u-2", Kind: privacy.SubjectUser},
					Purpose: "research.surveys", Data: []string{"instance.contact.email"}}, privacy.ReasonConsentMissing)
			}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			status, body := do(t, st.method, st.path, st.user, st.header...)
			if status != st.wantStatus {
				t.Fatalf("status %d, want %d; body:\n%s", status, st.wantStatus, body)
			}
			if !strings.Contains(body, st.wantBody) {
				t.Errorf("body lacks %q:\n%s", st.wantBody, body)
			}
			if status == 200 {
				var p privacyhttp.Preferences
				if err := json.Unmarshal([]byte(body), &p); err != nil || p.SubjectID != st.user {
					t.Errorf("answer is not the caller's preferences (%v):\n%s", err, body)
				}
			}
			if st.then != nil {
				st.then(t)
			}
		})
	}
}

// TestPreferenceCenterShowsConsentInEffect: a consent the engine would not
// honour (given under an older version, or by a child without a
// guardian) is not shown as given, and says why.
func TestPreferenceCenterShowsConsentInEffect(t *testing.T) {
	env := privacytest.New(t)
	env.Subject("u-old").GrantVersion("research.surveys", "1.0")
	env.Subject("kid").Grant("research.surveys")
	resolve := func(r *http.Request) (privacy.Subject, error) {
		s, err := byHeader(r)
		if s.ID == "kid" {
			s.Age = 12
		}
		return s, err
	}
	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, privacyhttp.WithResolver(resolve))
	for user, reason := range map[string]string{"u-old": privacy.ReasonConsentStaleVersion, "kid": privacy.ReasonConsentGuardianRequired} {
		r := httptest.NewRequest(http.MethodGet, "/preferences", nil)
		r.Header.Set("X-User", user)
		w := httptest.NewRecorder()
		pc.ServeHTTP(w, r)
		var prefs privacyhttp.Preferences
		if err := json.Unmarshal(w.Body.Bytes(), &prefs); err != nil {
			t.Fatalf("%s: %v\n%s", user, err, w.Body)
		}
		for _, p := range prefs.Purposes {
			if p.Purpose != "research.surveys" {
				continue
			}
			if p.Given || p.ConsentEvent != "given" || p.ConsentReason != reason {
				t.Errorf("%s: %+v; want the given consent shown as not in effect, with %s", user, p, reason)
			}
			req := privacy.Request{Subject: privacy.Subject{ID: user, Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
				Purpose: "research.surveys", Data: []string{"instance.contact.email"}}
			if user == "kid" {
				req.Subject.Age = 12
			}
			privacytest.AssertDenied(t, env.Engine, req, reason)
		}
	}
}

// TestPreferenceCenterRefusesUnknownSubjectKind: a resolver that returns a
// subject kind the catalog does not know is a fault of the service, told
// as Require tells it (400 naming subject.kind, with a suggestion), not a
// page of no purposes that looks like a subject with nothing to choose.
func TestPreferenceCenterRefusesUnknownSubjectKind(t *testing.T) {
	env := privacytest.New(t)
	res := func(*http.Request) (privacy.Subject, error) {
		return privacy.Subject{ID: "u-1", Kind: "usr", Age: 30, Country: "NL"}, nil
	}
	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, privacyhttp.WithResolver(res))
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/preferences", nil),
		httptest.NewRequest(http.MethodPost, "/objections/direct-marketing", nil),
	} {
		w := httptest.NewRecorder()
		pc.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "subject.kind") || !strings.Contains(w.Body.String(), `\"user\"`) {
			t.Errorf("%s %s: status %d, body %s; want 400 naming subject.kind and suggesting \"user\"", r.Method, r.URL, w.Code, w.Body)
		}
	}
	st, err := env.Subjects.State(t.Context(), "u-1")
	if err != nil || len(st.Objections) != 0 {
		t.Errorf("state %+v, %v: want nothing recorded", st, err)
	}
	// Without an engine there is no catalog to check against: 500, and
	// nothing recorded either.
	pc = privacyhttp.NewPreferenceCenter(nil, env.Consents, env.Subjects, privacyhttp.WithResolver(byHeader))
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r := httptest.NewRequest(m, "/preferences", nil)
		if m == http.MethodPost {
			r = httptest.NewRequest(m, "/objections/direct-marketing", nil)
		}
		r.Header.Set("X-User", "u-2")
		w := httptest.NewRecorder()
		pc.ServeHTTP(w, r)
		if w.Code != http.StatusInternalServerError {
			t.Errorf("no engine: %s %s: status %d, body %s; want 500", r.Method, r.URL, w.Code, w.Body)
		}
	}
	if st, _ := env.Subjects.State(t.Context(), "u-2"); len(st.Objections) != 0 {
		t.Errorf("no engine: an objection was recorded: %+v", st)
	}
}
