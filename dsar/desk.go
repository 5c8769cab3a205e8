package dsar

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/subject"
)

// Desk runs data-subject requests: it records them, gates them on identity
// verification, keeps their deadlines, fans them out to the registered
// sources and writes the subject state the policies engine reads. It is
// safe for concurrent use; several processes may run Desks over one shared
// RequestStore (see WithLease).
type Desk struct {
	store       RequestStore
	states      subject.StateStore
	catalog     *privacy.Catalog
	sources     map[string]Source
	verifier    Verifier
	notifier    Notifier
	holds       Holds
	consent     ConsentEraser
	disclosures Disclosures
	now         func() time.Time
	loc         *time.Location
	concurrency int
	lease       time.Duration
	newID       func() string
	log         *slog.Logger
	tracer      trace.Tracer
	// err is what is wrong with the options NewDesk was given; every
	// method returns it.
	err error
}

// Option configures a Desk.
type Option func(*Desk)

// WithCatalog sets the catalog that says which categories a subject kind
// has, what they are used for (the access export) and whether the operator
// is a processor. The default is privacy.DefaultCatalog().
func WithCatalog(c *privacy.Catalog) Option { return func(d *Desk) { d.catalog = c } }

// WithSource registers a service that holds personal data under a name
// that is unique within the Desk and stable across restarts: outcomes are
// recorded by name, and a resumed request skips the names already done.
func WithSource(name string, s Source) Option {
	return func(d *Desk) { d.sources[name] = s }
}

// WithVerifier sets the identity check. The default is Attestation.
func WithVerifier(v Verifier) Option { return func(d *Desk) { d.verifier = v } }

// WithNotifier sets how requests of a processor's subjects reach their
// controller. Without one, such requests stay received.
func WithNotifier(n Notifier) Option { return func(d *Desk) { d.notifier = n } }

// WithHolds sets what erasure must keep: retention.ErasureHolds (the
// catalog's statutory holds and the legal holds placed in the retention
// store), or a CatalogHolds (the catalog's statutory holds and the legal
// holds it lists). There is no default: a Desk without it refuses to erase
// (Run of an erasure, Offboard) rather than erase what a legal hold placed
// elsewhere keeps (Art. 17(3)(b),(e)).
func WithHolds(h Holds) Option { return func(d *Desk) { d.holds = h } }

// needHolds is the error of an erasure on a Desk without WithHolds.
func (d *Desk) needHolds() error {
	if d.holds != nil {
		return nil
	}
	return &privacy.ValidationError{Field: "holds", Message: "the desk knows no holds, so an erasure could remove what a legal or statutory hold keeps (Art. 17(3)(b),(e)): " +
		"give dsar.WithHolds(&retention.ErasureHolds{...}) for the holds in the retention store, or dsar.WithHolds(&dsar.CatalogHolds{Catalog: c}) for the catalog's statutory holds only"}
}

// WithConsent registers the consent ledger's pseudonymisation, called when
// an erasure completes. Without it the ledger is left as it is.
func WithConsent(c ConsentEraser) Option { return func(d *Desk) { d.consent = c } }

// WithClock sets the clock that stamps receipts, trails and deadlines. The
// default is time.Now.
func WithClock(now func() time.Time) Option { return func(d *Desk) { d.now = now } }

// WithLocation sets the time zone in which dates of receipt and "today" are
// read for deadlines: the controller's. The default is UTC.
func WithLocation(loc *time.Location) Option { return func(d *Desk) { d.loc = loc } }

// WithConcurrency bounds how many sources one Run calls at once. The
// default is 4; n must be positive.
func WithConcurrency(n int) Option { return func(d *Desk) { d.concurrency = n } }

// WithLease sets how long a source claimed by a Run is left alone by other
// Runs: after a crash, its source is retried once the lease has passed. The
// default is 10 minutes; it must exceed the slowest source.
func WithLease(l time.Duration) Option { return func(d *Desk) { d.lease = l } }

// WithIDs sets the generator of request ids. The default draws 12 random
// hex digits after "dsar-". Ids appear in logs and spans: they must carry
// no personal data.
func WithIDs(next func() string) Option { return func(d *Desk) { d.newID = next } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(d *Desk) { d.log = l } }

// NewDesk returns a Desk that keeps requests in store and writes subject
// state (objections, restriction, deactivation) to states. A nil store or
// option (WithClock, WithLocation, WithVerifier, WithIDs, WithLogger,
// WithSource), a source name that is not an id, or a lease or concurrency
// that is not positive makes every method of the Desk return an error
// that names them, wrapping *privacy.ValidationError.
func NewDesk(store RequestStore, states subject.StateStore, opts ...Option) *Desk {
	d := &Desk{
		store:       store,
		states:      states,
		sources:     map[string]Source{},
		verifier:    Attestation{},
		now:         time.Now,
		loc:         time.UTC,
		concurrency: 4,
		lease:       10 * time.Minute,
		newID:       randomID,
		log:         slog.New(slog.DiscardHandler),
		tracer:      defaultTracer(),
	}
	for _, o := range opts {
		o(d)
	}
	if d.catalog == nil {
		d.catalog = privacy.DefaultCatalog()
	}
	d.err = d.checkOptions()
	return d
}

