// Command metrics serves the engine's OpenTelemetry metrics for Prometheus
// at /metrics, and a decision at /decide?purpose=billing&subject=u-1.
//
//	go run ./examples/metrics    # then curl localhost:8080/metrics
//
// It reads the metrics with the OpenTelemetry SDK's ManualReader and
// writes the Prometheus text format itself (counters, gauges and the
// histograms' _sum and _count), so that the example needs no exporter
// dependency; a real service would use
// go.opentelemetry.io/otel/exporters/prometheus instead.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

func main() {
	h, err := newHandler(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("localhost:8080", h))
}

func newHandler(ctx context.Context) (http.Handler, error) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	eng, err := policies.New(ctx, policies.WithMemoryStores(), policies.WithMeterProvider(mp))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /decide", func(w http.ResponseWriter, r *http.Request) {
		d, err := eng.Decide(r.Context(), privacy.Request{
			Subject: privacy.Subject{ID: r.URL.Query().Get("subject"), Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
			Purpose: r.URL.Query().Get("purpose"),
			Data:    []string{"instance.contact.email"},
		})
		if err != nil {
			http.Error(w, "invalid request", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "allowed=%v reasons=%v\n", d.Allowed, d.Codes())
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(r.Context(), &rm); err != nil {
			http.Error(w, "collect failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		writeText(w, &rm)
	})
	return mux, nil
}

// writeText writes the metrics in the Prometheus text format: dots become
// underscores, counters get _total.
func writeText(w io.Writer, rm *metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			name := strings.ReplaceAll(m.Name, ".", "_")
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				fmt.Fprintf(w, "# TYPE %s_total counter\n", name)
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "%s_total%s %d\n", name, labels(p.Attributes), p.Value)
				}
			case metricdata.Gauge[int64]:
				fmt.Fprintf(w, "# TYPE %s gauge\n", name)
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "%s%s %d\n", name, labels(p.Attributes), p.Value)
				}
			case metricdata.Histogram[float64]:
				fmt.Fprintf(w, "# TYPE %s_seconds summary\n", name)
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "%s_seconds_sum%s %g\n", name, labels(p.Attributes), p.Sum)
					fmt.Fprintf(w, "%s_seconds_count%s %d\n", name, labels(p.Attributes), p.Count)
				}
			}
		}
	}
}

func labels(s attribute.Set) string {
	var kv []string
	for _, a := range s.ToSlice() {
		kv = append(kv, fmt.Sprintf("%s=%q", strings.ReplaceAll(string(a.Key), ".", "_"), a.Value.Emit()))
	}
	if len(kv) == 0 {
		return ""
	}
	sort.Strings(kv)
	return "{" + strings.Join(kv, ",") + "}"
}
