package sqlstore

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/privacykit/privacy"
)

// instrumentation is the OpenTelemetry scope name of the ledger's metrics.
const instrumentation = "github.com/privacykit/privacy/internal/sqlstore"

// ledgerMetrics are the instruments of a database's consent ledger. With
// no provider configured they are the global provider's, no-ops until an
// application installs an SDK.
type ledgerMetrics struct {
	appends   metric.Int64Counter
	groupSize metric.Int64Histogram
	latency   metric.Float64Histogram
}

// The results the appends counter and the latency histogram tell apart.
var (
	resultOK       = metric.WithAttributes(attribute.String("privacy.result", "ok"))
	resultInvalid  = metric.WithAttributes(attribute.String("privacy.result", "invalid"))
	resultCanceled = metric.WithAttributes(attribute.String("privacy.result", "canceled"))
	resultError    = metric.WithAttributes(attribute.String("privacy.result", "error"))
)

func newLedgerMetrics(mp metric.MeterProvider) (*ledgerMetrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentation)
	var (
		lm  ledgerMetrics
		err error
	)
	if lm.appends, err = m.Int64Counter("privacy.ledger.appends",
		metric.WithDescription("Consent records appended (Append, AppendBatch), by result: ok, invalid (refused by validation), canceled, error."),
		metric.WithUnit("{record}")); err != nil {
		return nil, err
	}
	if lm.groupSize, err = m.Int64Histogram("privacy.ledger.group.size",
		metric.WithDescription("Records written by one group commit (one transaction, one sync)."),
		metric.WithUnit("{record}"),
		metric.WithExplicitBucketBoundaries(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)); err != nil {
		return nil, err
	}
	if lm.latency, err = m.Float64Histogram("privacy.ledger.append.duration",
		metric.WithDescription("Time from an Append or AppendBatch call until its records are committed (or it failed), by result."),
		metric.WithUnit("s")); err != nil {
		return nil, err
	}
	return &lm, nil
}

// observe counts n records of one Append or AppendBatch call begun at
// start, which returned err.
func (lm *ledgerMetrics) observe(ctx context.Context, start time.Time, n int, err error) {
	if lm == nil {
		return
	}
	result := resultOK
	var ve *privacy.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		result = resultInvalid
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		result = resultCanceled
	default:
		result = resultError
	}
	// The caller's cancellation must not drop the measurement.
	ctx = context.WithoutCancel(ctx)
	lm.appends.Add(ctx, int64(n), result)
	lm.latency.Record(ctx, time.Since(start).Seconds(), result)
}
