package privacyhttp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/privacyhttp"
	"github.com/privacykit/privacy/privacytest"
)

// byHeader resolves the subject from the X-User header, as a service would
// from its session.
func byHeader(r *http.Request) (privacy.Subject, error) {
	id := r.Header.Get("X-User")
	if id == "" {
		return privacy.Subject{}, fmt.Errorf("no session: %w", privacy.ErrNotFound)
	}
	if id == "broken" {
		return privacy.Subject{}, errors.New("session store down")
	}
	kind := privacy.SubjectUser
	if id == "martian" {
		kind = "martian"
	}
	return privacy.Subject{ID: id, Kind: kind, Age: 30, Country: "NL"}, nil
}

func TestGPC(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"absent", nil, false},
		{"one", []string{"1"}, true},
		{"zero", []string{"0"}, false},
		{"true is not 1", []string{"true"}, false},
		{"padded is not 1", []string{" 1"}, false},
		{"several, one is 1", []string{"0", "1"}, true},
		{"several, none is 1", []string{"0", "yes"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tc.values {
				r.Header.Add("Sec-GPC", v)
			}
			if got := privacyhttp.GPC(r); got != tc.want {
				t.Errorf("GPC(%q) = %v, want %v", tc.values, got, tc.want)
			}
		})
	}
}

func TestRequirePurpose(t *testing.T) {
	env := privacytest.New(t)
	env.Subject("u-obj").Object("marketing.announcements")
	mw := privacyhttp.New(env.Engine, privacyhttp.WithResolver(byHeader))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := privacyhttp.DecisionFrom(r.Context())
		fmt.Fprintf(w, "sent; obligations %s", strings.Join(d.ObligationCodes(), ","))
	})
	announce := mw.RequirePurpose("marketing.announcements", "instance.contact.email")(ok)
	// Through Handler, the signal comes from the context.
	viaHandler := mw.Handler(announce)

	tests := []struct {
		name       string
		handler    http.Handler
		user       string
		gpc        []string
		wantStatus int
		wantCodes  []string
		wantBody   string
	}{
		{"allowed", announce, "u-1", nil, 200, nil, "sent; obligations include_unsubscribe"},
		{"GPC objects to direct marketing", announce, "u-1", []string{"1"}, 403, []string{privacy.ReasonObjectionActive}, ""},
		{"GPC through Handler", viaHandler, "u-1", []string{"1"}, 403, []string{privacy.ReasonObjectionActive}, ""},
		{"GPC among several headers", viaHandler, "u-1", []string{"0", "1"}, 403, []string{privacy.ReasonObjectionActive}, ""},
		{"GPC other value is ignored", viaHandler, "u-1", []string{"yes"}, 200, nil, "sent"},
		{"stored objection", announce, "u-obj", nil, 403, []string{privacy.ReasonObjectionActive}, ""},
		{"no subject", announce, "", nil, 401, nil, `"error": "a subject is required`},
		{"resolver fails", announce, "broken", nil, 500, nil, `"error": "the subject could not be resolved"`},
		{"invalid request", announce, "martian", nil, 400, []string{privacy.ReasonRequestInvalid}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/announce", nil)
			if tc.user != "" {
				r.Header.Set("X-User", tc.user)
			}
			for _, v := range tc.gpc {
				r.Header.Add("Sec-GPC", v)
			}
			w := httptest.NewRecorder()
			tc.handler.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d; body:\n%s", w.Code, tc.wantStatus, w.Body)
			}
			if !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Errorf("body lacks %q:\n%s", tc.wantBody, w.Body)
			}
			if tc.wantCodes == nil {
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var d privacy.Decision
			if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
				t.Fatalf("body is not a decision: %v\n%s", err, w.Body)
			}
			if diff := cmp.Diff(tc.wantCodes, d.Codes()); diff != "" || d.Allowed {
				t.Errorf("decision allowed=%v, codes (-want +got):\n%s", d.Allowed, diff)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{privacy.ErrInvalidRequest, 400},
		{fmt.Errorf("x: %w", privacy.ErrNotFound), 404},
		{privacy.ErrConflict, 409},
		{privacy.ErrEvaluation, 500},
	}
	for _, tc := range tests {
		if got := privacyhttp.Status(tc.err); got != tc.want {
			t.Errorf("Status(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestDenialBodyHoldsNoPersonalData: a child's denial names nothing of
// theirs: not their id, not their age, not their country.
func TestDenialBodyHoldsNoPersonalData(t *testing.T) {
	env := privacytest.New(t)
	child := func(r *http.Request) (privacy.Subject, error) {
		return privacy.Subject{ID: "kid-77", Kind: privacy.SubjectUser, Age: 12, Country: "DE"}, nil
	}
	mw := privacyhttp.New(env.Engine, privacyhttp.WithResolver(child))
	for _, purpose := range []string{"marketing.profiling", "marketing.announcements"} {
		h := mw.RequirePurpose(purpose, "instance.contact.email")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		body := w.Body.String()
		if w.Code != http.StatusForbidden || strings.Contains(body, "kid-77") {
			t.Fatalf("%s: status %d, body %s; want 403 without the subject's id", purpose, w.Code, body)
		}
		for _, personal := range []string{"12", `"DE"`, " DE"} {
			if strings.Contains(body, personal) {
				t.Errorf("%s: the 403 body holds %q, the subject's age or country:\n%s", purpose, personal, body)
			}
		}
	}
}

// TestNilPartsFailClosed: a middleware or preference center built without
// a decider or resolver refuses instead of panicking.
func TestNilPartsFailClosed(t *testing.T) {
	if privacyhttp.GPC(nil) {
		t.Error("GPC(nil) = true")
	}
	mw := privacyhttp.New(nil, privacyhttp.WithResolver(byHeader))
	h := mw.RequirePurpose("support", "instance.contact.email")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handler ran without a decision")
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-User", "u-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError {
		t.Errorf("no decider: status %d, want 500", w.Code)
	}
	env := privacytest.New(t)
	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects)
	w = httptest.NewRecorder()
	pc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/preferences", nil))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("no resolver: status %d, want 401", w.Code)
	}
}