// checkOptions returns what is wrong with the Desk's stores and options:
// a nil store, clock, location, verifier or source, a source name that is
// not an id, a lease or concurrency that is not positive. Each would
// panic at its first use (a nil source in a goroutine of Run, taking the
// process down) or, for a lease, let concurrent Runs claim the same
// source at once.
func (d *Desk) checkOptions() error {
	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, &privacy.ValidationError{Field: field, Message: msg})
	}
	if d.store == nil {
		bad("store", "is nil: NewDesk needs a RequestStore")
	}
	if d.states == nil {
		bad("states", "is nil: NewDesk needs a subject.StateStore")
	}
	if d.now == nil {
		bad("WithClock", "is nil")
	}
	if d.loc == nil {
		bad("WithLocation", "is nil: name the controller's time zone (time.UTC for UTC)")
	}
	if d.verifier == nil {
		bad("WithVerifier", "is nil")
	}
	if d.newID == nil {
		bad("WithIDs", "is nil")
	}
	if d.log == nil {
		bad("WithLogger", "is nil")
	}
	if d.concurrency <= 0 {
		bad("WithConcurrency", fmt.Sprintf("must be positive, got %d", d.concurrency))
	}
	if d.lease <= 0 {
		bad("WithLease", fmt.Sprintf("must be positive, got %s: a shorter lease lets concurrent Runs claim the same source", d.lease))
	}
	for _, name := range d.sourceNames() {
		if err := privacy.CheckID("WithSource name", name); err != nil {
			errs = append(errs, err)
		}
		if d.sources[name] == nil {
			bad("WithSource", fmt.Sprintf("source %q is nil", name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("dsar: NewDesk: %w", errors.Join(errs...))
	}
	return nil
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "dsar-" + hex.EncodeToString(b[:])
}

const deskActor = "desk"

func (d *Desk) stamp() time.Time { return d.now().UTC() }

func (d *Desk) note(r *Request, actor, action, source, detail string) {
	r.Trail = append(r.Trail, Entry{At: d.stamp(), Actor: actor, Action: action, Source: source, Detail: detail})
}

func (d *Desk) processor(kind privacy.SubjectKind) bool {
	spec := d.catalog.SubjectKind(kind)
	return spec != nil && spec.Role == privacy.RoleProcessor
}

// Open records a new request: it validates the request against the
// catalog, assigns its id, stamps its receipt (ReceivedAt, now when zero)
// and sets its due date one calendar month later. The caller fills Kind,
// Subject, RequestedBy and what the kind needs (Purposes or
// DirectMarketing for an objection, Corrections for a rectification,
// optionally Categories); anything else it sets is replaced. A ReceivedAt
// after the Desk's clock is refused, since the deadline runs from receipt.
// Open calls no source and no notifier.
func (d *Desk) Open(ctx context.Context, r Request) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if err := d.check(&r); err != nil {
		return Request{}, err
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = d.now()
	}
	r.ReceivedAt = r.ReceivedAt.UTC()
	r.ID = d.newID()
	if err := privacy.CheckID("id", r.ID); err != nil {
		return Request{}, fmt.Errorf("open %s request: the id WithIDs gave: %w", r.Kind, err)
	}
	r.Due = DueDate(r.ReceivedAt.In(d.loc), 0)
	r.Status = StatusReceived
	r.Extension, r.Verification, r.ClosedAt = nil, Verification{}, time.Time{}
	r.Sources, r.Exemptions, r.Trail = nil, nil, nil
	r.Trail = []Entry{{At: d.stamp(), Actor: r.RequestedBy, Action: "opened",
		Detail: fmt.Sprintf("%s request (%s) received via %s, due %s",
			r.Kind, r.Kind.Article(), cmpOr(r.Channel, "unstated channel"), r.Due.Format(time.DateOnly))}}
	if err := d.store.Create(ctx, r); err != nil {
		return Request{}, fmt.Errorf("open %s request: %w", r.Kind, err)
	}
	return r, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkText returns a *privacy.ValidationError naming field when s, free
// text that goes into the trail, is longer than subject.MaxReasonBytes,
// not UTF-8 or holds a NUL byte: what Open checks of a request's note.
func checkText(field, s string) error {
	switch {
	case len(s) > subject.MaxReasonBytes:
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf("is %d bytes long, more than %d", len(s), subject.MaxReasonBytes)}
	case !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0:
		return &privacy.ValidationError{Field: field, Message: "must be UTF-8 text without NUL bytes"}
	}
	return nil
}

// checkActor checks an optional actor (who did a step; the Desk when
// empty) as an id.
func checkActor(field, s string) error {
	if s == "" {
		return nil
	}
	return privacy.CheckID(field, s)
}

// check validates a new request against the catalog.
func (d *Desk) check(r *Request) error {
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if !r.Kind.Valid() {
		kinds := make([]string, 0, len(Kinds()))
		for _, k := range Kinds() {
			kinds = append(kinds, string(k))
		}
		return bad("kind", "must be one of %v, got %q%s", Kinds(), r.Kind, privacy.DidYouMean(string(r.Kind), kinds))
	}
	if r.Kind == KindOffboarding {
		return bad("kind", "an offboarding is the customer's choice at the end of its contract, made with Desk.Offboard")
	}
	if err := privacy.CheckID("subject.id", r.Subject.ID); err != nil {
		return err
	}
	if d.catalog.SubjectKind(r.Subject.Kind) == nil {
		var kinds []string
		for _, k := range d.catalog.SubjectKinds {
			kinds = append(kinds, string(k.Kind))
		}
		return bad("subject.kind", "unknown subject kind %q%s", r.Subject.Kind, privacy.DidYouMean(string(r.Subject.Kind), kinds))
	}
	if d.processor(r.Subject.Kind) && strings.TrimSpace(r.Subject.Controller) == "" {
		return bad("subject.controller", "is required for a %s: the operator is a processor and forwards the request to the controller", r.Subject.Kind)
	}
	if strings.TrimSpace(r.RequestedBy) == "" {
		r.RequestedBy = r.Subject.ID
	}
	if err := r.checkIDs(); err != nil {
		return err
	}
	if err := privacy.CheckTime("received_at", r.ReceivedAt); err != nil {
		return err
	}
	if r.Channel != "" {
		if err := privacy.CheckID("channel", r.Channel); err != nil {
			return err
		}
	}
	switch {
	case len(r.Note) > subject.MaxReasonBytes:
		return bad("note", "is %d bytes long, more than %d", len(r.Note), subject.MaxReasonBytes)
	case !utf8.ValidString(r.Note) || strings.IndexByte(r.Note, 0) >= 0:
		return bad("note", "must be UTF-8 text without NUL bytes")
	}
	if now := d.now(); r.ReceivedAt.After(now) {
		// The deadline runs from receipt (Art. 12(3)): a receipt dated
		// ahead would move it as far.
		return bad("received_at", "%s is after now (%s): a request is recorded once it is received",
			r.ReceivedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	for i, key := range r.Categories {
		if err := d.checkCategory(r.Subject.Kind, key); err != nil {
			return bad(fmt.Sprintf("categories[%d]", i), "%v", err)
		}
	}
	for i, c := range r.Corrections {
		if err := d.checkCategory(r.Subject.Kind, c.Category); err != nil {
			return bad(fmt.Sprintf("corrections[%d].category", i), "%v", err)
		}
	}
	for i, p := range r.Purposes {
		if d.catalog.Purpose(p) == nil {
			return bad(fmt.Sprintf("purposes[%d]", i), "unknown purpose %q%s", p, privacy.DidYouMean(p, d.catalog.PurposeKeys()))
		}
	}
	switch {
	case r.Kind == KindObjection && len(r.Purposes) == 0 && !r.DirectMarketing:
		return bad("purposes", "an objection names at least one purpose or direct_marketing")
	case r.Kind == KindRectification && len(r.Corrections) == 0:
		return bad("corrections", "a rectification names at least one correction")
	}
	return nil
}

func (d *Desk) checkCategory(kind privacy.SubjectKind, key string) error {
	leaves := d.catalog.Leaves(key)
	if leaves == nil {
		var keys []string
		for _, c := range d.catalog.Categories {
			if c.Subject == kind {
				keys = append(keys, c.Key)
			}
		}
		return fmt.Errorf("unknown category %q%s", key, privacy.DidYouMean(key, keys))
	}
	for _, l := range leaves {
		if c := d.catalog.Category(l); c == nil || c.Subject != kind {
			return fmt.Errorf("category %q is not data of a %s", key, kind)
		}
	}
	return nil
}

// Request returns the request with the id, or an error wrapping
// ErrNotFound.
func (d *Desk) Request(ctx context.Context, id string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	return d.store.Request(ctx, id)
}

// List returns the requests the filter selects, oldest first.
func (d *Desk) List(ctx context.Context, f Filter) ([]Request, error) {
	if d.err != nil {
		return nil, d.err
	}
	return d.store.List(ctx, f)
}

// Overdue returns the open requests whose due date has passed, today read
// in the Desk's location.
func (d *Desk) Overdue(ctx context.Context) ([]Request, error) {
	if d.err != nil {
		return nil, d.err
	}
	return d.store.List(ctx, Filter{OverdueOn: Date(d.now().In(d.loc))})
}

// Verify checks the subject's identity with the Desk's Verifier and
// records the result. A request that passes becomes verified; one that
// fails stays received with a failed verification, and may be verified
// again with better evidence or rejected. It returns an error wrapping
// ErrTransition unless the request is received.
func (d *Desk) Verify(ctx context.Context, id string, ev Evidence) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	r, err := d.store.Request(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if err := cmp.Or(checkActor("method", ev.Method), checkActor("by", ev.By), checkText("note", ev.Note)); err != nil {
		return r, err
	}
	if d.processor(r.Subject.Kind) {
		return r, fmt.Errorf("verify %s: %w: the controller %s verifies its %s and instructs (Instruct)", id, ErrTransition, r.Subject.Controller, r.Subject.Kind)
	}
	if r.Status != StatusReceived {
		return r, fmt.Errorf("verify %s: %w: %s", id, ErrTransition, r.Status)
	}
	ok, err := d.verifier.Verify(ctx, r, ev)
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", id, err)
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		if r.Status != StatusReceived {
			return fmt.Errorf("verify %s: %w: %s", id, ErrTransition, r.Status)
		}
		v := Verification{Status: VerificationFailed, Method: ev.Method, By: ev.By, At: d.stamp(), Note: ev.Note}
		action := "verification_failed"
		if ok {
			v.Status, action = VerificationPassed, "verified"
			r.Status = StatusVerified
		}
		r.Verification = v
		d.note(r, cmpOr(ev.By, deskActor), action, "", "method "+cmpOr(ev.Method, "none"))
		return nil
	})
}

// Extend extends the deadline by months (1 or 2) further months for the
// reason given (Art. 12(3): complex or numerous requests), counted from the
// date of receipt. It is allowed only while the first month runs, on an
// open request, and may raise an earlier extension up to two months; the
// subject must be told of it and of the reason within that month, which
// the trail records as the operator's duty. It returns a
// *privacy.ValidationError for bad arguments and an error wrapping
// ErrTransition when the request may not be extended.
func (d *Desk) Extend(ctx context.Context, id string, months int, reason, by string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if months < 1 || months > MaxExtensionMonths {
		return Request{}, &privacy.ValidationError{Field: "months", Message: fmt.Sprintf("must be 1 or 2 (Art. 12(3)), got %d", months)}
	}
	if strings.TrimSpace(reason) == "" {
		return Request{}, &privacy.ValidationError{Field: "reason", Message: "is required: the subject must be told why"}
	}
	if err := cmp.Or(checkText("reason", reason), checkActor("by", by)); err != nil {
		return Request{}, err
	}
	today := Date(d.now().In(d.loc))
	return d.store.Update(ctx, id, func(r *Request) error {
		if !r.Status.Open() {
			return fmt.Errorf("extend %s: %w: %s", id, ErrTransition, r.Status)
		}
		first := DueDate(r.ReceivedAt.In(d.loc), 0)
		if today.After(first) {
			return fmt.Errorf("extend %s: %w: the first month ended on %s", id, ErrTransition, first.Format(time.DateOnly))
		}
		if r.Extension != nil && r.Extension.Months >= months {
			return fmt.Errorf("extend %s: %w: already extended by %d months", id, ErrTransition, r.Extension.Months)
		}
		r.Extension = &Extension{Months: months, Reason: reason, By: by, At: d.stamp()}
		r.Due = DueDate(r.ReceivedAt.In(d.loc), months)
		d.note(r, cmpOr(by, deskActor), "extended",
			"", fmt.Sprintf("by %d months to %s: %s; inform the subject by %s", months, r.Due.Format(time.DateOnly), reason, first.Format(time.DateOnly)))
		return nil
	})
}

// Instruction is a controller's answer to a forwarded request.
type Instruction struct {
	// By names who at the controller instructed.
	By string
	// Proceed: fulfil the request; otherwise it is rejected.
	Proceed bool
	// Reference is the controller's reference (a ticket, an email).
	Reference string
	Note      string
}

// Instruct records the controller's instruction on a forwarded request
// (Art. 28(3)(a)): to proceed makes it verified (the controller vouches for
// the subject's identity) and ready to Run; to decline rejects it. It
// returns an error wrapping ErrTransition unless the request is forwarded.
func (d *Desk) Instruct(ctx context.Context, id string, in Instruction) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if err := cmp.Or(privacy.CheckID("by", in.By), checkText("reference", in.Reference), checkText("note", in.Note)); err != nil {
		return Request{}, err
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		if r.Status != StatusForwarded {
			return fmt.Errorf("instruct %s: %w: %s", id, ErrTransition, r.Status)
		}
		detail := strings.TrimSpace(fmt.Sprintf("controller %s: %s %s", r.Subject.Controller, in.Reference, in.Note))
		if in.Proceed {
			r.Status = StatusVerified
			r.Verification = Verification{Status: VerificationPassed, Method: "controller_instruction", By: in.By, At: d.stamp(), Note: in.Reference}
			d.note(r, in.By, "instructed", "", "proceed; "+detail)
			return nil
		}
		r.Status, r.ClosedAt = StatusRejected, d.stamp()
		d.note(r, in.By, "rejected", "", "controller declined; "+detail)
		return nil
	})
}

