package policies

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/privacykit/privacy"
)

// instrumentation is the OpenTelemetry scope name of the engine's spans
// and metrics.
const instrumentation = "github.com/privacykit/privacy/policies"

// WithTracerProvider makes the engine's spans with tp instead of the
// global provider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *config) { o.tracerProvider = tp }
}

// WithMeterProvider makes the engine's metrics with mp instead of the
// global provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *config) { o.meterProvider = mp }
}

// CacheStats counts what the decision cache did since the engine was
// made. All are zero when WithCache(0) turned the cache off.
type CacheStats struct {
	// Hits are decisions answered from the cache.
	Hits uint64
	// Misses are lookups that found no entry covering the request's time,
	// so that the policy was evaluated.
	Misses uint64
	// Evictions are entries dropped to make room in a full shard.
	Evictions uint64
	// Invalidations are the times a new policy (Reload) emptied the cache.
	Invalidations uint64
	// Entries is the number of decisions held now.
	Entries uint64
}

// Stats returns the decision cache's counters. Counting takes no lock.
func (e *Engine) Stats() CacheStats {
	c := e.cache
	if c == nil {
		return CacheStats{}
	}
	return c.stats()
}

// telemetry holds the engine's tracer and instruments. With no provider
// configured they are the global ones, no-ops until an application
// installs an SDK.
type telemetry struct {
	tracer    trace.Tracer
	decisions metric.Int64Counter
	latency   metric.Float64Histogram
	// cacheMetrics registers the cache's observable instruments; nil
	// without a cache. Engine.Close ends it.
	cacheMetrics metric.Registration
}

func newTelemetry(cfg *config, e *Engine) (telemetry, error) {
	tp, mp := cfg.tracerProvider, cfg.meterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentation)
	t := telemetry{tracer: tp.Tracer(instrumentation)}
	var err error
	if t.decisions, err = m.Int64Counter("privacy.decisions",
		metric.WithDescription("Decisions the policy evaluated (cache hits are privacy.cache.hits), by result and first reason code."),
		metric.WithUnit("{decision}")); err != nil {
		return t, err
	}
	if t.latency, err = m.Float64Histogram("privacy.decision.duration",
		metric.WithDescription("Time to evaluate the policy for one uncached decision."),
		metric.WithUnit("s")); err != nil {
		return t, err
	}
	if e.cache == nil {
		return t, nil
	}
	hits, err := m.Int64ObservableCounter("privacy.cache.hits", metric.WithDescription("Decisions answered from the cache."))
	if err != nil {
		return t, err
	}
	misses, err := m.Int64ObservableCounter("privacy.cache.misses", metric.WithDescription("Cache lookups that led to an evaluation."))
	if err != nil {
		return t, err
	}
	evictions, err := m.Int64ObservableCounter("privacy.cache.evictions", metric.WithDescription("Entries dropped from a full cache shard."))
	if err != nil {
		return t, err
	}
	entries, err := m.Int64ObservableGauge("privacy.cache.entries", metric.WithDescription("Decisions the cache holds."))
	if err != nil {
		return t, err
	}
	t.cacheMetrics, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := e.Stats()
		o.ObserveInt64(hits, int64(st.Hits))
		o.ObserveInt64(misses, int64(st.Misses))
		o.ObserveInt64(evictions, int64(st.Evictions))
		o.ObserveInt64(entries, int64(st.Entries))
		return nil
	}, hits, misses, evictions, entries)
	return t, err
}

// evaluateObserved is evaluate inside a span "privacy.decide", counted
// and timed. Neither span nor metrics carry the subject: only the purpose,
// the result and reason codes.
func (e *Engine) evaluateObserved(ctx context.Context, p *policy, req *privacy.Request, f *facts) (privacy.Decision, window, error) {
	ctx, span := e.tel.tracer.Start(ctx, "privacy.decide", trace.WithAttributes(
		attribute.String("privacy.purpose", req.Purpose)))
	start := time.Now()
	d, w, err := e.evaluate(ctx, p, req, f)
	elapsed := time.Since(start).Seconds()

	result := "denied"
	if d.Allowed {
		result = "allowed"
	}
	reason := ""
	reasonCodes := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		reasonCodes[i] = r.Code
	}
	if len(reasonCodes) > 0 {
		reason = reasonCodes[0]
	}
	e.tel.decisions.Add(ctx, 1, metric.WithAttributes(
		attribute.String("privacy.result", result), attribute.String("privacy.reason", reason)))
	e.tel.latency.Record(ctx, elapsed, metric.WithAttributes(attribute.String("privacy.result", result)))
	span.SetAttributes(attribute.Bool("privacy.allowed", d.Allowed), attribute.StringSlice("privacy.reasons", reasonCodes))
	if err != nil {
		span.SetStatus(codes.Error, "decision failed")
	}
	span.End()
	return d, w, err
}

// Close ends the engine's registration with its meter provider (the
// cache's observable instruments), which otherwise holds the engine, its
// cache and its stores for as long as the provider lives: the global
// provider, for the life of the process. Call it when an engine is
// dropped before the process ends (one per tenant, say). The engine still
// decides after Close; its cache is no longer reported.
func (e *Engine) Close() error {
	var err error
	e.closeOnce.Do(func() {
		if e.tel.cacheMetrics != nil {
			err = e.tel.cacheMetrics.Unregister()
		}
	})
	return err
}
