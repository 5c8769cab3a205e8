package policies

import (
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/privacykit/privacy"
)

// TestTelemetry decides twice (an evaluation, then a cache hit) with an
// SDK meter and tracer: the span and the metrics are there, Stats counts
// the hit and the miss, and no attribute carries the subject's id.
func TestTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	eng, err := New(t.Context(), WithMemoryStores(), WithMeterProvider(mp), WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	const id = "subject-7f3a-telemetry"
	req := privacy.Request{
		Subject: privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "billing", Data: []string{"instance.contact.email", "instance.financial.payment"},
	}
	for range 2 {
		if _, err := eng.Decide(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	if st := eng.Stats(); st.Hits != 1 || st.Misses != 1 || st.Entries != 1 {
		t.Errorf("Stats = %+v, want 1 hit, 1 miss, 1 entry", st)
	}

	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "privacy.decide" {
		t.Fatalf("spans: %d, want one privacy.decide (the cache hit makes none)", len(spans))
	}
	seen := map[string]bool{}
	for _, kv := range spans[0].Attributes() {
		seen[string(kv.Key)] = true
		if kv.Value.Emit() == id || slices.Contains(kv.Value.AsStringSlice(), id) {
			t.Errorf("span attribute %s carries the subject id", kv.Key)
		}
	}
	for _, k := range []string{"privacy.purpose", "privacy.allowed", "privacy.reasons"} {
		if !seen[k] {
			t.Errorf("span lacks attribute %s", k)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names[m.Name] = true
			for _, set := range attributeSets(m.Data) {
				for _, kv := range set.ToSlice() {
					if kv.Value.Emit() == id {
						t.Errorf("metric %s attribute %s carries the subject id", m.Name, kv.Key)
					}
				}
			}
			if m.Name == "privacy.cache.hits" {
				if s, ok := m.Data.(metricdata.Sum[int64]); !ok || len(s.DataPoints) != 1 || s.DataPoints[0].Value != 1 {
					t.Errorf("privacy.cache.hits = %+v, want 1", m.Data)
				}
			}
		}
	}
	for _, n := range []string{"privacy.decisions", "privacy.decision.duration", "privacy.cache.hits",
		"privacy.cache.misses", "privacy.cache.evictions", "privacy.cache.entries"} {
		if !names[n] {
			t.Errorf("metric %s missing; have %v", n, names)
		}
	}
}

func attributeSets(d metricdata.Aggregation) []attribute.Set {
	var out []attribute.Set
	switch d := d.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	}
	return out
}

// TestCloseUnregisters: a closed engine's cache is no longer reported (its
// meter provider no longer holds it), and the engine still decides.
func TestCloseUnregisters(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	eng, err := New(t.Context(), WithMemoryStores(), WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	cacheMetrics := func() int {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(t.Context(), &rm); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if strings.HasPrefix(m.Name, "privacy.cache.") {
					n++
				}
			}
		}
		return n
	}
	if cacheMetrics() == 0 {
		t.Fatal("an open engine reports no cache metrics")
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := cacheMetrics(); n != 0 {
		t.Errorf("a closed engine still reports %d cache metrics", n)
	}
	req := privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}, Purpose: "billing", Data: []string{"instance.contact.email"}}
	if d, err := eng.Decide(t.Context(), req); err != nil || !d.Allowed {
		t.Errorf("Decide after Close = %v, %v", d.Codes(), err)
	}
}
