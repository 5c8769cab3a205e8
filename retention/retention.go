package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/privacykit/privacy"
)

// Record is one piece of personal data a service holds, as its Inventory
// describes it to the sweeper.
type Record struct {
	// Key identifies the record within the inventory; the sweeper hands it
	// back to the Eraser and never interprets it. Keys are compared as
	// byte strings.
	Key string `json:"key"`
	// SubjectID is the data subject the record is about.
	SubjectID string `json:"subject_id"`
	// Controller is, for the data of subjects the operator processes on
	// another's behalf (guests), the controller whose retention setting
	// applies; empty for the operator's own data.
	Controller string `json:"controller,omitempty"`
	// Category is the record's leaf category key.
	Category string `json:"category"`
	// Times holds the time of every trigger event that has happened for
	// the record. A trigger that has not happened (an account still open)
	// is absent, and the record is retained.
	Times map[privacy.Trigger]time.Time `json:"times,omitempty"`
}

// Inventory lists the records a service holds.
type Inventory interface {
	// Records returns up to limit records whose keys sort after the key
	// after ("" for the start), in ascending key order. Fewer than limit
	// records means the end of the inventory. A record that an Eraser has
	// erased must not be listed again.
	Records(ctx context.Context, after string, limit int) ([]Record, error)
}

// Eraser removes records a service holds.
type Eraser interface {
	// Erase applies the guard's action to the records with the keys that
	// the guard allows at this moment: delete removes them; anonymise
	// strips them of what identifies their subject so that they are no
	// longer personal data and no longer listed by the Inventory. For each
	// key it reads the record as it stands and the holds (Guard.Holds),
	// and erases it only when guard.Allows it, in one transaction with the
	// erasure where the store has transactions, so that a hold placed or a
	// trigger undone after the batch was collected (or after a crash the
	// sweep resumes from) keeps the record. It returns the keys it found
	// but the guard refused ("spared"). It must be idempotent: a key
	// already erased, or unknown, is skipped without error and is not
	// spared, because a sweep resumed after a crash erases its last batch
	// again.
	Erase(ctx context.Context, keys []string, guard *Guard) (spared []string, err error)
}

// Hold keeps records from being erased whatever the rules say: a legal
// hold placed by a person for a dispute, an investigation or a request of
// an authority.
type Hold struct {
	// ID identifies the hold; the store assigns one when it is empty.
	ID string `json:"id"`
	// SubjectID limits the hold to one subject; empty: every subject.
	SubjectID string `json:"subject_id,omitempty"`
	// Category limits the hold to a category and, for a parent key, its
	// children; empty: every category.
	Category string `json:"category,omitempty"`
	// PlacedBy names the person who placed the hold.
	PlacedBy string `json:"placed_by"`
	// Reason says why, such as the dispute's reference.
	Reason string `json:"reason"`
	// PlacedAt is when the hold was placed.
	PlacedAt time.Time `json:"placed_at"`
	// Until is when the hold lapses by itself; zero: when released.
	Until time.Time `json:"until,omitzero"`
	// ReleasedAt and ReleasedBy record the release; zero while active.
	ReleasedAt time.Time `json:"released_at,omitzero"`
	ReleasedBy string    `json:"released_by,omitempty"`
}

// Validate checks what every inventory keeps of a record: a key, and the
// key, subject id, controller, category and triggers as UTF-8 text
// without NUL (PostgreSQL's text holds nothing else), and trigger times
// the stores hold (privacy.CheckTime; a zero time is a trigger that has
// not happened). It returns a *privacy.ValidationError naming the field.
func (r *Record) Validate() error {
	bad := func(field, msg string) error { return &privacy.ValidationError{Field: field, Message: msg} }
	if strings.TrimSpace(r.Key) == "" {
		return bad("key", "is required")
	}
	for _, f := range [...]struct{ name, value string }{
		{"key", r.Key}, {"subject_id", r.SubjectID}, {"controller", r.Controller}, {"category", r.Category},
	} {
		if msg := textProblem(f.value); msg != "" {
			return bad(f.name, msg)
		}
	}
	for tr, at := range r.Times {
		if msg := textProblem(string(tr)); msg != "" || tr == "" {
			return bad("times", fmt.Sprintf("trigger %q is not a trigger", tr))
		}
		if err := privacy.CheckTime("times."+string(tr), at); err != nil {
			return err
		}
	}
	return nil
}

