package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMetricsAfterDecision makes one decision and finds the engine's
// metrics on /metrics, without the subject's id.
func TestMetricsAfterDecision(t *testing.T) {
	h, err := newHandler(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", path, resp.Status, b)
		}
		return string(b)
	}
	get("/decide?purpose=billing&subject=u-metrics-42")
	get("/decide?purpose=billing&subject=u-metrics-42")
	body := get("/metrics")
	for _, name := range []string{"privacy_decisions_total{", "privacy_decision_duration_seconds_count",
		"privacy_cache_hits_total 1", "privacy_cache_misses_total 1", "privacy_cache_entries 1"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %q:\n%s", name, body)
		}
	}
	if strings.Contains(body, "u-metrics-42") {
		t.Errorf("/metrics carries the subject id:\n%s", body)
	}
}
