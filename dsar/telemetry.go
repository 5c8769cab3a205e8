package dsar

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation is the OpenTelemetry scope name of the Desk's spans.
const instrumentation = "github.com/privacykit/privacy/dsar"

// WithTracerProvider makes the Desk's spans with tp instead of the global
// provider (otel.GetTracerProvider). A Run is a span, privacy.dsar.run,
// and each of its steps a child span: privacy.dsar.source per source
// called, privacy.dsar.holds, privacy.dsar.forward, privacy.dsar.state,
// privacy.dsar.pseudonymise and privacy.dsar.clear_exports. No span
// carries the subject's id or anything a source returned: only the
// request's id (see WithIDs), its kind and status, the source's name and
// counts.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(d *Desk) { d.tracer = tp.Tracer(instrumentation) }
}

func defaultTracer() trace.Tracer { return otel.GetTracerProvider().Tracer(instrumentation) }

// step starts the span of one step of a Run; its parent is the Run's span
// in ctx.
func (d *Desk) step(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return d.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

// endSpan ends span, marking it failed when err is set. The status
// description names the kind of failure only: an error's text may quote a
// source, which may quote the subject.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, failure(err))
	}
	span.End()
}

// failure names the kind of err for a span's status.
func failure(err error) string {
	switch {
	case errors.Is(err, ErrIncomplete):
		return "incomplete"
	case errors.Is(err, ErrBlocked):
		return "blocked"
	case errors.Is(err, ErrNotVerified):
		return "not verified"
	case errors.Is(err, ErrTransition):
		return "transition"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "failed"
}
