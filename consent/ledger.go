package consent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
)

// Head names the last record of a ledger: its Seq and Hash. Publish it, or
// keep it where whoever can write to the ledger cannot, and VerifyAgainst
// proves later that no record up to it was changed or removed, including
// the last ones, which the chain alone cannot show.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Scanner walks the whole ledger. Verify needs nothing else.
type Scanner interface {
	// Scan calls fn with every record whose Seq is greater than afterSeq,
	// in Seq order, as stored: it does not check or repair anything. It
	// stops at the first error fn returns and returns it. Records appended
	// while Scan runs may or may not be seen.
	Scan(ctx context.Context, afterSeq int64, fn func(Record) error) error
}

// HeadReader returns the head a store keeps beside its records. Verify
// checks the records against it, which shows the removal of the last
// records unless whoever removed them also moved the head back.
type HeadReader interface {
	// Head returns the Seq and Hash of the last record appended, the zero
	// Head for an empty ledger.
	Head(ctx context.Context) (Head, error)
}

// Batcher appends several records at once.
type Batcher interface {
	// AppendBatch validates every record, then appends them all in one
	// transaction, in the order given, with consecutive Seqs: either all
	// are stored or none. It returns the stored records, or a
	// *privacy.ValidationError naming the first bad record's field (as
	// "records[i].field").
	AppendBatch(ctx context.Context, rs []Record) ([]Record, error)
}

// Resubscriber lists the subjects' consent states for a purpose, the
// candidates when a purpose's material change means asking for consent
// again (Art. 7(1): consent covers the notice it was given under). Which
// of them must be asked is the policy's to say:
// policies.Engine.StaleConsents judges them by the rule decisions use.
type Resubscriber interface {
	// Latest returns, sorted by subject id, each subject's consent state
	// for the purpose by its latest record (by CollectedAt, then Seq), as
	// State would return it at that record's time, whatever its event and
	// whether its ExpiresAt passed or not. Erased subjects are not listed.
	Latest(ctx context.Context, purpose string) ([]State, error)
}

// Lapser finds given consents whose expiry has passed with no later
// record, so that RecordExpiries can write each expiry to the ledger as a
// record of its own.
type Lapser interface {
	// Lapsed returns up to limit states, in no particular order, whose
	// latest record collected at or before at (by CollectedAt, then
	// Seq) is a given consent with an ExpiresAt at or before at. Erased
	// subjects are not listed.
	Lapsed(ctx context.Context, at time.Time, limit int) ([]State, error)
}

// Pseudonymiser removes a subject's identity from the ledger while keeping
// the proof of their consent (Art. 7(1) beside Art. 17).
type Pseudonymiser interface {
	// SubjectRef returns the subject's pseudonym in this ledger, the
	// SubjectRef of their records.
	SubjectRef(subjectID string) string
	// Pseudonymise blanks SubjectID in every record of the subject that
	// has a SubjectRef, and returns how many it changed. The records stay
	// in the ledger and the chain stays intact; State and History no
	// longer find them by the id. It is the one change a stored record
	// may undergo.
	Pseudonymise(ctx context.Context, subjectID string) (int64, error)
}

// ErasureChecker finds a subject id blanked out of turn. Pseudonymise
// blanks every record of a subject at once, so a blank SubjectID in a
// record that an earlier record of the same SubjectRef does not share was
// blanked by hand: the record (a withdrawal, say) no longer counts for the
// subject, and no hash shows it, since the hash covers SubjectRef, not
// SubjectID. Verify asks stores that implement it.
type ErasureChecker interface {
	// PartlyErased returns the first record, by Seq, whose SubjectID is
	// blank while a record before it with the same SubjectRef keeps its
	// SubjectID, and true; or false when there is none.
	PartlyErased(ctx context.Context) (Record, bool, error)
}

// Change tells a watcher that a subject's consent may have changed.
type Change struct {
	// SubjectID is the subject; "" means any subject: drop everything
	// cached.
	SubjectID string `json:"subject_id"`
	// Purpose is the purpose; "" means every purpose of the subject.
	Purpose string `json:"purpose"`
	// Seq is the record appended, 0 when the change is not an append
	// (an erasure).
	Seq int64 `json:"seq"`
}

// Watcher reports changes to the ledger as they commit, without polling,
// so that a cache of consent state can drop what changed before the next
// decision reads it.
type Watcher interface {
	// Watch returns a channel that receives a Change for every record
	// committed after Watch returns, by this process and, for a shared
	// store such as PostgreSQL, by every other. The channel is closed when
	// ctx is done. A store may also close it when the watcher falls behind
	// or the connection fails: a closed channel while ctx is live means
	// changes may have been missed, and whoever caches must drop
	// everything and watch again.
	Watch(ctx context.Context) (<-chan Change, error)
}

// Ledger is everything the module's stores implement: the Store and each
// optional capability.
type Ledger interface {
	Store
	Scanner
	HeadReader
	Batcher
	Resubscriber
	Lapser
	Pseudonymiser
	ErasureChecker
	Watcher
}

// expiryPage is how many lapsed consents RecordExpiries appends in one
// batch.
const expiryPage = 500

// RecordExpiries appends an Expired record for every given consent whose
// expiry passed at or before at and that no later record followed, so that
// the ledger holds the expiry as it holds every grant and withdrawal. Each
// record is collected at the consent's ExpiresAt, carries its policy
// version and the method "api", and is collected by "privacykit:expiry".
// Decisions are the same before and after: an expired consent is not live
// either way. It appends in batches of 500 and returns how many records it
// appended; run it again after a failure, it skips what is done.
func RecordExpiries(ctx context.Context, l interface {
	Lapser
	Batcher
}, at time.Time) (int, error) {
	total := 0
	var last map[string]bool
	for {
		lapsed, err := l.Lapsed(ctx, at, expiryPage)
		if err != nil {
			return total, fmt.Errorf("record consent expiries: %w", err)
		}
		if len(lapsed) == 0 {
			return total, nil
		}
		batch := make([]Record, len(lapsed))
		seen := make(map[string]bool, len(lapsed))
		for i, st := range lapsed {
			if last[st.RecordID] {
				// The record names the consent; the subject's id stays out.
				return total, fmt.Errorf("record consent expiries: the store lists the consent to %s of record %s as lapsed after its expiry was recorded",
					st.Purpose, st.RecordID)
			}
			seen[st.RecordID] = true
			batch[i] = Record{
				SubjectID:     st.SubjectID,
				Purpose:       st.Purpose,
				Event:         Expired,
				PolicyVersion: st.PolicyVersion,
				Method:        MethodAPI,
				CollectedBy:   "privacykit:expiry",
				CollectedAt:   st.ExpiresAt,
				Guardian:      st.Guardian,
			}
		}
		if _, err := l.AppendBatch(ctx, batch); err != nil {
			return total, fmt.Errorf("record consent expiries: %w", err)
		}
		total += len(batch)
		last = seen
	}
}

// BatchError returns err, a record's validation error, with its field
// prefixed by the record's index, as AppendBatch reports it.
func BatchError(i int, err error) error {
	var ve *privacy.ValidationError
	if errors.As(err, &ve) {
		c := *ve
		c.Field = fmt.Sprintf("records[%d].%s", i, ve.Field)
		return &c
	}
	return fmt.Errorf("records[%d]: %w", i, err)
}
