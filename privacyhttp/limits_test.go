package privacyhttp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/privacyhttp"
	"github.com/privacykit/privacy/privacytest"
)

// TestPreferenceCenterBodyLimit: the preference center's routes take no
// body; a request announcing one larger than privacy.MaxHTTPBodyBytes is
// refused with 413 naming the limit, and nothing is recorded.
func TestPreferenceCenterBodyLimit(t *testing.T) {
	env := privacytest.New(t)
	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, privacyhttp.WithResolver(byHeader))
	body := strings.Repeat("x", privacy.MaxHTTPBodyBytes+1)
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/objections/direct-marketing", strings.NewReader(body))
	r.Header.Set("X-User", "u-1")
	w := httptest.NewRecorder()
	pc.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "MaxHTTPBodyBytes") {
		t.Errorf("status %d %s, want 413 naming MaxHTTPBodyBytes", w.Code, w.Body)
	}
	st, err := env.Subjects.State(t.Context(), "u-1")
	if err != nil || len(st.Objections) != 0 {
		t.Errorf("state after a refused request: %+v, %v", st, err)
	}
	// A small body is ignored as before.
	r = httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/objections/direct-marketing", strings.NewReader("{}"))
	r.Header.Set("X-User", "u-1")
	w = httptest.NewRecorder()
	pc.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("status %d %s with a small body, want 200", w.Code, w.Body)
	}
}
