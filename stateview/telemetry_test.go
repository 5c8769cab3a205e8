package stateview_test

import (
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/stateview"
)

// viewMetrics is what a collection reported of the view's metrics: the
// staleness in seconds (-1 when absent) and the fail-closed reads by
// cause.
type viewMetrics struct {
	staleness  float64
	failClosed map[string]int64
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) viewMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	got := viewMetrics{staleness: -1, failClosed: map[string]int64{}}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/privacykit/privacy/stateview" {
			t.Errorf("metrics under scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			switch m.Name {
			case "privacy.view.staleness":
				g := m.Data.(metricdata.Gauge[float64])
				if len(g.DataPoints) != 1 || m.Unit != "s" {
					t.Fatalf("privacy.view.staleness: %+v (unit %q), want one point in seconds", g.DataPoints, m.Unit)
				}
				got.staleness = g.DataPoints[0].Value
			case "privacy.view.fail_closed_reads":
				s := m.Data.(metricdata.Sum[int64])
				if !s.IsMonotonic {
					t.Error("privacy.view.fail_closed_reads is not a counter")
				}
				for _, p := range s.DataPoints {
					cause, _ := p.Attributes.Value("privacy.view.cause")
					got.failClosed[cause.AsString()] = p.Value
				}
			default:
				t.Errorf("unexpected metric %s", m.Name)
			}
		}
	}
	return got
}

// TestMetrics reads a view's lag and fail-closed reads with an in-memory
// metric reader: no staleness until a feed vouches, then the age of the
// last vouch; reads of a lapsed view count as stale, reads of a paused
// view as paused, and reads the view answers or keeps count as neither.
func TestMetrics(t *testing.T) {
	ctx := t.Context()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	v := stateview.New(memory.NewConsentStore(), memory.NewStateStore(),
		stateview.WithMaxStaleness(time.Hour), stateview.WithMeterProvider(mp))
	read := func(n int) {
		for range n {
			if _, err := v.Subjects().State(ctx, "u-1"); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Consents().State(ctx, "u-1", "billing", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}

	read(2) // no feed vouches: kept and answered, not fail-closed
	got := collect(t, reader)
	if got.staleness != -1 {
		t.Errorf("staleness %v s before any vouch, want none reported", got.staleness)
	}
	if got.failClosed["paused"] != 0 || got.failClosed["stale"] != 0 {
		t.Errorf("fail-closed reads %v of a view that answered them", got.failClosed)
	}

	v.Vouch(time.Now().Add(-2 * time.Hour)) // the heartbeat went silent long ago
	read(3)
	got = collect(t, reader)
	if got.staleness < 2*60*60 {
		t.Errorf("staleness %v s after a vouch two hours old", got.staleness)
	}
	if got.failClosed["stale"] != 6 || got.failClosed["paused"] != 0 {
		t.Errorf("fail-closed reads %v after six reads of a lapsed view, want stale=6", got.failClosed)
	}

	v.Pause()
	read(1)
	v.Resume()
	v.Vouch(time.Now())
	read(1)
	got = collect(t, reader)
	if got.staleness < 0 || got.staleness >= 60*60 { // younger than MaxStaleness
		t.Errorf("staleness %v s after a fresh vouch", got.staleness)
	}
	if got.failClosed["stale"] != 6 || got.failClosed["paused"] != 2 {
		t.Errorf("fail-closed reads %v, want stale=6 paused=2", got.failClosed)
	}
	if s := v.Stats(); s.Stale != 6 || s.Paused != 2 || s.Bypassed != 8 {
		t.Errorf("Stats %+v, want 6 stale and 2 paused of 8 bypassed", s)
	}
}

// TestCloseUnregisters: a closed view reports no metrics (its provider
// no longer holds it) and still answers reads; closing twice is fine.
func TestCloseUnregisters(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	v := stateview.New(memory.NewConsentStore(), memory.NewStateStore(), stateview.WithMeterProvider(mp))
	if got := collect(t, reader); got.failClosed == nil || len(got.failClosed) == 0 {
		t.Fatalf("an open view reports %+v, want its fail-closed reads", got)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := collect(t, reader); len(got.failClosed) != 0 || got.staleness != -1 {
		t.Errorf("a closed view still reports %+v", got)
	}
	if _, err := v.Subjects().State(t.Context(), "u-1"); err != nil {
		t.Errorf("read after Close: %v", err)
	}
}