// textProblem says what keeps s from being stored as text, or "".
func textProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "holds a NUL byte"
	}
	return ""
}

// RecordError returns err, a record's validation error, with its field
// prefixed by the record's index, as inventories report it.
func RecordError(i int, err error) error {
	var ve *privacy.ValidationError
	if errors.As(err, &ve) {
		c := *ve
		c.Field = fmt.Sprintf("records[%d].%s", i, ve.Field)
		return &c
	}
	return err
}

// Validate checks that the hold names what it holds, who placed it and
// why, with times every store keeps (privacy.CheckTime), ids that are ids
// (privacy.CheckID) and a reason of at most MaxReasonBytes of UTF-8
// without NUL. It returns a *privacy.ValidationError naming the field.
func (h *Hold) Validate() error {
	bad := func(field, msg string) error { return &privacy.ValidationError{Field: field, Message: msg} }
	if h.SubjectID != "" {
		// An id as every other: bounded, valid UTF-8, no NUL.
		if err := privacy.CheckID("subject_id", h.SubjectID); err != nil {
			return err
		}
	}
	switch {
	case h.SubjectID == "" && h.Category == "":
		return bad("subject_id", "a hold needs a subject, a category or both")
	case strings.TrimSpace(h.PlacedBy) == "":
		return bad("placed_by", "must name the person who places the hold")
	case strings.TrimSpace(h.Reason) == "":
		return bad("reason", "must say why the data is held")
	case h.PlacedAt.IsZero():
		return bad("placed_at", "is required")
	case !h.Until.IsZero() && !h.Until.After(h.PlacedAt):
		return bad("until", "must be after placed_at")
	}
	// What every store keeps: times as 64-bit nanoseconds since 1970, ids
	// and text as UTF-8 without NUL (PostgreSQL refuses it), bounded.
	if err := cmp.Or(privacy.CheckTime("placed_at", h.PlacedAt), privacy.CheckTime("until", h.Until)); err != nil {
		return err
	}
	for _, f := range [...]struct{ name, value string }{
		{"id", h.ID}, {"subject_id", h.SubjectID}, {"category", h.Category}, {"placed_by", h.PlacedBy},
	} {
		if f.value != "" {
			if err := privacy.CheckID(f.name, f.value); err != nil {
				return err
			}
		}
	}
	switch {
	case len(h.Reason) > MaxReasonBytes:
		return bad("reason", fmt.Sprintf("is %d bytes long, more than %d (retention.MaxReasonBytes)", len(h.Reason), MaxReasonBytes))
	case !utf8.ValidString(h.Reason):
		return bad("reason", "is not valid UTF-8")
	case strings.IndexByte(h.Reason, 0) >= 0:
		return bad("reason", "holds a NUL byte")
	}
	return nil
}

// MaxReasonBytes bounds the Reason of a Hold.
const MaxReasonBytes = 16 << 10

// CheckRelease checks a release of h by by at at, as stores do before
// they record it: the person releasing is named, and the release is not
// dated before the hold was placed.
func CheckRelease(h Hold, by string, at time.Time) error {
	switch {
	case strings.TrimSpace(by) == "":
		return &privacy.ValidationError{Field: "released_by", Message: "must name the person who releases the hold"}
	case at.IsZero():
		return &privacy.ValidationError{Field: "released_at", Message: "is required"}
	}
	if err := cmp.Or(privacy.CheckID("released_by", by), privacy.CheckTime("released_at", at)); err != nil {
		return err
	}
	switch {
	case at.Before(h.PlacedAt):
		return &privacy.ValidationError{Field: "released_at", Message: fmt.Sprintf("is before the hold was placed (%s)", h.PlacedAt.Format(time.RFC3339))}
	}
	return nil
}

// ActiveAt reports whether the hold is in force at t: placed, not
// released and not lapsed.
func (h *Hold) ActiveAt(t time.Time) bool {
	return !h.PlacedAt.After(t) && (h.ReleasedAt.IsZero() || h.ReleasedAt.After(t)) &&
		(h.Until.IsZero() || h.Until.After(t))
}

