package storetest

import (
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/privacykit/privacy/stateview"
)

// RunViewClosedWithDB checks that closing a database closes the views made
// over it: a view left registered with its meter provider would keep the
// closed database reachable for the life of the process. open returns a
// view made over a new database with the options given, and a function
// that closes that database.
func RunViewClosedWithDB(t *testing.T, open func(t *testing.T, opts ...stateview.Option) (view *stateview.View, closeDB func() error)) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	metrics := func() int {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(t.Context(), &rm); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, sm := range rm.ScopeMetrics {
			n += len(sm.Metrics)
		}
		return n
	}
	_, closeDB := open(t, stateview.WithMeterProvider(mp))
	if metrics() == 0 {
		t.Fatal("the view of an open database reports no metrics")
	}
	if err := closeDB(); err != nil {
		t.Fatal(err)
	}
	if n := metrics(); n != 0 {
		t.Errorf("the view of a closed database still reports %d metrics: its provider holds it", n)
	}
}
