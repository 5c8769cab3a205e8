package accountability

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
)

// DisclosureLog finds the recipients of a subject's data in a decision log
// file written by policies.WithDecisionLog, for the Desk's notices of
// rectification, erasure and restriction (dsar.WithDisclosures, Art. 19)
// and the subject's question who received their data. Key is the
// decision log's key: the subject is found by the pseudonym the log
// writes (privacy.Pseudonym), so the log holds no subject id and only the
// key's holder can link it to one.
type DisclosureLog struct {
	Path string
	Key  []byte
}

var _ dsar.Disclosures = DisclosureLog{}

// Disclosures reads the log at l.Path whole (at most
// privacy.MaxDecisionLogBytes) and returns the subject's disclosures, as
// ReadDisclosures. Errors name the file, never the subject.
func (l DisclosureLog) Disclosures(ctx context.Context, subjectID string) ([]dsar.Disclosure, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(l.Key) == 0 {
		return nil, &privacy.ValidationError{Field: "decision log key", Message: "is required: the key the decision log was written with"}
	}
	f, err := os.Open(l.Path)
	if err != nil {
		return nil, fmt.Errorf("read decision log: %w", err)
	}
	defer f.Close()
	list, err := ReadDisclosures(f, privacy.Pseudonym(l.Key, subjectID))
	if err != nil {
		return nil, fmt.Errorf("decision log %s: %w", l.Path, err)
	}
	return list, nil
}

// ReadDisclosures reads a decision log (as ReadDecisionLog does, with its
// limits and errors) and returns the allowed disclosures of the subject
// whose pseudonym is given: one per recipient (id, kind, country) and
// purpose, with the data keys disclosed, how many decisions allowed it and
// the earliest and latest moments judged. Internal uses (no recipient)
// and audit replays are left out.
func ReadDisclosures(r io.Reader, pseudonym string) ([]dsar.Disclosure, error) {
	out := []dsar.Disclosure{}
	index := map[[4]string]int{}
	err := scanDecisionLog(r, func(n int, rec *logRecord) error {
		req := rec.Request
		rc := req.Recipient
		if rc == nil || req.Subject.Pseudonym != pseudonym {
			return nil
		}
		k := [4]string{rc.ID, string(rc.Kind), rc.Country, req.Purpose}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, dsar.Disclosure{Recipient: rc.ID, Kind: rc.Kind, Country: rc.Country, Purpose: req.Purpose})
		}
		d := &out[i]
		d.Count++
		d.Data = append(d.Data, req.Data...)
		if at := rec.State.At; !at.IsZero() {
			if d.First.IsZero() || at.Before(d.First) {
				d.First = at.UTC()
			}
			if at.After(d.Last) {
				d.Last = at.UTC()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		slices.Sort(out[i].Data)
		out[i].Data = slices.Compact(out[i].Data)
	}
	slices.SortFunc(out, func(a, b dsar.Disclosure) int {
		return strings.Compare(a.Recipient+"\x00"+a.Purpose, b.Recipient+"\x00"+b.Purpose)
	})
	return out, nil
}
