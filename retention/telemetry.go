package retention

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation is the OpenTelemetry scope name of the sweeper's spans.
const instrumentation = "github.com/privacykit/privacy/retention"

// WithTracerProvider makes the sweeper's spans with tp instead of the
// global provider (otel.GetTracerProvider): privacy.retention.sweep for
// each Sweep and, as its children, privacy.retention.batch for each batch
// it erases and commits. They carry the sweep's name and id, the batch's
// number and counts, never a record's key or subject.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(s *Sweeper) { s.tracer = tp.Tracer(instrumentation) }
}

func defaultTracer() trace.Tracer { return otel.GetTracerProvider().Tracer(instrumentation) }

// summaryAttributes are a sweep's counts as span attributes.
func summaryAttributes(sum Summary) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.Int("privacy.retention.batches", sum.Batches),
		attribute.Int("privacy.retention.scanned", sum.Scanned),
		attribute.Int("privacy.retention.deleted", sum.Delete),
		attribute.Int("privacy.retention.anonymised", sum.Anonymise),
		attribute.Int("privacy.retention.held", sum.Held),
		attribute.Int("privacy.retention.spared", sum.Spared),
		attribute.Bool("privacy.retention.resumed", sum.Resumed),
	}
}

// endSpan ends span, marking it failed when err is set; the description
// is fixed, as an error's text may quote a record's key.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, "sweep failed")
	}
	span.End()
}
