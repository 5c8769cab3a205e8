package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/sqlite"
)

// TestLedgerMetrics appends through a database opened with an SDK meter:
// one Append, one AppendBatch of three and one refused record are counted
// by result, the group commits' sizes add up to the four records stored,
// every call is timed, and no attribute carries a subject id.
func TestLedgerMetrics(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "metrics.db"), sqlite.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.ConsentStore()
	const id = "subject-5e1d-metrics"
	r := consent.Record{SubjectID: id, Purpose: "research.surveys", Event: consent.Given, PolicyVersion: "1.2",
		Method: consent.MethodCheckbox, CollectedAt: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	if _, err := s.Append(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendBatch(t.Context(), []consent.Record{r, r, r}); err != nil {
		t.Fatal(err)
	}
	bad := r
	bad.Event = "maybe"
	if _, err := s.Append(t.Context(), bad); err == nil {
		t.Fatal("Append of a record with an unknown event: no error")
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	appends := map[string]int64{}
	var groups, grouped, timed uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					noSubject(t, m.Name, p.Attributes, id)
					if m.Name == "privacy.ledger.appends" {
						v, _ := p.Attributes.Value("privacy.result")
						appends[v.AsString()] += p.Value
					}
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					noSubject(t, m.Name, p.Attributes, id)
					if m.Name == "privacy.ledger.group.size" {
						groups, grouped = groups+p.Count, grouped+uint64(p.Sum)
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					noSubject(t, m.Name, p.Attributes, id)
					if m.Name == "privacy.ledger.append.duration" {
						timed += p.Count
					}
				}
			}
		}
	}
	if appends["ok"] != 4 || appends["invalid"] != 1 || len(appends) != 2 {
		t.Errorf("privacy.ledger.appends by result = %v, want ok 4, invalid 1", appends)
	}
	if groups < 1 || groups > 2 || grouped != 4 {
		t.Errorf("privacy.ledger.group.size: %d commits of %d records in all; want 1 or 2 commits, 4 records", groups, grouped)
	}
	if timed != 3 {
		t.Errorf("privacy.ledger.append.duration: %d calls timed, want 3", timed)
	}
}

func noSubject(t *testing.T, metric string, set attribute.Set, id string) {
	t.Helper()
	for _, kv := range set.ToSlice() {
		if kv.Value.Emit() == id {
			t.Errorf("metric %s attribute %s carries the subject id", metric, kv.Key)
		}
	}
}
