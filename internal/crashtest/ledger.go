package crashtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
)

// Appender is what AppendForever writes to: a ledger's Append and
// AppendBatch.
type Appender interface {
	consent.Store
	consent.Batcher
}

// AppendForever appends to the ledger from writers goroutines until the
// process is killed: half of them one record at a time, half in batches
// of 2 to 8. It prints "r ID" for every Append that returned and
// "b ID ID …" for every AppendBatch that returned. The subject of a
// batch's records names the batch and its size
// ("b-TAG-WRITER-N-I/SIZE", TAG telling processes apart), so that
// CheckLedger can find a batch stored in part.
func AppendForever(ctx context.Context, s Appender, writers int) {
	tag := fmt.Sprintf("%d.%d", os.Getpid(), time.Now().UnixNano())
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	print := func(line string) {
		mu.Lock()
		fmt.Fprintln(out, line)
		out.Flush()
		mu.Unlock()
	}
	rec := func(subjectID string) consent.Record {
		return consent.Record{SubjectID: subjectID, Purpose: "research.surveys", Event: consent.Given, PolicyVersion: "1.2",
			Method: consent.MethodCheckbox, CollectedAt: time.Now()}
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := 0; ; n++ {
				if w%2 == 0 {
					r, err := s.Append(ctx, rec(fmt.Sprintf("r-%s-%d-%d", tag, w, n)))
					if err != nil {
						Die(err)
					}
					print("r " + r.RecordID)
					continue
				}
				size := 2 + (w+n)%7
				rs := make([]consent.Record, size)
				for i := range rs {
					rs[i] = rec(fmt.Sprintf("b-%s-%d-%d-%d/%d", tag, w, n, i, size))
				}
				got, err := s.AppendBatch(ctx, rs)
				if err != nil {
					Die(err)
				}
				line := "b"
				for _, r := range got {
					line += " " + r.RecordID
				}
				print(line)
			}
		})
	}
	wg.Wait()
}

// LedgerFigures are what CheckLedger found.
type LedgerFigures struct {
	// Acknowledged counts the records whose Append or AppendBatch returned
	// before the kill; Records the records in the ledger.
	Acknowledged, Records int
}

// CheckLedger checks the ledger after AppendForever's processes were
// killed: it verifies intact (every record whole, the chain unbroken), it
// holds every record whose append the lines acknowledged, and it holds
// every batch whole or not at all.
func CheckLedger(t testing.TB, l consent.Ledger, lines []string) LedgerFigures {
	t.Helper()
	ctx := context.Background()
	rep, err := consent.Verify(ctx, l)
	if err != nil || !rep.Intact {
		t.Fatalf("the ledger does not verify after the kill: %s, %v", rep, err)
	}
	ids := map[string]bool{}
	batches := map[string]int{}
	sizes := map[string]int{}
	err = l.Scan(ctx, 0, func(r consent.Record) error {
		ids[r.RecordID] = true
		if name, size, ok := strings.Cut(r.SubjectID, "/"); ok && strings.HasPrefix(name, "b-") {
			batch := name[:strings.LastIndexByte(name, '-')]
			batches[batch]++
			sizes[batch], _ = strconv.Atoi(size)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fig := LedgerFigures{Records: len(ids)}
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) < 2 || (fields[0] != "r" && fields[0] != "b") {
			t.Fatalf("unexpected line from the child: %q", line)
		}
		for _, id := range fields[1:] {
			fig.Acknowledged++
			if !ids[id] {
				t.Errorf("record %s, acknowledged before the kill, is lost", id)
			}
		}
	}
	for b, n := range batches {
		if n != sizes[b] {
			t.Errorf("batch %s is stored in part: %d of its %d records", b, n, sizes[b])
		}
	}
	return fig
}
