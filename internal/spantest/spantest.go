// Package spantest describes recorded OpenTelemetry spans as lines that
// tests compare with cmp.Diff: the span's name, its parent's name, its
// error status and the attributes a test cares about.
package spantest

import (
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Lines returns a line per span, in the order of spans:
// "name < parent [error:description] key=value …" with the attributes
// named in keys, sorted; the parent is "-" for a root (or a parent not in
// spans).
func Lines(spans []sdktrace.ReadOnlySpan, keys ...string) []string {
	names := map[[8]byte]string{}
	for _, s := range spans {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	out := make([]string, 0, len(spans))
	for _, s := range spans {
		parent, ok := names[s.Parent().SpanID()]
		if !ok || !s.Parent().IsValid() {
			parent = "-"
		}
		line := s.Name() + " < " + parent
		if s.Status().Code == codes.Error {
			line += " error:" + s.Status().Description
		}
		var attrs []string
		for _, kv := range s.Attributes() {
			if slices.Contains(keys, string(kv.Key)) {
				attrs = append(attrs, fmt.Sprintf("%s=%s", kv.Key, kv.Value.Emit()))
			}
		}
		slices.Sort(attrs)
		out = append(out, strings.TrimSpace(line+" "+strings.Join(attrs, " ")))
	}
	return out
}