// Reject refuses a request that has not started (received, verified,
// forwarded, or blocked before any source ran), for the reason given. The
// request's Refusal is what the subject is told (Art. 12(4)): the reason,
// and the right to complain to a supervisory authority and to a judicial
// remedy. A
// request in progress has changed data already and must be run to
// completion; it returns ErrTransition. So does the request of a subject
// for whom the operator is a processor (a guest): whether it is honoured
// is the controller's to decide, which the processor assists and follows
// (Art. 28(3)(e)); the controller's decline is Instruct with Proceed
// false.
func (d *Desk) Reject(ctx context.Context, id, reason, by string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if strings.TrimSpace(reason) == "" {
		return Request{}, &privacy.ValidationError{Field: "reason", Message: "is required: the subject must be told why (Art. 12(4))"}
	}
	if err := cmp.Or(checkText("reason", reason), checkActor("by", by)); err != nil {
		return Request{}, err
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		if r.Status.Final() || r.Status == StatusInProgress || (r.Status == StatusBlocked && len(r.Sources) > 0) {
			return fmt.Errorf("reject %s: %w: %s", id, ErrTransition, r.Status)
		}
		if d.processor(r.Subject.Kind) {
			return fmt.Errorf("reject %s: %w: the operator is a processor for a %s: the controller decides whether the request is honoured (Art. 28(3)(e)); record its decline with Instruct",
				id, ErrTransition, r.Subject.Kind)
		}
		r.Status, r.ClosedAt, r.Blocked = StatusRejected, d.stamp(), ""
		r.Refusal = &Refusal{Reason: reason, Remedies: slices.Clone(Remedies)}
		d.note(r, cmpOr(by, deskActor), "rejected", "", reason+"; the subject is told of the right to complain to a supervisory authority and to a judicial remedy (Art. 12(4), 77, 79)")
		return nil
	})
}

