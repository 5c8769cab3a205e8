package dsar_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/memory"
)

// clock is an injectable clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// source is an in-memory Source that counts its calls and fails on demand.
type source struct {
	mu    sync.Mutex
	data  map[string][]dsar.Record // subject id -> records
	fails int                      // calls left that fail
	calls map[string]int           // method -> calls
	// gate, when set, blocks every call until it is closed.
	gate chan struct{}
}

func newSource(subjectID string, recs ...dsar.Record) *source {
	return &source{data: map[string][]dsar.Record{subjectID: recs}, calls: map[string]int{}}
}

func (s *source) enter(method string) error {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	if s.fails > 0 {
		s.fails--
		return errors.New("connection refused")
	}
	return nil
}

func (s *source) failNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = n
}

func (s *source) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *source) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

func (s *source) Export(_ context.Context, subj privacy.Subject) ([]dsar.Record, error) {
	if err := s.enter("export"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.data[subj.ID]), nil
}

func (s *source) Erase(_ context.Context, subj privacy.Subject, categories []string) ([]dsar.Erased, error) {
	if err := s.enter("erase"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	s.data[subj.ID] = slices.DeleteFunc(s.data[subj.ID], func(r dsar.Record) bool {
		if slices.Contains(categories, r.Category) {
			counts[r.Category]++
			return true
		}
		return false
	})
	var out []dsar.Erased
	for _, c := range categories {
		if counts[c] > 0 {
			out = append(out, dsar.Erased{Category: c, Method: dsar.Deleted, Count: counts[c]})
		}
	}
	return out, nil
}

func (s *source) Rectify(_ context.Context, subj privacy.Subject, cs []dsar.Correction) (int, error) {
	if err := s.enter("rectify"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i, r := range s.data[subj.ID] {
		for _, c := range cs {
			if r.Category == c.Category {
				s.data[subj.ID][i].Value = c.Value
				n++
			}
		}
	}
	return n, nil
}

var (
	user  = privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"}
	guest = privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Controller: "acme"}
	// received is a Saturday, 31 January 2026, at 10:00 UTC.
	received = time.Date(2026, time.January, 31, 10, 0, 0, 0, time.UTC)
	operator = dsar.Evidence{Method: "email_link", By: "op-anna"}
)

// fixture is a Desk over memory stores with two sources: crm (contact and
// account) and meetings (meeting data).
type fixture struct {
	desk     *dsar.Desk
	requests *memory.RequestStore
	states   *memory.StateStore
	clock    *clock
	crm      *source
	meetings *source
}

func newFixture(t *testing.T, opts ...dsar.Option) *fixture {
	t.Helper()
	f := &fixture{
		requests: memory.NewRequestStore(),
		states:   memory.NewStateStore(),
		clock:    newClock(received),
		crm: newSource(user.ID,
			dsar.Record{Category: "instance.contact.email", ID: "c-1", Value: "ann@example.com"},
			dsar.Record{Category: "instance.account.username", ID: "c-1", Value: "ann"}),
		meetings: newSource(user.ID,
			dsar.Record{Category: "instance.meeting.data", ID: "m-1", Value: "weekly sync, 30 min"},
			dsar.Record{Category: "instance.meeting.data", ID: "m-2", Value: "intake, 15 min"}),
	}
	f.states.Now = f.clock.Now
	n := 0
	base := []dsar.Option{
		dsar.WithHolds(&dsar.CatalogHolds{Catalog: privacy.DefaultCatalog()}),
		dsar.WithClock(f.clock.Now),
		dsar.WithIDs(func() string { n++; return fmt.Sprintf("r-%d", n) }),
		dsar.WithSource("crm", f.crm),
		dsar.WithSource("meetings", f.meetings),
	}
	f.desk = dsar.NewDesk(f.requests, f.states, append(base, opts...)...)
	return f
}

// open opens and verifies a request.
func (f *fixture) openVerified(t *testing.T, r dsar.Request) dsar.Request {
	t.Helper()
	r, err := f.desk.Open(t.Context(), r)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r, err = f.desk.Verify(t.Context(), r.ID, operator)
	if err != nil || r.Status != dsar.StatusVerified {
		t.Fatalf("Verify: got status %s, error %v; want verified", r.Status, err)
	}
	return r
}

func (f *fixture) run(t *testing.T, id string) dsar.Request {
	t.Helper()
	r, err := f.desk.Run(t.Context(), id)
	if err != nil {
		t.Fatalf("Run %s: %v", id, err)
	}
	return r
}

func actions(r dsar.Request) []string {
	out := []string{}
	for _, e := range r.Trail {
		out = append(out, e.Action)
	}
	return out
}
