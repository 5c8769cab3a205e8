package consent

import (
	"context"
	"errors"
	"fmt"
)

// Problem is what Verify found wrong at the first bad record.
type Problem string

// The problems Verify reports.
const (
	// Altered: the record's content does not hash to its Hash, or its
	// SubjectID does not match its SubjectRef: it was edited after it was
	// sealed (or renumbered).
	Altered Problem = "altered"
	// Missing: a Seq is absent: the record was removed.
	Missing Problem = "missing"
	// Inserted: the record before this one is not the predecessor this one
	// was sealed to, but the one before that is: a record was inserted.
	Inserted Problem = "inserted"
	// Unlinked: the record was sealed to a predecessor that is not the
	// record before it: records were reordered, or removed and the rest
	// renumbered, or the record before was edited and sealed again.
	Unlinked Problem = "unlinked"
	// Truncated: the ledger ends before a head that was recorded (the
	// store's own head or one given to VerifyAgainst), or the record at
	// that head's Seq has another hash: the last records were removed or
	// replaced.
	Truncated Problem = "truncated"
	// Invalid: the record lacks a field every record needs, or holds a
	// value no store accepts on append (a blank subject id without a
	// pseudonym, an unknown event, a grant without a policy version, an
	// act that is not consent …): it was written past the store, whatever
	// its hash says.
	Invalid Problem = "invalid"
	// Unverifiable: the record names a key the KeyProvider does not hold,
	// so its MAC cannot be checked.
	Unverifiable Problem = "unverifiable"
)

// Report is the result of Verify.
type Report struct {
	// Intact reports that every record checked is as it was sealed.
	Intact bool `json:"intact"`
	// Checked is the number of records found good before the first bad
	// one (all of them when Intact).
	Checked int64 `json:"checked"`
	// Head is the last good record: publish it when Intact, and pass it to
	// VerifyAgainst later.
	Head Head `json:"head"`
	// Problem, Seq, RecordID and Message describe the first bad record
	// when the ledger is not intact. For Missing and Truncated, Seq is the
	// first Seq absent and RecordID is empty.
	Problem  Problem `json:"problem,omitempty"`
	Seq      int64   `json:"seq,omitempty"`
	RecordID string  `json:"record_id,omitempty"`
	Message  string  `json:"message,omitempty"`
	// Keyed counts the good records sealed with a key whose MAC was
	// checked with the key: no one without the key could have made them.
	Keyed int64 `json:"keyed"`
	// Unkeyed counts the good records sealed without a key (before the
	// ledger had one): their hashes show only that the chain hangs
	// together, which anyone who rewrites it can arrange; a keyed record
	// after them, or a checkpoint, pins them.
	Unkeyed int64 `json:"unkeyed"`
	// Unchecked counts the good records sealed with a key that was not
	// checked, because Verify had no KeyProvider: for them too, only the
	// chain was checked.
	Unchecked int64 `json:"unchecked"`
	// Checkpoint reports that a signed checkpoint was checked: its
	// signature is good and the ledger still holds its head.
	Checkpoint bool `json:"checkpoint,omitempty"`
}

// String returns one line: "intact: N records, head SEQ HASH" or the
// problem.
func (r Report) String() string {
	if r.Intact {
		return fmt.Sprintf("intact: %d records, head %d %s", r.Checked, r.Head.Seq, r.Head.Hash)
	}
	if r.Problem == Unverifiable {
		// Not evidence of a change: the keys given cannot check it.
		return fmt.Sprintf("cannot be verified from seq %d with the keys given: %s (not a sign of tampering: give the keyring that holds that key)", r.Seq, r.Message)
	}
	return fmt.Sprintf("broken at seq %d: %s: %s", r.Seq, r.Problem, r.Message)
}

// errStop ends a scan at the first problem.
var errStop = errors.New("stop")

// Verify walks the ledger in Seq order and checks that every record hashes
// to its Hash, is chained to the record before it by PrevHash, and follows
// it by exactly one Seq; that the ledger reaches the head the store keeps
// beside the records, when s is a HeadReader; and that each SubjectID
// matches its SubjectRef, when s is a Pseudonymiser. It reports the first
// bad record. The error is for a failure to read, never for a broken
// ledger.
//
// The chain shows any change to, insertion before, removal of or
// reordering of records that have a successor. It cannot show that the
// last records were removed by someone who also moved the store's head
// back, nor that records were appended by someone who computed their
// hashes: for that, keep a Head elsewhere and use VerifyAgainst.
func Verify(ctx context.Context, s Scanner) (Report, error) {
	return VerifyWith(ctx, s, VerifyOptions{})
}

// VerifyAgainst is Verify that also checks that the ledger still holds the
// record head names, with that hash: a Head published earlier proves that
// nothing up to it was removed or replaced since. Records appended after it
// are checked as Verify checks them.
func VerifyAgainst(ctx context.Context, s Scanner, head Head) (Report, error) {
	return VerifyWith(ctx, s, VerifyOptions{Head: &head})
}

