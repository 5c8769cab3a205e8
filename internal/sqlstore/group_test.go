package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
)

// groupLog is a commit function that records the size of each group and,
// while gate is set, holds each commit until gate yields.
type groupLog struct {
	mu    sync.Mutex
	sizes []int
	gate  chan struct{}
}

func (l *groupLog) commit(ps []*pendingAppend) {
	l.mu.Lock()
	l.sizes = append(l.sizes, len(ps))
	gate := l.gate
	l.mu.Unlock()
	if gate != nil {
		<-gate
	}
	for _, p := range ps {
		p.out = p.rs
	}
}

func (l *groupLog) groups() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.sizes...)
}

func queued(g *group) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupGathersTheLastWriters: the writer of a group that committed
// while three others queued appends again soon after; the next group
// holds all four rather than the three alone (groups had alternated at half
// size with many writers: docs/benchmarks.md, ledger round 4).
func TestGroupGathersTheLastWriters(t *testing.T) {
	gate := make(chan struct{})
	l := &groupLog{gate: gate}
	g := &group{gatherMax: time.Minute}
	ctx := context.Background()
	rec := []consent.Record{{}}
	var wg sync.WaitGroup
	first := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := g.append(ctx, rec, l.commit); err != nil {
			t.Errorf("first append: %v", err)
		}
		close(first)
		// As a writer that takes a moment before appending again: until
		// the next group is under way, or 100 ms. The drain must not take
		// the next group before this writer is back.
		for end := time.Now().Add(100 * time.Millisecond); len(l.groups()) < 2 && time.Now().Before(end); {
			time.Sleep(time.Millisecond)
		}
		if _, err := g.append(ctx, rec, l.commit); err != nil {
			t.Errorf("second append of the first writer: %v", err)
		}
	}()
	waitFor(t, "the first commit", func() bool { return len(l.groups()) == 1 })
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := g.append(ctx, rec, l.commit); err != nil {
				t.Errorf("append: %v", err)
			}
		}()
	}
	waitFor(t, "three queued appends", func() bool { return queued(g) == 3 })
	l.mu.Lock()
	l.gate = nil
	l.mu.Unlock()
	close(gate)
	wg.Wait()
	<-first
	if got, want := l.groups(), []int{1, 4}; !equalInts(got, want) {
		t.Fatalf("group sizes %v, want %v", got, want)
	}
}

// TestGroupLoneWriterDoesNotGather: one writer appending one record after
// another never waits for others, however long a gather may last.
func TestGroupLoneWriterDoesNotGather(t *testing.T) {
	l := &groupLog{}
	g := &group{gatherMax: time.Hour}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			if _, err := g.append(context.Background(), []consent.Record{{}}, l.commit); err != nil {
				t.Errorf("append: %v", err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a lone writer waited for others")
	}
	if got := len(l.groups()); got != 100 {
		t.Fatalf("%d groups of a lone writer's 100 appends, want 100", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
