package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/privacykit/privacy"
)

// Guard is the condition every record of a batch must still meet at the
// moment it is erased: a sweep hands one to its Eraser with each batch.
// Between the moment a batch is collected and the moment it is erased a
// hold may be placed, a trigger undone (an account reopened) or the sweep
// killed and resumed hours later; the Eraser therefore reads each record
// as it stands, in the transaction that erases it, and erases only those
// the guard allows.
type Guard struct {
	sched  *Schedule
	holds  HoldStore
	action privacy.RetentionAction
	cutoff time.Time
	now    time.Time
}

// NewGuard returns the guard of an erasure by action of records judged
// due at cutoff under sched, with the legal holds of holds active at now.
// A Sweeper makes its own; NewGuard is for tests of an Eraser.
func NewGuard(sched *Schedule, holds HoldStore, action privacy.RetentionAction, cutoff, now time.Time) *Guard {
	return &Guard{sched: sched, holds: holds, action: action, cutoff: cutoff, now: now}
}

// Action returns the erasure the guard allows.
func (g *Guard) Action() privacy.RetentionAction { return g.action }

// Now returns the time at which legal holds are judged: a hold placed
// after the sweep's cutoff still wins.
func (g *Guard) Now() time.Time { return g.now }

// Holds returns the legal holds active at Now from the sweep's HoldStore.
// An Eraser whose records live in the database of that store reads the
// holds in its own transaction as well (the SQL inventories do), so that a
// hold committed before the erasure's transaction is seen by it.
func (g *Guard) Holds(ctx context.Context) ([]Hold, error) {
	hs, err := g.holds.ActiveHolds(ctx, g.now)
	if err != nil {
		return nil, fmt.Errorf("erasure guard: load holds: %w", err)
	}
	return hs, nil
}

// HoldStore returns the store Holds reads, so that an Eraser can tell
// whether it shares a database with it.
func (g *Guard) HoldStore() HoldStore { return g.holds }

// Allows reports whether r, read as it stands now, may be erased: its
// retention under the rules (statutory holds included) has ended at the
// sweep's cutoff, the rule's action is the guard's, and none of holds
// active at Now covers it.
func (g *Guard) Allows(r *Record, holds []Hold) bool {
	v := g.sched.Evaluate(r, holds, g.cutoff)
	return v.Status == StatusDue && v.Action == g.action && len(held(holds, r, g.now)) == 0
}