// Retire records that a source a request's earlier run used was taken
// out of service for good before it did its part, and that what it held
// no longer exists; note says how (the database destroyed, a ticket). The
// source's outcome becomes OutcomeRetired and the next Run completes the
// request without it; until then a request owed a source this Desk does
// not register stays in progress (Run returns ErrIncomplete). A source
// registered on the Desk is not retired: Run calls it. It returns a
// *privacy.ValidationError for a missing note, a registered source or one
// the request has no outcome of, and an error wrapping ErrTransition for a
// closed request, a source done or retired already, or one a Run may be
// calling (its lease has not passed).
func (d *Desk) Retire(ctx context.Context, id, source, note, by string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if strings.TrimSpace(note) == "" {
		return Request{}, &privacy.ValidationError{Field: "note", Message: "is required: how the source's data ceased to exist"}
	}
	if err := cmp.Or(privacy.CheckID("source", source), checkText("note", note), checkActor("by", by)); err != nil {
		return Request{}, err
	}
	if _, ok := d.sources[source]; ok {
		return Request{}, &privacy.ValidationError{Field: "source", Message: fmt.Sprintf("%q is registered on this desk: Run calls it; only a source taken out of service is retired", source)}
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		if r.Status.Final() {
			return fmt.Errorf("retire %s: %w: %s", id, ErrTransition, r.Status)
		}
		o := r.Outcome(source)
		if o == nil {
			var names []string
			for _, o := range r.Sources {
				names = append(names, o.Source)
			}
			return &privacy.ValidationError{Field: "source", Message: fmt.Sprintf("the request has no outcome of source %q%s", source, privacy.DidYouMean(source, names))}
		}
		now := d.now()
		switch {
		case o.Status.settled():
			return fmt.Errorf("retire %s: %w: source %s is %s", id, ErrTransition, source, o.Status)
		case o.Status == OutcomeRunning && now.Before(o.StartedAt.Add(d.lease)):
			return fmt.Errorf("retire %s: %w: source %s is claimed by a run until %s", id, ErrTransition, source, o.StartedAt.Add(d.lease).UTC().Format(time.RFC3339))
		}
		o.Status, o.Error, o.FinishedAt = OutcomeRetired, "", d.stamp()
		d.note(r, cmpOr(by, deskActor), "source_retired", source, note)
		return nil
	})
}

// Resume returns a blocked request to where it stood (in progress when
// sources have run, verified otherwise) once an operator has removed the
// cause Request.Blocked names; the next Run retries the step that failed.
// note says what was done, for the trail. It returns an error wrapping
// ErrTransition unless the request is blocked.
func (d *Desk) Resume(ctx context.Context, id, note, by string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if strings.TrimSpace(note) == "" {
		return Request{}, &privacy.ValidationError{Field: "note", Message: "is required: what removed the cause"}
	}
	if err := cmp.Or(checkText("note", note), checkActor("by", by)); err != nil {
		return Request{}, err
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		if r.Status != StatusBlocked {
			return fmt.Errorf("resume %s: %w: %s", id, ErrTransition, r.Status)
		}
		r.Status, r.Blocked = StatusVerified, ""
		if len(r.Sources) > 0 {
			r.Status = StatusInProgress
		}
		d.note(r, cmpOr(by, deskActor), "resumed", "", note)
		return nil
	})
}

