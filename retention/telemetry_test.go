package retention_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/privacykit/privacy/internal/spantest"
	"github.com/privacykit/privacy/retention"
)

// TestSpans sweeps an inventory whose eraser fails in the second batch,
// then resumes the sweep, with an in-memory span recorder: each Sweep is
// a span with one child per batch, numbered and counted, failures are
// marked, the resumed sweep says so, and no attribute carries a record's
// key or subject.
func TestSpans(t *testing.T) {
	t.Parallel()
	f := newFixture(60) // 20 due records: batches of 7, 7 and 6
	inv, st := f.setup(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	opts := []retention.Option{retention.WithBatchSize(7), retention.WithTracerProvider(tp)}
	// Each batch holds records to delete and to anonymise: two calls.
	eraser := &crashingEraser{inner: inv, n: 3}
	if _, err := newSweeper(t, st, inv, eraser, opts...).Sweep(t.Context()); err == nil {
		t.Fatal("first Sweep: no error; the eraser did not fail")
	}
	if _, err := newSweeper(t, st, inv, inv, opts...).Sweep(t.Context()); err != nil {
		t.Fatalf("resumed Sweep: %v", err)
	}

	spans := rec.Ended()
	erased := 0
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			v := kv.Value.Emit()
			if strings.HasPrefix(v, "r-") || strings.HasPrefix(v, "u-") {
				t.Errorf("span %s: attribute %s carries a record key or subject %q", s.Name(), kv.Key, v)
			}
			switch kv.Key {
			case "privacy.retention.sweep_id":
				if v == "" {
					t.Errorf("span %s: empty sweep id", s.Name())
				}
			case "privacy.retention.deleted", "privacy.retention.anonymised":
				if s.Name() == "privacy.retention.batch" && s.Status().Code != codes.Error {
					erased += int(kv.Value.AsInt64())
				}
			}
		}
	}
	got := spantest.Lines(spans, "privacy.sweep", "privacy.retention.batch", "privacy.retention.resumed", "privacy.retention.batches")
	want := []string{
		"privacy.retention.batch < privacy.retention.sweep privacy.retention.batch=1 privacy.sweep=retention",
		"privacy.retention.batch < privacy.retention.sweep error:sweep failed privacy.retention.batch=2 privacy.sweep=retention",
		"privacy.retention.sweep < - error:sweep failed privacy.retention.batches=1 privacy.retention.resumed=false privacy.sweep=retention",
		"privacy.retention.batch < privacy.retention.sweep privacy.retention.batch=2 privacy.sweep=retention",
		"privacy.retention.batch < privacy.retention.sweep privacy.retention.batch=3 privacy.sweep=retention",
		"privacy.retention.sweep < - privacy.retention.batches=2 privacy.retention.resumed=true privacy.sweep=retention",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans in the order they ended (-want +got):\n%s", diff)
	}
	if erased != len(f.due) {
		t.Errorf("committed batches' spans count %d records erased, want %d", erased, len(f.due))
	}
}
