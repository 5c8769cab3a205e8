package dsar_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/spantest"
)

// TestSpans runs an erasure whose first Run fails at one source, then
// completes it, with an in-memory span recorder: each Run is a span with
// one child per step (the holds, each source called, and the steps that
// finish an erasure), failures are marked by kind, and no attribute
// carries the subject's id or anything a source returned.
func TestSpans(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := newFixture(t, dsar.WithTracerProvider(tp), dsar.WithConsent(&pseudonymiser{}))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindErasure, Subject: user})
	f.crm.failNext(1)
	if _, err := f.desk.Run(t.Context(), r.ID); !errors.Is(err, dsar.ErrIncomplete) {
		t.Fatalf("first Run: %v, want ErrIncomplete", err)
	}
	f.run(t, r.ID)

	spans := rec.Ended()
	keys := []string{"privacy.dsar.request", "privacy.dsar.kind", "privacy.dsar.status", "privacy.dsar.source",
		"privacy.dsar.outcome", "privacy.dsar.attempt", "privacy.dsar.erased"}
	got := spantest.Lines(spans, keys...)
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			for _, private := range []string{user.ID, "ann@example.com", "ann", "weekly sync, 30 min"} {
				if kv.Value.Emit() == private {
					t.Errorf("span %s: attribute %s carries %q", s.Name(), kv.Key, private)
				}
			}
		}
		if strings.Contains(s.Status().Description, "connection refused") {
			t.Errorf("span %s: status quotes the source's error %q", s.Name(), s.Status().Description)
		}
	}
	// Sources run concurrently: their spans end in either order.
	slices.Sort(got)
	want := []string{
		"privacy.dsar.clear_exports < privacy.dsar.run",
		"privacy.dsar.holds < privacy.dsar.run",
		"privacy.dsar.pseudonymise < privacy.dsar.run",
		"privacy.dsar.run < - error:incomplete privacy.dsar.kind=erasure privacy.dsar.request=r-1 privacy.dsar.status=in_progress",
		"privacy.dsar.run < - privacy.dsar.kind=erasure privacy.dsar.request=r-1 privacy.dsar.status=completed",
		"privacy.dsar.source < privacy.dsar.run error:source failed privacy.dsar.attempt=1 privacy.dsar.erased=0 privacy.dsar.outcome=failed privacy.dsar.source=crm",
		"privacy.dsar.source < privacy.dsar.run privacy.dsar.attempt=1 privacy.dsar.erased=2 privacy.dsar.outcome=done privacy.dsar.source=meetings",
		"privacy.dsar.source < privacy.dsar.run privacy.dsar.attempt=2 privacy.dsar.erased=2 privacy.dsar.outcome=done privacy.dsar.source=crm",
		"privacy.dsar.state < privacy.dsar.run",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// TestStateSpan checks the span of a request the subject state answers.
func TestStateSpan(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := newFixture(t, dsar.WithTracerProvider(tp))
	r := f.openVerified(t, dsar.Request{Kind: dsar.KindObjection, Subject: user, DirectMarketing: true})
	f.run(t, r.ID)
	got := spantest.Lines(rec.Ended(), "privacy.dsar.kind", "privacy.dsar.status")
	want := []string{
		"privacy.dsar.state < privacy.dsar.run",
		"privacy.dsar.run < - privacy.dsar.kind=objection privacy.dsar.status=completed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}