// halt records that step failed with err and returns the request as
// stored with the error to return. An error that running again cannot cure
// (a *privacy.ValidationError: a store refused what the Desk gave it)
// blocks the request with the reason; any other is noted in the trail and
// the request stays where it is, for the next Run to retry.
func (d *Desk) halt(ctx context.Context, r Request, step string, err error) (Request, error) {
	runErr := fmt.Errorf("run %s: %s: %w", r.ID, step, err)
	block := privacy.ErrorCode(err) == privacy.EINVALID
	cur, rerr := d.store.Update(context.WithoutCancel(ctx), r.ID, func(q *Request) error {
		if q.Status.Final() || q.Status == StatusBlocked {
			return nil
		}
		if block {
			q.Status, q.Blocked = StatusBlocked, step+": "+err.Error()
			d.note(q, deskActor, "blocked", "", q.Blocked+"; remove the cause, then Resume")
			return nil
		}
		d.note(q, deskActor, "step_failed", "", step+": "+err.Error())
		return nil
	})
	if rerr != nil {
		return r, errors.Join(runErr, fmt.Errorf("record the failure: %w", rerr))
	}
	if block {
		return cur, fmt.Errorf("%w: %w", ErrBlocked, runErr)
	}
	return cur, runErr
}

// Run advances the request as far as it can go:
//
//   - a received request of a processor's subject is forwarded to its
//     controller through the Notifier (never fulfilled);
//   - a received request of anyone else returns ErrNotVerified;
//   - a forwarded request returns ErrTransition until the controller
//     instructs;
//   - a verified or in-progress request is fulfilled. Objection,
//     restriction and deactivation write the subject state. Access,
//     portability, rectification and erasure fan out to every registered
//     source that is not done, at most WithConcurrency at once, and record
//     each outcome as it arrives; when every source is done, an erasure
//     pseudonymises the consent evidence, deactivates the subject
//     (restricting it too when something was kept) and clears earlier
//     exports, and the request completes. A rectification, erasure or
//     restriction lists, as it completes, the recipients to tell of it
//     (Request.Notices, Art. 19; see WithDisclosures and Notify).
//
// A Run that leaves sources failed returns the request in progress and an
// error wrapping ErrIncomplete that names them; run it again to retry only
// those. A final request is returned as it is.
func (d *Desk) Run(ctx context.Context, id string) (r Request, err error) {
	if d.err != nil {
		return Request{}, d.err
	}
	// The request's id is random (WithIDs); the subject stays out.
	ctx, span := d.tracer.Start(ctx, "privacy.dsar.run", trace.WithAttributes(attribute.String("privacy.dsar.request", id)))
	defer func() {
		if r.ID != "" {
			span.SetAttributes(attribute.String("privacy.dsar.kind", string(r.Kind)), attribute.String("privacy.dsar.status", string(r.Status)))
		}
		endSpan(span, err)
	}()
	return d.run(ctx, id)
}

func (d *Desk) run(ctx context.Context, id string) (Request, error) {
	r, err := d.store.Request(ctx, id)
	if err != nil {
		return Request{}, err
	}
	switch {
	case r.Status.Final():
		return r, nil
	case r.Kind == KindOffboarding:
		return r, fmt.Errorf("run %s: %w: an offboarding runs in Desk.Offboard; offboard the controller again to finish it", id, ErrTransition)
	}
	switch r.Status {
	case StatusBlocked:
		return r, fmt.Errorf("run %s: %w: %s", id, ErrBlocked, r.Blocked)
	case StatusForwarded:
		return r, fmt.Errorf("run %s: %w: forwarded to %s, awaiting its instruction", id, ErrTransition, r.Subject.Controller)
	case StatusReceived:
		if d.processor(r.Subject.Kind) {
			return d.forward(ctx, r)
		}
		return r, fmt.Errorf("run %s: %w", id, ErrNotVerified)
	}
	if !r.Kind.fansOut() {
		return d.writeState(ctx, r)
	}
	if len(d.sources) == 0 {
		// Answering "we hold nothing" because no service is plugged in
		// would be false.
		return r, fmt.Errorf("run %s: %w: the %s request runs over the services' data: run it where the services register their sources (WithSource)", id, ErrNoSource, r.Kind)
	}
	if r.Kind == KindErasure {
		if err := d.needHolds(); err != nil {
			return r, fmt.Errorf("run %s: %w", id, err)
		}
	}
	return d.fanOut(ctx, r)
}

func (d *Desk) forward(ctx context.Context, r Request) (_ Request, err error) {
	ctx, span := d.step(ctx, "privacy.dsar.forward")
	defer func() { endSpan(span, err) }()
	if d.notifier == nil {
		return r, fmt.Errorf("forward %s to %s: no notifier configured", r.ID, r.Subject.Controller)
	}
	if err := d.notifier.Forward(ctx, r); err != nil {
		return r, fmt.Errorf("forward %s to %s: %w", r.ID, r.Subject.Controller, err)
	}
	return d.store.Update(ctx, r.ID, func(r *Request) error {
		if r.Status != StatusReceived {
			return nil // forwarded by a concurrent Run
		}
		r.Status = StatusForwarded
		d.note(r, deskActor, "forwarded", "", fmt.Sprintf("to controller %s: the operator is its processor (Art. 28(3)(e)) and acts only on its instruction", r.Subject.Controller))
		return nil
	})
}

