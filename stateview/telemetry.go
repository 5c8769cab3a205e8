package stateview

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentation is the OpenTelemetry scope name of the view's metrics.
const instrumentation = "github.com/privacykit/privacy/stateview"

// WithMeterProvider makes the view's metrics with mp instead of the global
// provider (otel.GetMeterProvider). The metrics are observed when the
// provider's reader collects, from the counters of Stats and from
// Staleness, so a read costs nothing more for them. The view stays
// registered with the provider for the provider's life: make one view per
// database and keep it, as the DB.View methods ask.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(v *View) { v.meterProvider = mp }
}

// Attribute values of privacy.view.fail_closed_reads.
var (
	causePaused = metric.WithAttributeSet(attribute.NewSet(attribute.String("privacy.view.cause", "paused")))
	causeStale  = metric.WithAttributeSet(attribute.NewSet(attribute.String("privacy.view.cause", "stale")))
)

// instrument registers the view's observable instruments with its meter
// provider. A provider that refuses them costs the view its metrics, not
// its reads: the error goes to otel.Handle, as OpenTelemetry's own
// instrumentation does.
func (v *View) instrument() {
	mp := v.meterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentation)
	staleness, err := m.Float64ObservableGauge("privacy.view.staleness",
		metric.WithDescription("Time since the view's feed last vouched that no change was missed (its heartbeat); reported only for views a feed vouches for."),
		metric.WithUnit("s"))
	if err != nil {
		otel.Handle(err)
		return
	}
	failClosed, err := m.Int64ObservableCounter("privacy.view.fail_closed_reads",
		metric.WithDescription("Reads the view sent to the stores because it was paused or its last vouch was older than its maximum staleness, by cause."),
		metric.WithUnit("{read}"))
	if err != nil {
		otel.Handle(err)
		return
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if d, ok := v.Staleness(); ok {
			o.ObserveFloat64(staleness, d.Seconds())
		}
		o.ObserveInt64(failClosed, int64(v.paused.Load()), causePaused)
		o.ObserveInt64(failClosed, int64(v.stale.Load()), causeStale)
		return nil
	}, staleness, failClosed)
	if err != nil {
		otel.Handle(err)
		return
	}
	v.metrics = reg
}

// Close ends the view's registration with its meter provider, which
// otherwise holds the view (and the stores it reads) for as long as the
// provider lives: the global provider, for the life of the process. The
// view still answers reads after Close, unmeasured. The sqlite and
// postgres packages close the views of a DB when the DB closes.
func (v *View) Close() error {
	var err error
	v.closeOnce.Do(func() {
		if v.metrics != nil {
			err = v.metrics.Unregister()
		}
	})
	return err
}