// VerifyOptions are what VerifyWith checks beyond the chain.
type VerifyOptions struct {
	// Keys, if set, checks the MAC of every record sealed with a key
	// (Report.Keyed). Without it, such records are checked only for
	// being chained (Report.Unchecked).
	Keys KeyProvider
	// Head, if set, is a head published earlier, as for VerifyAgainst.
	Head *Head
	// Checkpoint, if set, is a signed checkpoint taken earlier: its
	// signature is checked with Keys, which it needs, and the ledger must
	// still hold its head. A bad signature is an error, not a Report.
	Checkpoint *Checkpoint
}

// VerifyWith is Verify with the key of the chain, a head or a checkpoint
// kept elsewhere (see VerifyOptions).
//
// What it proves: without Keys, that the ledger hangs together, each
// record hashing to its Hash and chained to the one before, which shows
// accidental damage and clumsy edits but not someone who edits a record
// and recomputes every hash after it. With Keys, that every record sealed
// with a key was sealed by someone holding it: such an edit is found,
// since the MACs cannot be recomputed without the key, and so is a chain
// recomputed without a key after its first keyed record (a downgrade).
// Unkeyed records before the first keyed one are pinned by it, since its
// MAC covers their hash. With a Checkpoint, also that no record up to the
// checkpoint's head was removed or replaced since it was signed, which
// no chain shows on its own for the last records.
func VerifyWith(ctx context.Context, s Scanner, o VerifyOptions) (Report, error) {
	var anchors []Head
	if o.Head != nil && o.Head.Seq > 0 {
		anchors = append(anchors, *o.Head)
	}
	if o.Checkpoint != nil {
		if o.Keys == nil {
			return Report{}, errors.New("verify consent ledger: checking a checkpoint needs the ledger's keys")
		}
		if err := o.Checkpoint.Check(ctx, o.Keys); err != nil {
			return Report{}, fmt.Errorf("verify consent ledger: %w", err)
		}
		if o.Checkpoint.Seq > 0 {
			anchors = append(anchors, Head{Seq: o.Checkpoint.Seq, Hash: o.Checkpoint.Hash})
		}
	}
	// One sealer per key, and one for records sealed without a key, so
	// that no record sets up a hash of its own.
	unkeyed := NewSealer(nil)
	sealers := map[string]*Sealer{}
	// Read the store's head before the records, so that appends during
	// the scan cannot make it look truncated.
	if hr, ok := s.(HeadReader); ok {
		h, err := hr.Head(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("verify consent ledger: read head: %w", err)
		}
		if h.Seq > 0 {
			anchors = append(anchors, h)
		}
	}
	ps, _ := s.(Pseudonymiser)
	// A subject id blanked in one record while an earlier record of the
	// subject keeps it was not blanked by Pseudonymise, which blanks them
	// all at once: it hides that record (a withdrawal, say) from the
	// subject's state without changing any hash.
	var partly Record
	if ec, ok := s.(ErasureChecker); ok {
		r, found, err := ec.PartlyErased(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("verify consent ledger: %w", err)
		}
		if found {
			partly = r
		}
	}

	var (
		rep          Report
		prev, before string // hashes of the last two good records
		prevID       string // id of the last good record
		keyedAt      int64  // Seq of the first record sealed with a key
		lastCount    *int64 // the counter the last good record went to
	)
	fail := func(p Problem, r Record, format string, args ...any) error {
		rep.Problem, rep.Seq, rep.RecordID = p, r.Seq, r.RecordID
		rep.Message = fmt.Sprintf(format, args...)
		return errStop
	}
	err := scanAhead(ctx, s, func(r Record) error {
		want := rep.Head.Seq + 1
		switch {
		case r.Seq > want:
			rep.Problem, rep.Seq = Missing, want
			if r.Seq == want+1 {
				rep.Message = fmt.Sprintf("record %d is missing before record %d (%s)", want, r.Seq, r.RecordID)
			} else {
				rep.Message = fmt.Sprintf("records %d to %d are missing before record %d (%s)", want, r.Seq-1, r.Seq, r.RecordID)
			}
			return errStop
		case r.Seq < want:
			return fail(Unlinked, r, "record %d (%s) comes after record %d", r.Seq, r.RecordID, want-1)
		case r.PrevHash != prev:
			if want >= 2 && r.PrevHash == before {
				// Sealed to the record two back: the one between was not
				// there when this one was appended.
				rep.Problem, rep.Seq, rep.RecordID = Inserted, rep.Head.Seq, prevID
				rep.Message = fmt.Sprintf("record %d (%s) was inserted: record %d (%s) is sealed to the record before it", rep.Head.Seq, prevID, r.Seq, r.RecordID)
				rep.Checked--
				*lastCount--
				rep.Head = Head{Seq: rep.Head.Seq - 1, Hash: before}
				return errStop
			}
			return fail(Unlinked, r, "record %d (%s) is not sealed to record %d: its prev_hash %s is not %s", r.Seq, r.RecordID, r.Seq-1, short(r.PrevHash), short(prev))
		}
		count := &rep.Unchecked
		switch {
		case r.KeyID == "" && keyedAt > 0:
			return fail(Altered, r, "record %d (%s) is sealed without a key, after record %d was sealed with one: the chain was recomputed without the key", r.Seq, r.RecordID, keyedAt)
		case r.KeyID == "":
			if !unkeyed.matches(&r) {
				return fail(Altered, r, "record %d (%s) was changed: it hashes to %s, not %s", r.Seq, r.RecordID, short(unkeyed.hash(&r)), short(r.Hash))
			}
			count = &rep.Unkeyed
		case o.Keys != nil:
			ks, ok := sealers[r.KeyID]
			if !ok {
				k, err := o.Keys.Key(ctx, r.KeyID)
				if errors.Is(err, ErrUnknownKey) {
					return fail(Unverifiable, r, "record %d (%s) is sealed with key %q, which the key provider does not hold", r.Seq, r.RecordID, r.KeyID)
				} else if err != nil {
					return fmt.Errorf("key %q: %w", r.KeyID, err)
				}
				ks = NewSealer(&k)
				sealers[r.KeyID] = ks
			}
			if !ks.matches(&r) {
				return fail(Altered, r, "record %d (%s) was changed: its MAC under key %s is %s, not %s", r.Seq, r.RecordID, r.KeyID, short(ks.hash(&r)), short(r.Hash))
			}
			count = &rep.Keyed
		}
		if r.KeyID != "" && keyedAt == 0 {
			keyedAt = r.Seq
		}
		if ps != nil && r.SubjectID != "" && r.SubjectRef != "" && ps.SubjectRef(r.SubjectID) != r.SubjectRef {
			return fail(Altered, r, "record %d (%s) was changed: its subject_id does not match its subject_ref", r.Seq, r.RecordID)
		}
		if err := r.checkStored(); err != nil {
			return fail(Invalid, r, "record %d (%s) is not a valid record: %v", r.Seq, r.RecordID, err)
		}
		if partly.Seq == r.Seq && r.SubjectID == "" {
			return fail(Altered, r, "record %d (%s) was changed: its subject_id was blanked, but an earlier record of the same subject keeps it (erasure blanks all of a subject's records at once)", r.Seq, r.RecordID)
		}
		for _, a := range anchors {
			if a.Seq == r.Seq && a.Hash != r.Hash {
				return fail(Truncated, r, "record %d (%s) hashes to %s, but the head recorded %s", r.Seq, r.RecordID, short(r.Hash), short(a.Hash))
			}
		}
		before, prev, prevID = prev, r.Hash, r.RecordID
		rep.Checked++
		*count++
		lastCount = count
		rep.Head = Head{Seq: r.Seq, Hash: r.Hash}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Report{}, fmt.Errorf("verify consent ledger: %w", err)
	}
	if rep.Problem == "" {
		for _, a := range anchors {
			if a.Seq > rep.Head.Seq {
				rep.Problem, rep.Seq = Truncated, rep.Head.Seq+1
				rep.Message = fmt.Sprintf("the ledger ends at record %d, but the head recorded %d: records %d to %d were removed", rep.Head.Seq, a.Seq, rep.Head.Seq+1, a.Seq)
				break
			}
		}
	}
	rep.Intact = rep.Problem == ""
	rep.Checkpoint = o.Checkpoint != nil && rep.Intact
	return rep, nil
}

// scanAhead calls fn with every record of s in Seq order, as Scan does,
// but reads on another goroutine, a page of records ahead, so that
// reading the store and hashing the records run side by side. It stops
// at fn's first error and returns it. The pages go back to the reader
// once fn has seen them: three pages of 256 records serve the whole scan.
func scanAhead(ctx context.Context, s Scanner, fn func(Record) error) error {
	const (
		page  = 256
		pages = 3 // one being read, one queued, one being checked
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []Record, pages)
	free := make(chan []Record, pages)
	for range pages {
		free <- make([]Record, 0, page)
	}
	scanErr := make(chan error, 1)
	go func() {
		defer close(full)
		batch := <-free
		err := s.Scan(ctx, 0, func(r Record) error {
			batch = append(batch, r)
			if len(batch) < page {
				return nil
			}
			full <- batch // never blocks: at most pages batches exist
			select {
			case batch = <-free:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err == nil && len(batch) > 0 {
			full <- batch
		}
		scanErr <- err
	}()
	for batch := range full {
		for i := range batch {
			if err := fn(batch[i]); err != nil {
				cancel()
				for range full { // let the reader see the cancel and end
				}
				<-scanErr
				return err
			}
		}
		clear(batch) // keep no record's strings alive
		free <- batch[:0]
	}
	return <-scanErr
}

// short abbreviates a hash for messages.
func short(h string) string {
	if h == "" {
		return `""`
	}
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
