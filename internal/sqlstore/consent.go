package sqlstore

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/watch"
)

// ConsentStore is the consent ledger in SQL tables. It is safe for
// concurrent use, and by several processes sharing one database.
type ConsentStore struct {
	db      *sql.DB
	d       Dialect
	keys    consent.KeyProvider
	publish func(...consent.Change)
	watch   func(context.Context) (<-chan consent.Change, error)
	group   *group
	refs    *pseudonyms
}

// pseudonyms computes consent.SubjectRef under one key, keeping HMAC
// states for reuse: Verify asks for a pseudonym per record, every append
// for one.
type pseudonyms struct {
	key  []byte
	macs sync.Pool // of *refMAC
}

// refMAC is an HMAC state and the buffers it writes and sums into, so
// that a pseudonym costs one allocation: its text.
type refMAC struct {
	h   hash.Hash
	in  []byte
	sum [sha256.Size]byte
	hx  [2 * sha256.Size]byte
}

// ref returns consent.SubjectRef(p.key, subjectID).
func (p *pseudonyms) ref(subjectID string) string {
	m, _ := p.macs.Get().(*refMAC)
	if m == nil {
		m = &refMAC{h: hmac.New(sha256.New, p.key)}
	} else {
		m.h.Reset()
	}
	m.in = append(m.in[:0], subjectID...)
	m.h.Write(m.in)
	hex.Encode(m.hx[:], m.h.Sum(m.sum[:0]))
	ref := string(m.hx[:])
	if cap(m.in) <= 1024 { // keep no hostile id's buffer
		p.macs.Put(m)
	}
	return ref
}

// ConsentOptions configures a ConsentStore.
type ConsentOptions struct {
	// SubjectKey is the key of the subjects' pseudonyms (LoadSubjectKey).
	SubjectKey []byte
	// Keys, if set, seals new records with its current key (HMAC-SHA256);
	// without it records are sealed with plain SHA-256, and appending to
	// a ledger whose last record is keyed fails.
	Keys consent.KeyProvider
	// Publish, if set, is called with the changes of each committed write,
	// for the watchers of this process.
	Publish func(...consent.Change)
	// Watch implements the store's Watch (consent.Watcher): the engine's
	// way of telling of changes.
	Watch func(ctx context.Context) (<-chan consent.Change, error)
	// group gathers appends into group commits; the stores of one
	// database share it. NewConsentStore makes one when it is nil.
	group *group
}

// NewConsentStore returns the ledger stored in db, whose schema Migrate has
// brought up to date.
func NewConsentStore(db *sql.DB, d Dialect, o ConsentOptions) *ConsentStore {
	if o.group == nil {
		o.group = &group{}
	}
	return &ConsentStore{db: db, d: d, keys: o.Keys, publish: o.Publish, watch: o.Watch, group: o.group,
		refs: &pseudonyms{key: o.SubjectKey}}
}

// Watch returns a channel of the ledger's changes committed after it
// returns, as the engine tells of them: on PostgreSQL by NOTIFY from any
// process (the channel holds a connection that LISTENs), on SQLite those
// made through the same DB only (SQLite has no notifications). The channel
// is closed when ctx is done, when the DB is closed, or when changes may
// have been missed.
func (s *ConsentStore) Watch(ctx context.Context) (<-chan consent.Change, error) {
	if s.watch == nil {
		return nil, errNoWatch
	}
	return s.watch(ctx)
}

// LoadSubjectKey returns the database's pseudonymisation key, generating
// and storing a random one if it has none yet. Processes that open a fresh
// database at once all get the key the first of them stored.
func LoadSubjectKey(ctx context.Context, db *sql.DB, d Dialect) ([]byte, error) {
	var fresh [32]byte
	rand.Read(fresh[:])
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("load subject key: %w", d.translate(err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO privacy_consent_keys (id, subject_key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
		hex.EncodeToString(fresh[:])); err != nil {
		return nil, fmt.Errorf("load subject key: %w", d.translate(err))
	}
	var h string
	if err := tx.QueryRowContext(ctx, `SELECT subject_key FROM privacy_consent_keys WHERE id = 1`).Scan(&h); err != nil {
		return nil, fmt.Errorf("load subject key: %w", d.translate(err))
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("load subject key: %w", d.translate(err))
	}
	key, err := hex.DecodeString(h)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("load subject key: privacy_consent_keys holds no hex key")
	}
	return key, nil
}

// Append validates r, assigns RecordID and Seq, seals it to the last record
// of the ledger and stores it, all in one transaction that holds the ledger
// head locked, so that concurrent appends get consecutive Seqs and a
// chained PrevHash. Concurrent appends of one process share that
// transaction (group commit); each returns once it has committed. Times
// are returned in UTC.
func (s *ConsentStore) Append(ctx context.Context, r consent.Record) (_ consent.Record, err error) {
	start := time.Now()
	defer func() { s.group.metrics.observe(ctx, start, 1, err) }()
	if err := checkRecord(r); err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", err)
	}
	rs, err := s.group.append(ctx, []consent.Record{s.prepare(r)}, s.commitGroup)
	if err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", err)
	}
	return rs[0], nil
}