// writeState fulfils the requests that the subject state answers.
func (d *Desk) writeState(ctx context.Context, r Request) (Request, error) {
	at := d.stamp()
	var detail string
	sctx, span := d.step(ctx, "privacy.dsar.state")
	err := d.states.Update(sctx, r.Subject.ID, func(st *subject.State) error {
		switch r.Kind {
		case KindObjection:
			if r.DirectMarketing {
				st.Object(subject.Objection{DirectMarketing: true, At: at})
			}
			for _, p := range r.Purposes {
				st.Object(subject.Objection{Purpose: p, At: at})
			}
			detail = fmt.Sprintf("objection to %s", strings.Join(objectionList(r), ", "))
		case KindRestriction:
			st.Restricted = true
			detail = "processing restricted to storage and legal purposes (Art. 18(2))"
		case KindDeactivation:
			st.Deactivated = true
			detail = "account deactivated; only legal purposes remain"
		}
		return nil
	})
	endSpan(span, err)
	if err != nil {
		return d.halt(ctx, r, "write subject state", err)
	}
	notices, listed, err := d.listNotices(ctx, &r)
	if err != nil {
		return d.halt(ctx, r, "list recipients", err)
	}
	return d.store.Update(ctx, r.ID, func(r *Request) error {
		if r.Status.Final() {
			return nil
		}
		d.note(r, deskActor, "state_written", "", detail)
		if listed != nil {
			r.Notices = notices
			d.note(r, deskActor, listed.Action, "", listed.Detail)
		}
		if r.Kind == KindObjection {
			if why := d.objectionWithoutEffect(r); why != "" {
				r.Refusal = &Refusal{Reason: why, Remedies: slices.Clone(Remedies)}
				d.note(r, deskActor, "objection_without_effect", "", why+"; the subject is told why and of the remedies (Art. 12(4))")
			}
		}
		d.complete(r)
		return nil
	})
}

