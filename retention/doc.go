// Package retention makes a catalog's retention rules executable: it tells
// which records are due for deletion or anonymisation, which are held and
// why, and sweeps the due ones away in batches that survive a crash.
//
// # Basics
//
// The catalog (privacy.Catalog.Retention) gives each category a rule: the
// event that starts the clock (a privacy.Trigger such as account_closed),
// a period (an ISO 8601 duration such as "P90D") and an action (delete or
// anonymise). A rule on a parent key covers its children; the most
// specific key wins. A Schedule resolves the rules, applies the periods
// that controllers chose for their guests' data (Override, within the
// rule's min..max), and judges one Record at a time.
//
// Services describe what they hold through an Inventory, which lists
// records in key order a page at a time, and remove it through an Eraser.
// A Sweeper streams the inventory: Plan is a dry run that reports every
// record as due, held (with the reasons) or retained, and Sweep erases the
// due records in batches, calling a progress function, appending an Audit
// record per batch and saving a Checkpoint, so that a sweep killed at any
// point resumes where it stopped. Memory use depends on the batch and page
// sizes, not on the size of the inventory.
//
// # Holds
//
// A hold wins over a rule. Statutory holds come from the rules
// (privacy.StatutoryHold: a legal duty to keep records, such as the Dutch
// seven-year fiscal retention duty). Legal holds are placed by a person on
// a subject, a category or both, with a reason and an optional end, and are
// kept in a HoldStore; releasing one makes the records it held due again
// at the next sweep. ErasureHolds hands both kinds to data-subject erasure
// requests (dsar.Holds), so that an erasure keeps what the law or a
// dispute keeps (Art. 17(3)(b),(e)).
//
// # Guarantees
//
// A Sweep processes every due record exactly once, counting a record as
// processed when its batch's Audit is committed: before erasing a batch
// the sweeper saves it in the checkpoint as pending, and a resumed sweep
// first finishes the pending batch. The Eraser must therefore be
// idempotent (erasing an erased record does nothing), which deletion and
// anonymisation naturally are.
//
// A batch is judged when it is collected, and erased perhaps much later (a
// sweep killed after saving it is resumed hours after). So every record is
// judged again at the moment it is erased: the sweeper hands the Eraser a
// Guard, and the Eraser reads each record as it stands and the holds
// active now, and erases only what the guard allows, in the transaction
// that erases it. A legal hold placed, or a trigger undone (an account
// reopened), after the batch was collected keeps the record; the Audit
// counts it as Spared. The SQL inventories read the records locked and the
// holds in that transaction (on PostgreSQL the holds table is locked
// against writes until it commits); the memory inventory locks the memory
// hold store for the call. A hold takes effect for every erasure that
// begins after it is placed. Sweepers of one name exclude each other
// through a lease in the Journal: two sweepers sharing a PostgreSQL
// database never process the same records, and a sweeper that lost its
// lease (it stalled past the lease's time and another took over) fails its
// next save instead of committing.
//
// # Caveats
//
// Leases expire by the sweepers' clocks, which must agree to well within
// the lease time (default five minutes). Records a service adds behind the
// checkpoint while a sweep runs are picked up by the next sweep.
package retention