// Covers reports whether the hold covers a record of the subject in the
// leaf category.
func (h *Hold) Covers(subjectID, category string) bool {
	if h.SubjectID != "" && h.SubjectID != subjectID {
		return false
	}
	return h.Category == "" || h.Category == category || strings.HasPrefix(category, h.Category+".")
}

// String describes the hold for a plan or an audit.
func (h *Hold) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "legal hold %s by %s: %s", h.ID, h.PlacedBy, h.Reason)
	if !h.Until.IsZero() {
		fmt.Fprintf(&b, " (until %s)", h.Until.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Override is a controller's choice of retention period for its guests'
// data in a category, within the bounds of the catalog's rule (the terms
// of the data processing agreement).
type Override struct {
	// Controller identifies the controller, as Record.Controller does.
	Controller string `json:"controller"`
	// Category is a leaf or parent key within a rule that has bounds.
	Category string `json:"category"`
	// Period replaces the rule's period for the controller's records.
	Period privacy.Period `json:"period"`
	// SetBy names who set it; SetAt is when.
	SetBy string    `json:"set_by"`
	SetAt time.Time `json:"set_at"`
}

// Validate checks what every store keeps of a choice: the controller and
// category as ids (privacy.CheckID), SetBy as one when given, and SetAt as
// a time the stores hold (privacy.CheckTime). It returns a
// *privacy.ValidationError naming the field. Whether the catalog lets the
// controller choose, and the period is in bounds, is CheckOverride's to say.
func (o *Override) Validate() error {
	if err := cmp.Or(privacy.CheckID("controller", o.Controller), privacy.CheckID("category", o.Category),
		privacy.CheckTime("set_at", o.SetAt)); err != nil {
		return err
	}
	if o.SetBy != "" {
		return privacy.CheckID("set_by", o.SetBy)
	}
	return nil
}

// HoldStore keeps legal holds.
//
// Guarantees: PlaceHold and ReleaseHold are atomic; a hold placed or
// released is seen by the next ActiveHolds on the same store and, for shared stores, in
// every process using it.
type HoldStore interface {
	// PlaceHold validates and stores a hold, assigning an ID when it has
	// none. It does not know the catalog: use CheckHold first. It returns the stored hold, a *privacy.ValidationError, or an
	// error wrapping privacy.ErrConflict when the ID is taken.
	PlaceHold(ctx context.Context, h Hold) (Hold, error)
	// ReleaseHold ends the hold with the id at the time, naming who released
	// it (CheckRelease). It returns the released hold, a
	// *privacy.ValidationError, an error wrapping privacy.ErrNotFound for an
	// unknown id, or privacy.ErrConflict for a hold already released.
	ReleaseHold(ctx context.Context, id, by string, at time.Time) (Hold, error)
	// ActiveHolds returns the holds active at the time, ordered by
	// PlacedAt and ID.
	ActiveHolds(ctx context.Context, at time.Time) ([]Hold, error)
}

// OverrideStore keeps controllers' retention choices.
type OverrideStore interface {
	// SetOverride stores o, replacing the controller's earlier choice for
	// the category; a zero Period removes it. It returns the
	// *privacy.ValidationError of o.Validate; it does not check bounds:
	// use CheckOverride first.
	SetOverride(ctx context.Context, o Override) error
	// Overrides returns every choice, ordered by controller and category.
	Overrides(ctx context.Context) ([]Override, error)
}

// Checkpoint is where a named sweep stands.
type Checkpoint struct {
	// SweepID identifies the sweep in progress; empty when none is.
	SweepID string `json:"sweep_id,omitempty"`
	// Cutoff is the time the sweep judges retention at, fixed when it
	// starts so that a resumed sweep judges as the first part did.
	Cutoff time.Time `json:"cutoff,omitzero"`
	// After is the last inventory key the committed batches covered.
	After string `json:"after,omitempty"`
	// Batches counts the committed batches.
	Batches int `json:"batches,omitempty"`
	// Pending is the batch being erased, saved before the Eraser is
	// called; a resumed sweep erases it again and commits it.
	Pending *Batch `json:"pending,omitempty"`
}

// Batch is the records one step of a sweep erases.
type Batch struct {
	// Seq numbers the batch within its sweep, from 1.
	Seq int `json:"seq"`
	// Delete and Anonymise hold the keys of the records to erase.
	Delete    []string `json:"delete,omitempty"`
	Anonymise []string `json:"anonymise,omitempty"`
	// Deleted records that the Delete part was erased and saved, so that
	// a sweep resumed during the Anonymise part does not repeat it;
	// SparedDelete counts the records of that part the guard kept.
	Deleted      bool `json:"deleted,omitempty"`
	SparedDelete int  `json:"spared_delete,omitempty"`
	// LastKey is the last inventory key the batch covers: where the next
	// batch starts.
	LastKey string `json:"last_key"`
	// Scanned counts the records the batch covered; Held, Retained and
	// Unruled (no rule in the catalog) those it does not erase, for the
	// audit.
	Scanned  int `json:"scanned"`
	Held     int `json:"held"`
	Retained int `json:"retained"`
	Unruled  int `json:"unruled,omitempty"`
}

// Audit is the record a sweep keeps of each committed batch: the evidence
// that data was erased on time.
type Audit struct {
	Sweep   string    `json:"sweep"`
	SweepID string    `json:"sweep_id"`
	Seq     int       `json:"seq"`
	Owner   string    `json:"owner"`
	Cutoff  time.Time `json:"cutoff"`
	At      time.Time `json:"at"`
	// FirstKey and LastKey bound the inventory range the batch covered.
	FirstKey string `json:"first_key"`
	LastKey  string `json:"last_key"`
	// Deleted and Anonymised count the records erased.
	Deleted    int `json:"deleted"`
	Anonymised int `json:"anonymised"`
	Scanned    int `json:"scanned"`
	Held       int `json:"held"`
	Retained   int `json:"retained"`
	// Spared counts records that were due when the batch was collected but
	// that the Eraser's guard kept at the moment of erasure: a hold placed
	// or a trigger undone since. Deleted and Anonymised leave them out.
	Spared int `json:"spared,omitempty"`
	// Unruled counts records of a category no rule covers: a gap in the
	// catalog, kept and reported rather than erased.
	Unruled int `json:"unruled"`
}

// Journal keeps each named sweep's checkpoint, lease and audit trail.
//
// Guarantees: Acquire is atomic, and at most one owner holds a name's
// lease at any time, across every process sharing the store. Save is
// atomic (checkpoint and audit together) and succeeds only for the owner
// holding the lease.
type Journal interface {
	// Acquire takes the lease on the named sweep for owner until the time
	// until, or renews it when owner holds it, and returns the sweep's
	// checkpoint (zero for a sweep never run or finished). It returns an
	// error wrapping ErrLocked when another owner's lease runs past now.
	Acquire(ctx context.Context, name, owner string, now, until time.Time) (Checkpoint, error)
	// Save stores the checkpoint and, when a is not nil, appends the audit
	// record, in one transaction. It returns an error wrapping
	// ErrLeaseLost when owner does not hold the lease.
	Save(ctx context.Context, name, owner string, cp Checkpoint, a *Audit) error
	// Release gives up owner's lease on the named sweep, keeping the
	// checkpoint; releasing a lease one does not hold does nothing.
	Release(ctx context.Context, name, owner string) error
	// Audits returns the audit records of the named sweep in the order
	// they were saved.
	Audits(ctx context.Context, name string) ([]Audit, error)
}

// Store is everything a Sweeper keeps: holds, controllers' choices, and
// checkpoints. The memory, sqlite and postgres packages implement it.
type Store interface {
	HoldStore
	OverrideStore
	Journal
}

var (
	// ErrLocked marks a sweep whose lease another sweeper holds. It wraps
	// privacy.ErrConflict.
	ErrLocked = fmt.Errorf("sweep locked by another sweeper: %w", privacy.ErrConflict)
	// ErrLeaseLost marks a save by a sweeper that no longer holds the
	// lease: it stalled past the lease and another took over. It wraps
	// privacy.ErrConflict.
	ErrLeaseLost = fmt.Errorf("sweep lease lost: %w", privacy.ErrConflict)
)