// objectionWithoutEffect says, for an objection naming purposes that the
// catalog processes for the subject's kind on no basis an objection
// reaches (public task or legitimate interests, Art. 21(1); consent, which
// an objection withdraws, Art. 7(3)) and that are not direct marketing
// (Art. 21(2)), that the objection to them is recorded and processing
// goes on, and why; "" when every purpose named is reached. The subject
// is to be told (Art. 12(4)): a recorded objection that changes nothing
// would otherwise look honoured.
func (d *Desk) objectionWithoutEffect(r *Request) string {
	var parts []string
	for _, key := range r.Purposes {
		p := d.catalog.Purpose(key)
		if p == nil || p.DirectMarketing {
			continue
		}
		bases := p.BasesFor(r.Subject.Kind)
		if slices.ContainsFunc(bases, func(b lawfulbasis.Basis) bool { return b == lawfulbasis.Consent || b.Objectionable() }) {
			continue
		}
		var names []string
		for _, b := range bases {
			names = append(names, string(b))
		}
		parts = append(parts, fmt.Sprintf("%s (on %s)", key, strings.Join(names, ", ")))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("the objection to %s is recorded, but the right to object (GDPR Art. 21(1)) covers only processing on public task or legitimate interests: processing for it goes on", strings.Join(parts, "; "))
}

func objectionList(r Request) []string {
	var out []string
	if r.DirectMarketing {
		out = append(out, "all direct marketing")
	}
	return append(out, r.Purposes...)
}

func (d *Desk) complete(r *Request) {
	r.Status, r.ClosedAt = StatusCompleted, d.stamp()
	d.note(r, deskActor, "completed", "", "")
}

// scope returns the leaf categories the request covers.
func (d *Desk) scope(r *Request) []string {
	var out []string
	if len(r.Categories) == 0 {
		for _, c := range d.catalog.Categories {
			if c.Subject == r.Subject.Kind {
				out = append(out, c.Key)
			}
		}
	}
	for _, k := range r.Categories {
		out = append(out, d.catalog.Leaves(k)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (d *Desk) sourceNames() []string {
	names := make([]string, 0, len(d.sources))
	for n := range d.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (d *Desk) fanOut(ctx context.Context, r Request) (Request, error) {
	// An erasure asks what the law keeps when it starts, and keeps the
	// answer with the request; each source call asks again (callHeld), so
	// that a hold placed since keeps its categories too.
	var held []Exemption
	if r.Kind == KindErasure && r.Status == StatusVerified {
		hctx, span := d.step(ctx, "privacy.dsar.holds")
		var err error
		held, err = d.holds.Held(hctx, r.Subject, d.scope(&r), d.now())
		span.SetAttributes(attribute.Int("privacy.dsar.exemptions", len(held)))
		endSpan(span, err)
		if err != nil {
			return d.halt(ctx, r, "holds", err)
		}
	}
	now := d.stamp()
	var claimed []string
	cur, err := d.store.Update(ctx, r.ID, func(r *Request) error {
		claimed = claimed[:0]
		if r.Status.Final() {
			return nil
		}
		if r.Status == StatusVerified {
			r.Status = StatusInProgress
			d.note(r, deskActor, "started", "", fmt.Sprintf("fan out to %d sources", len(d.sources)))
			if r.Kind == KindErasure {
				// Candidates until the sources say what they hold; finish
				// keeps those that apply.
				r.Exemptions = held
			}
		}
		for _, name := range d.sourceNames() {
			if r.Outcome(name) == nil {
				r.Sources = append(r.Sources, Outcome{Source: name, Status: OutcomePending})
			}
		}
		slices.SortFunc(r.Sources, func(a, b Outcome) int { return strings.Compare(a.Source, b.Source) })
		for i := range r.Sources {
			o := &r.Sources[i]
			if _, ok := d.sources[o.Source]; !ok {
				continue
			}
			stale := o.Status == OutcomeRunning && !now.Before(o.StartedAt.Add(d.lease))
			if o.Status == OutcomePending || o.Status == OutcomeFailed || stale {
				o.Status, o.StartedAt, o.FinishedAt = OutcomeRunning, now, time.Time{}
				o.Attempts++
				claimed = append(claimed, o.Source)
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("run %s: %w", r.ID, err)
	}
	if r = cur; r.Status.Final() {
		return r, nil
	}

	// Outcomes are recorded even when ctx is cancelled, so that a cancelled
	// run does not leave its sources claimed until the lease passes.
	recordCtx := context.WithoutCancel(ctx)
	sem := make(chan struct{}, d.concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, name := range claimed {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			o, held := d.callHeld(ctx, r, name)
			_, err := d.store.Update(recordCtx, r.ID, func(r *Request) error {
				cur := r.Outcome(name)
				if cur == nil || cur.Status != OutcomeRunning || cur.Attempts != o.Attempts {
					return nil // reclaimed by another run after our lease passed
				}
				*cur = o
				r.Exemptions = mergeExemptions(r.Exemptions, held)
				if o.Status == OutcomeDone {
					d.note(r, deskActor, "source_done", name, doneDetail(r.Kind, o))
				} else {
					d.note(r, deskActor, "source_failed", name, o.Error)
				}
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("record outcome of %s: %w", name, err))
			}
			if o.Status == OutcomeFailed {
				d.log.WarnContext(ctx, "dsar source failed", "request", r.ID, "source", name, "error", o.Error)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return r, fmt.Errorf("run %s: %w", r.ID, errors.Join(errs...))
	}

	if cur, err = d.store.Request(ctx, r.ID); err != nil {
		return r, fmt.Errorf("run %s: %w", r.ID, err)
	}
	r = cur
	var notDone []string
	for _, name := range d.sourceNames() {
		if o := r.Outcome(name); o == nil || !o.Status.settled() {
			msg := name
			if o != nil && o.Error != "" {
				msg += ": " + o.Error
			} else if o != nil {
				msg += ": " + string(o.Status)
			}
			notDone = append(notDone, msg)
		}
	}
	// A source an earlier run fanned out to and that is not done is still
	// owed its part, though this Desk does not register it (a restart
	// without it, a renamed source): completing would say the request was
	// answered when that source's data was never exported, erased or
	// corrected.
	for _, o := range r.Sources {
		if _, ok := d.sources[o.Source]; !ok && !o.Status.settled() {
			notDone = append(notDone, fmt.Sprintf("%s: %s and not registered on this desk (WithSource; Retire it if it was taken out of service)", o.Source, o.Status))
		}
	}
	if len(notDone) > 0 {
		return r, fmt.Errorf("run %s: %w: %s", r.ID, ErrIncomplete, strings.Join(notDone, "; "))
	}
	return d.finish(ctx, r)
}

// callHeld calls the source as call does. For an erasure it first asks
// the holds again, right before the source erases: a hold placed since the
// request started (while a source was down, after a crash, or while
// another source erased) keeps its categories from every source that has
// not erased yet. It returns the exemptions the source was called with.
func (d *Desk) callHeld(ctx context.Context, r Request, name string) (o Outcome, held []Exemption) {
	defer func() {
		// A source (or the holds) that panics fails its outcome, to be
		// retried, instead of taking the process down from Run's
		// goroutine. The panic's value is left out: it may hold the
		// subject's data.
		if p := recover(); p != nil {
			o = *r.Outcome(name)
			o.Status, o.Error, o.FinishedAt = OutcomeFailed, fmt.Sprintf("the source panicked (%T)", p), d.stamp()
			o.Records, o.Erased, o.Kept, o.Rectified = nil, nil, nil, 0
			held = nil
		}
	}()
	if r.Kind != KindErasure {
		return d.call(ctx, r, name), nil
	}
	more, err := d.holds.Held(ctx, r.Subject, d.scope(&r), d.now())
	if err != nil {
		o := *r.Outcome(name)
		o.Status, o.Error, o.FinishedAt = OutcomeFailed, "ask the holds: "+err.Error(), d.stamp()
		return o, nil
	}
	r.Exemptions = mergeExemptions(r.Exemptions, more)
	return d.call(ctx, r, name), r.Exemptions
}

// mergeExemptions returns have with the exemptions of more whose category
// it does not hold yet appended. An exemption, once recorded, stays: a
// source may have kept data under it.
func mergeExemptions(have, more []Exemption) []Exemption {
	out := slices.Clip(have)
	for _, e := range more {
		if !slices.ContainsFunc(out, func(h Exemption) bool { return h.Category == e.Category }) {
			out = append(out, e)
		}
	}
	return out
}

// call runs one source's step and returns its outcome, in a span that
// names the source and counts what it did.
func (d *Desk) call(ctx context.Context, r Request, name string) (o Outcome) {
	ctx, span := d.step(ctx, "privacy.dsar.source", attribute.String("privacy.dsar.source", name))
	defer func() {
		span.SetAttributes(attribute.Int("privacy.dsar.attempt", o.Attempts), attribute.String("privacy.dsar.outcome", string(o.Status)))
		switch r.Kind {
		case KindAccess, KindPortability:
			span.SetAttributes(attribute.Int("privacy.dsar.records", len(o.Records)))
		case KindErasure:
			n := 0
			for _, e := range o.Erased {
				n += e.Count
			}
			span.SetAttributes(attribute.Int("privacy.dsar.erased", n), attribute.Int("privacy.dsar.kept_categories", len(o.Kept)))
		case KindRectification:
			span.SetAttributes(attribute.Int("privacy.dsar.rectified", o.Rectified))
		}
		if o.Status == OutcomeFailed {
			span.SetStatus(codes.Error, "source failed")
		}
		span.End()
	}()
	o = *r.Outcome(name)
	src := d.sources[name]
	var err error
	switch r.Kind {
	case KindAccess, KindPortability:
		var recs []Record
		recs, err = src.Export(ctx, r.Subject)
		o.Records = d.keep(&r, recs)
	case KindErasure:
		// Ask first what the source holds in the held categories, so that
		// the request reports the exemptions that apply to this subject.
		var recs []Record
		if recs, err = src.Export(ctx, r.Subject); err == nil {
			o.Kept = keptCategories(&r, recs)
			o.Erased, err = src.Erase(ctx, r.Subject, d.erasable(&r))
		}
	case KindRectification:
		o.Rectified, err = src.Rectify(ctx, r.Subject, r.Corrections)
	}
	o.FinishedAt = d.stamp()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		o.Status, o.Error = OutcomeFailed, err.Error()
		o.Records, o.Erased, o.Kept, o.Rectified = nil, nil, nil, 0
		return o
	}
	o.Status, o.Error = OutcomeDone, ""
	return o
}

// keep filters exported records to the request's scope; for portability,
// to the data processed on consent or contract (Art. 20(1)(a)).
func (d *Desk) keep(r *Request, recs []Record) []Record {
	if len(r.Categories) == 0 && r.Kind != KindPortability {
		return recs
	}
	scope := d.scope(r)
	var out []Record
	for _, rec := range recs {
		if len(r.Categories) > 0 && !slices.Contains(scope, rec.Category) {
			continue
		}
		if r.Kind == KindPortability && !d.portable(r.Subject.Kind, rec.Category) {
			continue
		}
		out = append(out, rec)
	}
	return out
}

func (d *Desk) portable(kind privacy.SubjectKind, category string) bool {
	for _, p := range d.usedBy(kind, category) {
		for _, b := range p.BasesFor(kind) {
			if b == lawfulbasis.Consent || b == lawfulbasis.Contract {
				return true
			}
		}
	}
	return false
}

// usedBy returns the purposes that apply to the subject kind and may use the
// category.
func (d *Desk) usedBy(kind privacy.SubjectKind, category string) []*privacy.Purpose {
	var out []*privacy.Purpose
	for i := range d.catalog.Purposes {
		p := &d.catalog.Purposes[i]
		if !slices.Contains(p.Subjects, kind) {
			continue
		}
		if slices.ContainsFunc(p.Categories, func(k string) bool {
			return slices.Contains(d.catalog.Leaves(k), category)
		}) {
			out = append(out, p)
		}
	}
	return out
}

// erasable returns the categories an erasure erases: its scope less what
// is held.
func (d *Desk) erasable(r *Request) []string {
	return slices.DeleteFunc(d.scope(r), func(k string) bool {
		return slices.ContainsFunc(r.Exemptions, func(e Exemption) bool { return e.Category == k })
	})
}

// keptCategories returns the held categories among recs, sorted.
func keptCategories(r *Request, recs []Record) []string {
	var out []string
	for _, rec := range recs {
		if slices.ContainsFunc(r.Exemptions, func(e Exemption) bool { return e.Category == rec.Category }) {
			out = append(out, rec.Category)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func doneDetail(k Kind, o Outcome) string {
	switch k {
	case KindAccess, KindPortability:
		return fmt.Sprintf("%d records exported", len(o.Records))
	case KindErasure:
		n := 0
		for _, e := range o.Erased {
			n += e.Count
		}
		return fmt.Sprintf("%d records erased in %d categories", n, len(o.Erased))
	case KindRectification:
		return fmt.Sprintf("%d records corrected", o.Rectified)
	}
	return ""
}

// finish runs the steps after every source is done, each idempotent, and
// completes the request.
func (d *Desk) finish(ctx context.Context, r Request) (Request, error) {
	var notes []Entry
	var exemptions []Exemption
	if r.Kind == KindErasure {
		kept := map[string]bool{}
		for _, o := range r.Sources {
			for _, c := range o.Kept {
				kept[c] = true
			}
		}
		for _, e := range r.Exemptions {
			if kept[e.Category] {
				exemptions = append(exemptions, e)
				notes = append(notes, Entry{Action: "exempted", Detail: fmt.Sprintf("%s kept and restricted under %s: %s", e.Category, e.Ground.Article(), e.Reason)})
			}
		}
		if d.consent != nil {
			pctx, span := d.step(ctx, "privacy.dsar.pseudonymise")
			n, err := d.consent.Pseudonymise(pctx, r.Subject.ID)
			span.SetAttributes(attribute.Int64("privacy.dsar.consent_records", n))
			endSpan(span, err)
			if err != nil {
				return d.halt(ctx, r, "pseudonymise consent evidence", err)
			}
			notes = append(notes, Entry{Action: "consent_pseudonymised", Detail: fmt.Sprintf("%d consent records kept as evidence (Art. 7(1), 17(3)(e)) under a pseudonym", n)})
		}
		restrict := len(exemptions) > 0
		sctx, span := d.step(ctx, "privacy.dsar.state")
		err := d.states.Update(sctx, r.Subject.ID, func(st *subject.State) error {
			st.Deactivated = true
			st.Restricted = st.Restricted || restrict
			return nil
		})
		endSpan(span, err)
		if err != nil {
			return d.halt(ctx, r, "write subject state", err)
		}
		detail := "subject deactivated; only legal purposes remain"
		if restrict {
			detail = "subject deactivated and restricted: kept categories serve only their legal purpose"
		}
		notes = append(notes, Entry{Action: "state_written", Detail: detail})
		cctx, span := d.step(ctx, "privacy.dsar.clear_exports")
		n, err := d.clearExports(cctx, r)
		span.SetAttributes(attribute.Int("privacy.dsar.requests_cleared", n))
		endSpan(span, err)
		if err != nil {
			return d.halt(ctx, r, "clear earlier exports", err)
		}
		if n > 0 {
			notes = append(notes, Entry{Action: "exports_cleared", Detail: fmt.Sprintf("records cleared from %d earlier access or portability requests", n)})
		}
	}
	notices, listed, err := d.listNotices(ctx, &r)
	if err != nil {
		return d.halt(ctx, r, "list recipients", err)
	}
	if listed != nil {
		notes = append(notes, *listed)
	}
	disclosed, listed, err := d.disclosed(ctx, &r)
	if err != nil {
		return d.halt(ctx, r, "read the disclosure log", err)
	}
	if listed != nil {
		notes = append(notes, *listed)
	}
	return d.store.Update(ctx, r.ID, func(r *Request) error {
		if r.Status.Final() {
			return nil
		}
		if r.Kind == KindErasure {
			r.Exemptions = exemptions
		}
		r.Notices = notices
		r.Disclosed = disclosed
		for _, e := range notes {
			d.note(r, deskActor, e.Action, "", e.Detail)
		}
		d.complete(r)
		return nil
	})
}

// clearExports removes the copies of the subject's data held in earlier
// access and portability requests, keeping their trails.
func (d *Desk) clearExports(ctx context.Context, erasure Request) (int, error) {
	reqs, err := d.store.List(ctx, Filter{SubjectID: erasure.Subject.ID})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, q := range reqs {
		if q.ID == erasure.ID || (q.Kind != KindAccess && q.Kind != KindPortability) {
			continue
		}
		if !slices.ContainsFunc(q.Sources, func(o Outcome) bool { return len(o.Records) > 0 }) {
			continue
		}
		if _, err := d.store.Update(ctx, q.ID, func(q *Request) error {
			for i := range q.Sources {
				q.Sources[i].Records = nil
			}
			d.note(q, deskActor, "exports_cleared", "", "exported records cleared by erasure request "+erasure.ID)
			return nil
		}); err != nil {
			return n, fmt.Errorf("request %s: %w", q.ID, err)
		}
		n++
	}
	return n, nil
}