// AppendUngrouped appends r in a transaction of its own, as Append did
// before group commit: the yardstick of the ledger benchmarks.
func AppendUngrouped(ctx context.Context, s *ConsentStore, r consent.Record) (consent.Record, error) {
	if err := checkRecord(r); err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", err)
	}
	rs, err := s.appendTx(ctx, []consent.Record{s.prepare(r)})
	if err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", err)
	}
	return rs[0], nil
}

// commitGroup appends the records of every pending append in one
// transaction, in queue order, and hands each its stored records or the
// error. The transaction runs without the callers' cancellation: once
// their records are in a commit, they wait for its outcome.
func (s *ConsentStore) commitGroup(ps []*pendingAppend) {
	all := ps[0].rs
	if len(ps) > 1 {
		all = nil
		for _, p := range ps {
			all = append(all, p.rs...)
		}
	}
	ctx := context.WithoutCancel(ps[0].ctx)
	if m := s.group.metrics; m != nil {
		m.groupSize.Record(ctx, int64(len(all)))
	}
	out, err := s.appendGroup(ctx, all)
	for _, p := range ps {
		if err != nil {
			p.err = err
			continue
		}
		p.out, out = out[:len(p.rs):len(p.rs)], out[len(p.rs):]
	}
}

// AppendBatch validates every record, then appends them all in one
// transaction, in order, with consecutive Seqs; all or none.
func (s *ConsentStore) AppendBatch(ctx context.Context, rs []consent.Record) (_ []consent.Record, err error) {
	start := time.Now()
	defer func() {
		if len(rs) > 0 {
			s.group.metrics.observe(ctx, start, len(rs), err)
		}
	}()
	for i, r := range rs {
		if err := checkRecord(r); err != nil {
			return nil, fmt.Errorf("append consent records: %w", consent.BatchError(i, err))
		}
	}
	if len(rs) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return []consent.Record{}, nil
	}
	prepared := make([]consent.Record, len(rs))
	for i, r := range rs {
		prepared[i] = s.prepare(r)
	}
	out, err := s.group.append(ctx, prepared, s.commitGroup)
	if err != nil {
		return nil, fmt.Errorf("append consent records: %w", err)
	}
	return out, nil
}

func checkRecord(r consent.Record) error {
	return cmp.Or(r.Validate(), privacy.CheckTime("collected_at", r.CollectedAt), privacy.CheckTime("expires_at", r.ExpiresAt))
}

// prepare sets what a record gets on append apart from its place in the
// chain (Seq, PrevHash, KeyID, Hash): its RecordID, its pseudonym, its
// times in UTC, its categories as they read back. It runs on the caller's
// goroutine, before the record queues for a group commit, so that only
// the sealing and the insert are done one record after the other.
func (s *ConsentStore) prepare(r consent.Record) consent.Record {
	r.RecordID = newRecordID()
	// An empty list reads back as nil; the digest cannot tell them apart.
	r.Categories = slices.Clone(r.Categories)
	if len(r.Categories) == 0 {
		r.Categories = nil
	}
	r.CollectedAt = r.CollectedAt.UTC()
	if !r.ExpiresAt.IsZero() {
		r.ExpiresAt = r.ExpiresAt.UTC()
	}
	r.SubjectRef = s.refs.ref(r.SubjectID)
	return r
}

// appendGroup appends prepared records in one transaction: on an engine
// with a one-statement append (Dialect.appendRecords), chained to the head
// the last group commit left, in one round trip; if another process moved
// the head since, or elsewhere, as appendTx does.
func (s *ConsentStore) appendGroup(ctx context.Context, rs []consent.Record) ([]consent.Record, error) {
	g := s.group
	if s.d.appendRecords == "" {
		return s.appendTx(ctx, rs)
	}
	key, err := consent.SealingKey(ctx, s.keys)
	if err != nil {
		return nil, err
	}
	if !g.headKnown {
		if err := s.db.QueryRowContext(ctx, `SELECT seq, hash, key_id FROM privacy_consent_head WHERE id = 1`).Scan(
			&g.head.Seq, &g.head.Hash, &g.headKey); err != nil {
			return nil, fmt.Errorf("read ledger head: %w", s.d.translate(err))
		}
		g.headKnown = true
	}
	if key == nil && g.headKey != "" {
		// The head may be stale: appendTx reads it locked, and says so.
		g.headKnown = false
		return s.appendTx(ctx, rs)
	}
	out := seal(rs, g.head, key)
	changes := watch.Changes(out)
	cols := columns(out)
	args := make([]any, 0, 5+len(cols)+3)
	last := out[len(out)-1]
	args = append(args, last.Seq, last.Hash, last.KeyID, g.head.Seq, g.head.Hash)
	args = append(args, cols...)
	args = append(args, notifyArgs(changes)...)
	var stored, sent int64
	err = s.db.QueryRowContext(ctx, s.d.appendRecords, args...).Scan(&stored, &sent)
	g.headKnown = false
	if err == nil && stored == 0 {
		// Another process appended since the last group commit: chain to
		// its head instead.
		return s.appendTx(ctx, rs)
	}
	if s.publish != nil {
		// Also when it failed: its outcome may be unknown, and a change
		// that did not happen only costs a cache a read.
		s.publish(changes...)
	}
	if err != nil {
		return nil, s.d.translate(err)
	}
	if stored != int64(len(out)) {
		return nil, fmt.Errorf("append consent records: %d of %d records stored", stored, len(out))
	}
	g.head, g.headKey, g.headKnown = consent.Head{Seq: last.Seq, Hash: last.Hash}, last.KeyID, true
	return out, nil
}

// appendTx appends prepared records in a transaction that locks the
// ledger head, inserts them and moves the head.
func (s *ConsentStore) appendTx(ctx context.Context, rs []consent.Record) ([]consent.Record, error) {
	key, err := consent.SealingKey(ctx, s.keys)
	if err != nil {
		return nil, err
	}
	// Prepare the inserts before the transaction holds a connection: an
	// in-memory SQLite database has only one.
	inserts, err := s.inserts(ctx, len(rs))
	if err != nil {
		return nil, fmt.Errorf("insert records: %w", s.d.translate(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.d.translate(err)
	}
	defer tx.Rollback()
	out, err := s.append(ctx, tx, rs, key, inserts)
	if err != nil {
		return nil, s.d.translate(err)
	}
	changes := watch.Changes(out)
	if s.d.notify != "" {
		if _, err := tx.ExecContext(ctx, s.d.notify, notifyArgs(changes)...); err != nil {
			return nil, fmt.Errorf("notify: %w", s.d.translate(err))
		}
	}
	err = tx.Commit()
	if s.publish != nil {
		// Also when the commit failed: its outcome may be unknown, and a
		// change that did not happen only costs a cache a read.
		s.publish(changes...)
	}
	if err != nil {
		return nil, s.d.translate(err)
	}
	return out, nil
}

// insertColumns are the columns of privacy_consent_records in the order
// append writes them.
const insertColumns = `seq, record_id, subject_id, subject_ref, controller, purpose, categories, event,
	policy_version, notice_hash, method, collected_by, language, jurisdiction,
	collected_at, expires_at, guardian, prev_hash, hash, act, key_id`

const nInsertColumns = 21

// insertChunk is the most records one INSERT writes: 21 × 256 parameters
// stay under the limits of both engines (SQLite 32766, PostgreSQL 65535).
// An insert of n records runs statements of n's binary digits (256, 128,
// …, 1 records), so that a few prepared statements serve every n.
const insertChunk = 256

// insertSQL returns an INSERT of n records. SQLite gets anonymous ?
// parameters: it looks $n names up in a list, which makes binding
// thousands of them quadratic.
func (s *ConsentStore) insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO privacy_consent_records (" + insertColumns + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range nInsertColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			if s.d.name == "sqlite" {
				b.WriteByte('?')
				continue
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*nInsertColumns + j + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inserts returns the statements that insert n records, largest first:
// one per binary digit of n (insertChunk records, then 128, … 1), each
// prepared once and kept.
func (s *ConsentStore) inserts(ctx context.Context, n int) ([]*sql.Stmt, error) {
	g := s.group
	var sts []*sql.Stmt
	for size := insertChunk; n > 0; {
		if size > n {
			size /= 2
			continue
		}
		g.stmtMu.Lock()
		st := g.stmts[size]
		g.stmtMu.Unlock()
		if st == nil {
			var err error
			if st, err = s.db.PrepareContext(ctx, s.insertSQL(size)); err != nil {
				return nil, err
			}
			g.stmtMu.Lock()
			if g.stmts == nil {
				g.stmts = map[int]*sql.Stmt{}
			}
			if old := g.stmts[size]; old != nil {
				st.Close()
				st = old
			}
			g.stmts[size] = st
			g.stmtMu.Unlock()
		}
		sts = append(sts, st)
		n -= size
	}
	return sts, nil
}

// notifyArgs returns the arguments of Dialect.notify for changes.
func notifyArgs(changes []consent.Change) []any {
	subjects, purposes, seqs := make([]string, len(changes)), make([]string, len(changes)), make([]int64, len(changes))
	for i, c := range changes {
		subjects[i], purposes[i], seqs[i] = c.SubjectID, c.Purpose, c.Seq
	}
	return []any{subjects, purposes, seqs}
}

// seal chains prepared records to head under key, in order.
func seal(rs []consent.Record, head consent.Head, key *consent.Key) []consent.Record {
	out := make([]consent.Record, len(rs))
	sealer := consent.NewSealer(key)
	seq, prev := head.Seq, head.Hash
	for i, r := range rs {
		seq++
		r.Seq = seq
		sealer.Seal(&r, prev)
		prev = r.Hash
		out[i] = r
	}
	return out
}

// row returns the values of insertColumns for r.
func row(r *consent.Record) []any {
	return []any{r.Seq, r.RecordID, r.SubjectID, r.SubjectRef, r.Controller, r.Purpose, categoriesJSON(r.Categories), string(r.Event),
		r.PolicyVersion, r.NoticeHash, r.Method, r.CollectedBy, r.Language, r.Jurisdiction,
		r.CollectedAt.UnixNano(), nullNanos(r.ExpiresAt), r.Guardian, r.PrevHash, r.Hash, string(r.Act), r.KeyID}
}

// columns returns the values of insertColumns for rs, one array per
// column, for appendRecords.
func columns(rs []consent.Record) []any {
	n := len(rs)
	var (
		seqs, collected                  = make([]int64, n), make([]int64, n)
		expires                          = make([]*int64, n)
		guardians                        = make([]bool, n)
		texts                            = make([]string, 16*n)
		ids, subjects, refs, controllers = texts[0:n:n], texts[n : 2*n : 2*n], texts[2*n : 3*n : 3*n], texts[3*n : 4*n : 4*n]
		purposes, categories, events     = texts[4*n : 5*n : 5*n], texts[5*n : 6*n : 6*n], texts[6*n : 7*n : 7*n]
		versions, notices, methods       = texts[7*n : 8*n : 8*n], texts[8*n : 9*n : 9*n], texts[9*n : 10*n : 10*n]
		collectors, languages, areas     = texts[10*n : 11*n : 11*n], texts[11*n : 12*n : 12*n], texts[12*n : 13*n : 13*n]
		prevs, hashes, acts              = texts[13*n : 14*n : 14*n], texts[14*n : 15*n : 15*n], texts[15*n : 16*n : 16*n]
		keyIDs                           = make([]string, n)
	)
	for i := range rs {
		r := &rs[i]
		seqs[i], ids[i], subjects[i], refs[i], controllers[i] = r.Seq, r.RecordID, r.SubjectID, r.SubjectRef, r.Controller
		purposes[i], categories[i], events[i] = r.Purpose, categoriesJSON(r.Categories), string(r.Event)
		versions[i], notices[i], methods[i] = r.PolicyVersion, r.NoticeHash, r.Method
		collectors[i], languages[i], areas[i] = r.CollectedBy, r.Language, r.Jurisdiction
		collected[i] = r.CollectedAt.UnixNano()
		if !r.ExpiresAt.IsZero() {
			e := r.ExpiresAt.UnixNano()
			expires[i] = &e
		}
		guardians[i], prevs[i], hashes[i], acts[i], keyIDs[i] = r.Guardian, r.PrevHash, r.Hash, string(r.Act), r.KeyID
	}
	return []any{seqs, ids, subjects, refs, controllers, purposes, categories, events,
		versions, notices, methods, collectors, languages, areas,
		collected, expires, guardians, prevs, hashes, acts, keyIDs}
}

// categoriesJSON returns the stored form of a record's categories: a JSON
// array of strings.
func categoriesJSON(cs []string) string {
	if len(cs) == 0 {
		return "[]"
	}
	b, err := json.Marshal(cs)
	if err != nil { // cannot happen: strings always encode
		panic(err)
	}
	return string(b)
}

// append seals in to the ledger head, which it locks, inserts them with
// inserts (as inserts returned them for len(in)) and moves the head.
func (s *ConsentStore) append(ctx context.Context, tx *sql.Tx, in []consent.Record, key *consent.Key, inserts []*sql.Stmt) ([]consent.Record, error) {
	var (
		head    consent.Head
		headKey string
	)
	if err := tx.QueryRowContext(ctx,
		`SELECT seq, hash, key_id FROM privacy_consent_head WHERE id = 1`+s.d.forUpdate,
	).Scan(&head.Seq, &head.Hash, &headKey); err != nil {
		return nil, fmt.Errorf("read ledger head: %w", err)
	}
	if key == nil && headKey != "" {
		return nil, fmt.Errorf("%w: its last record is sealed with key %s", consent.ErrKeyRequired, headKey)
	}
	out := seal(in, head, key)
	args := make([]any, 0, min(len(out), insertChunk)*nInsertColumns)
	rest := out
	for _, st := range inserts {
		n := min(len(rest), insertChunk)
		for n&(n-1) != 0 { // the largest power of two up to n
			n &= n - 1
		}
		args = args[:0]
		for i := range n {
			args = append(args, row(&rest[i])...)
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return nil, fmt.Errorf("insert records: %w", err)
		}
		rest = rest[n:]
	}
	last := out[len(out)-1]
	if _, err := tx.ExecContext(ctx,
		`UPDATE privacy_consent_head SET seq = $1, hash = $2, key_id = $3 WHERE id = 1`, last.Seq, last.Hash, last.KeyID,
	); err != nil {
		return nil, fmt.Errorf("move ledger head: %w", err)
	}
	return out, nil
}

// State returns the latest record of the subject and purpose collected at
// or before at, ties broken by ledger order; a State with a zero Event when
// there is none.
func (s *ConsentStore) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	if !s.d.storable(subjectID, purpose) {
		return consent.State{SubjectID: subjectID, Purpose: purpose}, nil
	}
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return consent.State{}, fmt.Errorf("read consent state: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	st, err := s.state(ctx, tx, subjectID, purpose, at)
	if err != nil {
		return consent.State{}, fmt.Errorf("read consent state for %s: %w", purpose, s.d.translate(err))
	}
	return st, nil
}

func (s *ConsentStore) state(ctx context.Context, tx *sql.Tx, subjectID, purpose string, at time.Time) (consent.State, error) {
	st := consent.State{SubjectID: subjectID, Purpose: purpose}
	if subjectID == "" {
		// Erased subjects' records have an empty subject_id.
		return st, nil
	}
	var (
		event     string
		act       string
		collected int64
		expires   sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT record_id, event, policy_version, guardian, collected_at, expires_at, act
FROM privacy_consent_records
WHERE subject_id = $1 AND purpose = $2 AND collected_at <= $3
ORDER BY collected_at DESC, seq DESC
LIMIT 1`, subjectID, purpose, clampNanos(at),
	).Scan(&st.RecordID, &event, &st.PolicyVersion, &st.Guardian, &collected, &expires, &act)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return consent.State{}, err
	}
	st.Event = consent.Event(event)
	st.Act = consent.Act(act)
	st.CollectedAt = fromNanos(collected)
	st.ExpiresAt = fromNullNanos(expires)
	return st, nil
}

// History returns every record of the subject in ledger order, or an empty
// slice.
func (s *ConsentStore) History(ctx context.Context, subjectID string) ([]consent.Record, error) {
	if !s.d.storable(subjectID) {
		return []consent.Record{}, nil
	}
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, fmt.Errorf("read consent history: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rs, err := s.records(ctx, tx, `WHERE subject_id = $1 AND subject_id <> '' ORDER BY seq`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("read consent history: %w", s.d.translate(err))
	}
	return rs, nil
}

// Record returns the record with the id, or an error wrapping
// consent.ErrNotFound.
func (s *ConsentStore) Record(ctx context.Context, recordID string) (consent.Record, error) {
	if !s.d.storable(recordID) {
		return consent.Record{}, fmt.Errorf("%w: %q", consent.ErrNotFound, recordID)
	}
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return consent.Record{}, fmt.Errorf("read consent record: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rs, err := s.records(ctx, tx, `WHERE record_id = $1`, recordID)
	if err != nil {
		return consent.Record{}, fmt.Errorf("read consent record %s: %w", recordID, s.d.translate(err))
	}
	if len(rs) == 0 {
		return consent.Record{}, fmt.Errorf("%w: %s", consent.ErrNotFound, recordID)
	}
	return rs[0], nil
}

// recordColumns lists the columns query reads, each prefixed (a table
// alias and a dot, or "").
func recordColumns(prefix string) string {
	return prefix + strings.Join([]string{"seq", "record_id", "subject_id", "subject_ref", "controller", "purpose", "categories",
		"event", "policy_version", "notice_hash", "method", "collected_by", "language", "jurisdiction",
		"collected_at", "expires_at", "guardian", "prev_hash", "hash", "act", "key_id"}, ", "+prefix)
}

// records returns the records the clause selects.
func (s *ConsentStore) records(ctx context.Context, tx *sql.Tx, clause string, args ...any) ([]consent.Record, error) {
	return s.query(ctx, tx, `SELECT `+recordColumns("")+` FROM privacy_consent_records `+clause, args...)
}

// query returns the records a query selecting recordColumns returns.
func (s *ConsentStore) query(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]consent.Record, error) {
	return s.appendQuery(ctx, tx, []consent.Record{}, query, args...)
}

// appendQuery appends to out the records a query selecting recordColumns
// returns.
func (s *ConsentStore) appendQuery(ctx context.Context, tx *sql.Tx, out []consent.Record, query string, args ...any) ([]consent.Record, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Scanned into, once per query: each would be an allocation per
	// record if declared in the loop.
	var (
		r          consent.Record
		categories string
		event      string
		act        string
		collected  int64
		expires    sql.NullInt64
	)
	for rows.Next() {
		r = consent.Record{}
		if err := rows.Scan(&r.Seq, &r.RecordID, &r.SubjectID, &r.SubjectRef, &r.Controller, &r.Purpose, &categories,
			&event, &r.PolicyVersion, &r.NoticeHash, &r.Method, &r.CollectedBy, &r.Language, &r.Jurisdiction,
			&collected, &expires, &r.Guardian, &r.PrevHash, &r.Hash, &act, &r.KeyID); err != nil {
			return nil, err
		}
		if err := decodeCategories(&r, categories); err != nil {
			return nil, err
		}
		r.Event = consent.Event(event)
		r.Act = consent.Act(act)
		r.CollectedAt = fromNanos(collected)
		r.ExpiresAt = fromNullNanos(expires)
		out = append(out, r)
	}
	return out, rows.Err()
}

// decodeCategories sets r.Categories from the stored JSON array.
func decodeCategories(r *consent.Record, categories string) error {
	r.Categories = nil
	if categories == "[]" { // most records list none: skip the decoder
		return nil
	}
	var cs []string // not &r.Categories: r would escape to the heap
	if err := json.Unmarshal([]byte(categories), &cs); err != nil {
		return fmt.Errorf("record %s: categories: %w", r.RecordID, err)
	}
	if len(cs) > 0 {
		r.Categories = cs
	}
	return nil
}

// scanPage is how many records Scan reads per transaction.
const scanPage = 1000

// Scan calls fn with every record after afterSeq in Seq order. It reads
// pages of records, each in a transaction of its own, and calls fn outside
// them, so that a slow fn holds no lock and no snapshot.
func (s *ConsentStore) Scan(ctx context.Context, afterSeq int64, fn func(consent.Record) error) error {
	page := make([]consent.Record, 0, scanPage)
	for {
		var err error
		page, err = s.page(ctx, afterSeq, page[:0])
		if err != nil {
			return fmt.Errorf("scan consent ledger after %d: %w", afterSeq, err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
			afterSeq = r.Seq
		}
		if len(page) < scanPage {
			return nil
		}
	}
}

// packedColumns are the columns of a record but seq in the order Scan
// reads them, packed into one value (packedText): the text columns, then
// the number columns as text, expires_at, which may be NULL, last.
var packedColumns = []string{"record_id", "subject_id", "subject_ref", "controller", "purpose", "categories",
	"event", "policy_version", "notice_hash", "method", "collected_by", "language", "jurisdiction",
	"prev_hash", "hash", "act", "key_id", "CAST(collected_at AS TEXT)", "CAST(guardian AS TEXT)", "CAST(expires_at AS TEXT)"}

// packedText is the SQL of one text value that holds every column of
// packedColumns, each as its length in bytes, a colon and its bytes
// ("7:u-12345…"); a NULL expires_at leaves its place empty (concat skips
// NULLs), where an empty text would be "0:". Reading two values per
// record instead of twenty-one is most of what Scan, and so Verify,
// gains: the drivers pay per column (modernc.org/sqlite takes several
// locks and makes an allocation or two for each). Both engines have
// concat and octet_length.
var packedText = func() string {
	var b strings.Builder
	b.WriteString("concat(")
	for i, c := range packedColumns {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == len(packedColumns)-1 {
			// NULL || ':' is NULL: a NULL expires_at leaves nothing.
			b.WriteString("octet_length(" + c + ") || ':', " + c)
			continue
		}
		b.WriteString("octet_length(" + c + "), ':', " + c)
	}
	b.WriteString(")")
	return b.String()
}()

// scanQuery reads a page of records for Scan on an engine with
// Dialect.packedScan: seq, and the rest packed.
var scanQuery = `SELECT seq, ` + packedText + `
FROM privacy_consent_records WHERE seq > $1 ORDER BY seq LIMIT ` + strconv.Itoa(scanPage)

// page appends to buf the records after afterSeq, at most scanPage, read
// in one transaction.
func (s *ConsentStore) page(ctx context.Context, afterSeq int64, buf []consent.Record) ([]consent.Record, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, s.d.translate(err)
	}
	defer tx.Rollback()
	if !s.d.packedScan {
		buf, err = s.appendQuery(ctx, tx, buf, `SELECT `+recordColumns("")+` FROM privacy_consent_records WHERE seq > $1 ORDER BY seq LIMIT `+strconv.Itoa(scanPage), afterSeq)
		return buf, s.d.translate(err)
	}
	rows, err := tx.QueryContext(ctx, scanQuery, afterSeq)
	if err != nil {
		return nil, s.d.translate(err)
	}
	defer rows.Close()
	var (
		odd []int // indexes in buf of records to read again
		// Scanned into, once per page: each would be an allocation per
		// record if declared in the loop.
		seq    int64
		packed string
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &packed); err != nil {
			return nil, s.d.translate(err)
		}
		r := consent.Record{Seq: seq}
		if !unpack(&r, packed) {
			odd = append(odd, len(buf))
		}
		buf = append(buf, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.translate(err)
	}
	rows.Close()
	// A value not as packedText writes it (an engine that stops at a NUL
	// byte in a text, say, or categories that are not a JSON array): read
	// the record as the other reads do, which say what is wrong.
	for _, i := range odd {
		rs, err := s.records(ctx, tx, `WHERE seq = $1`, buf[i].Seq)
		if err != nil {
			return nil, s.d.translate(err)
		}
		if len(rs) != 1 {
			return nil, fmt.Errorf("record %d: read again, found %d records", buf[i].Seq, len(rs))
		}
		buf[i] = rs[0]
	}
	return buf, nil
}

// unpack sets r's fields but Seq from a value of packedText, the texts
// substrings of it (no copy), or reports false when the value is not
// packedText's encoding of a record as the other reads would read it:
// then the caller reads it as they do, and fails as they fail.
func unpack(r *consent.Record, packed string) bool {
	var categories, event, act, collected, guardian, expires string
	fields := [...]*string{&r.RecordID, &r.SubjectID, &r.SubjectRef, &r.Controller, &r.Purpose, &categories,
		&event, &r.PolicyVersion, &r.NoticeHash, &r.Method, &r.CollectedBy, &r.Language, &r.Jurisdiction,
		&r.PrevHash, &r.Hash, &act, &r.KeyID, &collected, &guardian, &expires}
	rest, expiresNull := packed, false
	for i, f := range fields {
		if i == len(fields)-1 && rest == "" {
			expiresNull = true // "" would be "0:"
			break
		}
		colon := strings.IndexByte(rest, ':')
		if colon < 1 || colon > 9 {
			return false
		}
		n := 0
		for _, c := range []byte(rest[:colon]) {
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int(c-'0')
		}
		rest = rest[colon+1:]
		if n > len(rest) {
			return false
		}
		*f, rest = rest[:n], rest[n:]
	}
	if rest != "" {
		return false
	}
	// As database/sql converts a text to int64 and bool.
	at, err := strconv.ParseInt(collected, 10, 64)
	if err != nil {
		return false
	}
	r.CollectedAt = fromNanos(at)
	if r.Guardian, err = strconv.ParseBool(guardian); err != nil {
		return false
	}
	r.ExpiresAt = time.Time{}
	if !expiresNull {
		at, err := strconv.ParseInt(expires, 10, 64)
		if err != nil {
			return false
		}
		r.ExpiresAt = fromNanos(at)
	}
	r.Event, r.Act = consent.Event(event), consent.Act(act)
	return decodeCategories(r, categories) == nil
}

// Head returns the Seq and Hash of the last record appended, as the head
// row holds them.
func (s *ConsentStore) Head(ctx context.Context) (consent.Head, error) {
	var h consent.Head
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return h, fmt.Errorf("read ledger head: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM privacy_consent_head WHERE id = 1`).Scan(&h.Seq, &h.Hash); err != nil {
		return consent.Head{}, fmt.Errorf("read ledger head: %w", s.d.translate(err))
	}
	return h, nil
}

// PartlyErased returns the first record whose subject_id is blank while an
// earlier record with its subject_ref keeps its subject_id. Only blanked
// records are indexed by subject_ref (migration 0304), so that appends
// touch no random index page: when there are none, the answer is one index
// lookup; otherwise it is one pass over the kept records, probing the
// pseudonyms of the blanked ones.
func (s *ConsentStore) PartlyErased(ctx context.Context) (consent.Record, bool, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return consent.Record{}, false, fmt.Errorf("look for partly erased subjects: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	var blanked bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM privacy_consent_records WHERE subject_id = '' AND subject_ref <> '')`).Scan(&blanked); err != nil || !blanked {
		return consent.Record{}, false, s.d.translate(err)
	}
	// erased: each blanked pseudonym and its last blanked record; kept:
	// the first record of such a pseudonym that keeps its id, if it comes
	// before that. (CROSS JOIN makes SQLite scan the records once and
	// probe the few pseudonyms, not the other way round.)
	rs, err := s.query(ctx, tx, `WITH erased AS (
	SELECT subject_ref, max(seq) AS last FROM privacy_consent_records
	WHERE subject_id = '' AND subject_ref <> '' GROUP BY subject_ref
), kept AS (
	SELECT k.subject_ref, min(k.seq) AS first
	FROM privacy_consent_records k CROSS JOIN erased e
	WHERE k.subject_ref = e.subject_ref AND k.subject_id <> '' AND k.seq < e.last
	GROUP BY k.subject_ref
)
SELECT `+recordColumns("r.")+`
FROM privacy_consent_records r JOIN kept ON kept.subject_ref = r.subject_ref
WHERE r.subject_id = '' AND r.seq > kept.first
ORDER BY r.seq LIMIT 1`)
	if err != nil || len(rs) == 0 {
		return consent.Record{}, false, s.d.translate(err)
	}
	return rs[0], true, nil
}

// Latest returns, sorted by subject, each subject's consent state for the
// purpose by its latest record, whatever its event: the candidates the
// policy judges (policies.Engine.StaleConsents). Erased subjects are not
// listed.
func (s *ConsentStore) Latest(ctx context.Context, purpose string) ([]consent.State, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, fmt.Errorf("list consent states: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT r.subject_id, r.record_id, r.event, r.policy_version, r.guardian, r.collected_at, r.expires_at, r.act
FROM privacy_consent_records r
WHERE r.purpose = $1 AND r.subject_id <> ''
AND NOT EXISTS (
	SELECT 1 FROM privacy_consent_records n
	WHERE n.subject_id = r.subject_id AND n.purpose = r.purpose
	AND (n.collected_at > r.collected_at OR (n.collected_at = r.collected_at AND n.seq > r.seq))
)
ORDER BY r.subject_id`, purpose)
	if err != nil {
		return nil, fmt.Errorf("list consent states for %s: %w", purpose, s.d.translate(err))
	}
	defer rows.Close()
	out := []consent.State{}
	for rows.Next() {
		st := consent.State{Purpose: purpose}
		var event, act string
		var collected int64
		var expires sql.NullInt64
		if err := rows.Scan(&st.SubjectID, &st.RecordID, &event, &st.PolicyVersion, &st.Guardian, &collected, &expires, &act); err != nil {
			return nil, fmt.Errorf("list consent states for %s: %w", purpose, s.d.translate(err))
		}
		st.Event, st.Act = consent.Event(event), consent.Act(act)
		st.CollectedAt, st.ExpiresAt = fromNanos(collected), fromNullNanos(expires)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list consent states for %s: %w", purpose, s.d.translate(err))
	}
	return out, nil
}

// Lapsed returns up to limit given consents that are the latest record of
// their subject and purpose at at and whose expiry is at or before at.
func (s *ConsentStore) Lapsed(ctx context.Context, at time.Time, limit int) ([]consent.State, error) {
	tx, err := s.db.BeginTx(ctx, readOnly())
	if err != nil {
		return nil, fmt.Errorf("list lapsed consents: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT r.subject_id, r.purpose, r.record_id, r.policy_version, r.guardian, r.collected_at, r.expires_at
FROM privacy_consent_records r
WHERE r.subject_id <> '' AND r.event = $1 AND r.expires_at IS NOT NULL AND r.expires_at <= $2
AND NOT EXISTS (
	SELECT 1 FROM privacy_consent_records n
	WHERE n.subject_id = r.subject_id AND n.purpose = r.purpose AND n.collected_at <= $2
	AND (n.collected_at > r.collected_at OR (n.collected_at = r.collected_at AND n.seq > r.seq))
)
LIMIT $3`, string(consent.Given), clampNanos(at), max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("list lapsed consents: %w", s.d.translate(err))
	}
	defer rows.Close()
	out := []consent.State{}
	for rows.Next() {
		st := consent.State{Event: consent.Given}
		var collected, expires int64
		if err := rows.Scan(&st.SubjectID, &st.Purpose, &st.RecordID, &st.PolicyVersion, &st.Guardian, &collected, &expires); err != nil {
			return nil, fmt.Errorf("list lapsed consents: %w", s.d.translate(err))
		}
		st.CollectedAt, st.ExpiresAt = fromNanos(collected), fromNanos(expires)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list lapsed consents: %w", s.d.translate(err))
	}
	return out, nil
}

// SubjectRef returns the subject's pseudonym in this ledger.
func (s *ConsentStore) SubjectRef(subjectID string) string {
	return s.refs.ref(subjectID)
}

// Pseudonymise blanks subject_id in every record of the subject that has a
// subject_ref, in one transaction, and returns how many it changed.
func (s *ConsentStore) Pseudonymise(ctx context.Context, subjectID string) (int64, error) {
	if subjectID == "" {
		return 0, &privacy.ValidationError{Field: "subject_id", Message: "is required"}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("pseudonymise: %w", s.d.translate(err))
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx,
		`UPDATE privacy_consent_records SET subject_id = '' WHERE subject_id = $1 AND subject_ref <> ''`, subjectID)
	if err != nil {
		return 0, fmt.Errorf("pseudonymise: %w", s.d.translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("pseudonymise: %w", s.d.translate(err))
	}
	change := consent.Change{SubjectID: subjectID}
	if n > 0 && s.d.notify != "" {
		if _, err := tx.ExecContext(ctx, s.d.notify, []string{change.SubjectID}, []string{""}, []int64{0}); err != nil {
			return 0, fmt.Errorf("pseudonymise: notify: %w", s.d.translate(err))
		}
	}
	err = tx.Commit()
	if n > 0 && s.publish != nil {
		s.publish(change)
	}
	if err != nil {
		return 0, fmt.Errorf("pseudonymise: %w", s.d.translate(err))
	}
	return n, nil
}

// newRecordID returns a version-7 UUID: unique, and ordered by time, so
// that the unique index on record_id grows at its end instead of taking
// a write to a random page per append.
func newRecordID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// nanosRange returns the first and last time int64 unix nanoseconds, the
// stored form of times, can hold: in 1677 and 2262.
func nanosRange() (first, last time.Time) {
	return time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)
}

// clampNanos returns t in unix nanoseconds, clamped to what int64 holds, so
// that a query bound such as the zero time or year 9999 still compares
// correctly with stored times.
func clampNanos(t time.Time) int64 {
	minNanos, maxNanos := nanosRange()
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func nullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}
