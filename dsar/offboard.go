package dsar

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/privacykit/privacy"
)

// ControllerSource is a Source that can act on all the data it holds on
// behalf of one controller at once, for the end of that controller's
// contract (Desk.Offboard, Art. 28(3)(g)). sqlsource.Source is one.
type ControllerSource interface {
	Source
	// ExportController returns every record the source holds about
	// subjects of the kind on behalf of the controller.
	ExportController(ctx context.Context, kind privacy.SubjectKind, controller string) ([]Record, error)
	// ControllerSubjects returns the ids of the subjects of the kind the
	// source holds data about on behalf of the controller, each once: the
	// Desk asks the holds about each of them before it erases.
	ControllerSubjects(ctx context.Context, kind privacy.SubjectKind, controller string) ([]string, error)
	// EraseController erases those records in the given leaf categories
	// and leaves every other category alone, as Source.Erase does; it
	// leaves alone, too, every record of the subjects in except (ids as
	// ControllerSubjects returns them), whose data a hold keeps in part:
	// the Desk erases the rest of theirs with Erase, subject by subject.
	EraseController(ctx context.Context, kind privacy.SubjectKind, controller string, categories, except []string) ([]Erased, error)
}

// Offboarding is a customer's choice, when its contract ends, about the
// personal data the operator processed on its behalf (Art. 28(3)(g)):
// returned to it and then deleted, or deleted.
type Offboarding struct {
	// Controller is the customer: the controller of the data.
	Controller string
	// Kind is the subject kind whose data the operator processes for
	// controllers (the reference catalog's guest).
	Kind privacy.SubjectKind
	// Return: the customer chose to have the data returned before it is
	// deleted; otherwise it is deleted.
	Return bool
	// By is who acts on the customer's choice; Reference names the
	// customer's instruction (the termination notice, a ticket).
	By        string
	Reference string
}

// Offboard carries out a customer's choice at the end of its contract
// (Art. 28(3)(g)) over every registered source, and keeps the audit record
// as a request of kind offboarding: with Return, each source's records
// of the customer's data are exported into the request (its Outcomes) for
// handing over, then erased; otherwise erased. What the law keeps (the
// Desk's Holds, Art. 28(3)(g) "unless Union or Member State law requires
// storage") is kept and reported as exemptions: the categories the holds
// keep for the whole of the customer's data, and, for each subject the
// source holds data about (ControllerSubjects), the categories a hold
// keeps for that subject (a legal hold on one guest), whose other data is
// erased subject by subject (Source.Erase); the exemption counts the
// subjects it keeps data of (Exemption.Subjects) and names the hold, never
// a subject. The holds are asked right before each source erases, as an
// erasure asks them, so a hold placed while the offboarding runs keeps
// its data. Every source must be a ControllerSource.
//
// The customer's instruction is its verification; nothing is forwarded.
// A source that fails leaves the request in progress with the failure in
// its trail and returns an error wrapping ErrIncomplete; erasure is
// idempotent, so offboarding again finishes the job in a new request.
// Once the returned data is handed over, Returned deletes the copy the
// request holds. A controller for which no source lists a subject and
// that was never offboarded is ErrNoControllerData (a mistyped id), and
// nothing is recorded.
func (d *Desk) Offboard(ctx context.Context, o Offboarding) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if err := d.needHolds(); err != nil {
		return Request{}, err
	}
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if err := privacy.CheckID("controller", o.Controller); err != nil {
		return Request{}, err
	}
	if err := privacy.CheckID("by", o.By); err != nil {
		return Request{}, err
	}
	if !d.processor(o.Kind) {
		var kinds []string
		for _, sk := range d.catalog.SubjectKinds {
			if sk.Role == privacy.RoleProcessor {
				kinds = append(kinds, string(sk.Kind))
			}
		}
		return Request{}, bad("kind", "%q is not a subject kind the operator processes for controllers (the catalog's: %v)", o.Kind, kinds)
	}
	names := d.sourceNames()
	if len(names) == 0 {
		return Request{}, fmt.Errorf("offboard %s: %w (WithSource): the customer's data is in the services' sources", o.Controller, ErrNoSource)
	}
	for _, n := range names {
		if _, ok := d.sources[n].(ControllerSource); !ok {
			return Request{}, fmt.Errorf("offboard %s: source %s cannot act on a controller's data at once (dsar.ControllerSource)", o.Controller, n)
		}
	}
	if err := d.holdsControllerData(ctx, names, o); err != nil {
		return Request{}, err
	}
	var scope []string
	for _, c := range d.catalog.Categories {
		if c.Subject == o.Kind {
			scope = append(scope, c.Key)
		}
	}
	slices.Sort(scope)
	sub := privacy.Subject{ID: o.Controller, Kind: o.Kind, Controller: o.Controller}
	held, err := d.holds.Held(ctx, sub, scope, d.now())
	if err != nil {
		return Request{}, fmt.Errorf("offboard %s: holds: %w", o.Controller, err)
	}

	now := d.stamp()
	choice := "delete"
	if o.Return {
		choice = "return, then delete"
	}
	r := Request{ID: d.newID(), Kind: KindOffboarding, Subject: sub, RequestedBy: o.Controller, Channel: "contract_end",
		ReceivedAt: now, Due: DueDate(now.In(d.loc), 0), Status: StatusInProgress, Return: o.Return, Note: o.Reference,
		Verification: Verification{Status: VerificationPassed, Method: "controller_instruction", By: o.By, At: now, Note: o.Reference},
		Exemptions:   held}
	if err := privacy.CheckID("id", r.ID); err != nil {
		return Request{}, fmt.Errorf("offboard %s: the id WithIDs gave: %w", o.Controller, err)
	}
	d.note(&r, o.Controller, "opened", "", fmt.Sprintf("contract ended: the controller's %s data to %s (%s)", o.Kind, choice, KindOffboarding.Article()))
	d.note(&r, o.By, "started", "", fmt.Sprintf("offboarding over %d sources", len(names)))
	var failed []string
	kept := subjectExemptions{}
	for _, n := range names {
		src := d.sources[n].(ControllerSource)
		out := Outcome{Source: n, Status: OutcomeDone, Attempts: 1, StartedAt: d.stamp()}
		var err error
		if o.Return {
			var recs []Record
			if recs, err = src.ExportController(ctx, o.Kind, o.Controller); err == nil {
				out.Records = d.keep(&r, recs)
			}
		}
		if err == nil {
			held, out.Erased, err = d.offboardSource(ctx, src, sub, scope, held, kept)
		}
		out.FinishedAt = d.stamp()
		if err != nil {
			out.Status, out.Error, out.Records = OutcomeFailed, err.Error(), nil
			failed = append(failed, n+": "+err.Error())
			d.note(&r, deskActor, "source_failed", n, out.Error)
		} else {
			d.note(&r, deskActor, "source_done", n, offboardDetail(o.Return, out))
		}
		r.Sources = append(r.Sources, out)
	}
	r.Exemptions = slices.Concat(held, kept.list())
	if len(failed) == 0 {
		for _, e := range r.Exemptions {
			whose := ""
			if e.Subjects > 0 {
				whose = " of " + plural(e.Subjects, "subject")
			}
			d.note(&r, deskActor, "exempted", "", fmt.Sprintf("%s%s kept under %s: %s", e.Category, whose, e.Ground.Article(), e.Reason))
		}
		d.complete(&r)
	}
	if err := d.store.Create(ctx, r); err != nil {
		return Request{}, fmt.Errorf("offboard %s: record: %w", o.Controller, err)
	}
	if len(failed) > 0 {
		return r, fmt.Errorf("offboard %s: %w: %s", o.Controller, ErrIncomplete, strings.Join(failed, "; "))
	}
	return r, nil
}

// holdsControllerData returns ErrNoControllerData when no source lists
// a subject of the kind for the controller and no earlier offboarding of
// it is on record: a mistyped customer id would otherwise record an
// offboarding completed having returned and deleted nothing, and the
// customer's data would stay. Offboarding a controller again (its data is
// gone) records that nothing was left. A source that fails to answer may
// hold data: the offboarding goes on and records its failure.
func (d *Desk) holdsControllerData(ctx context.Context, names []string, o Offboarding) error {
	for _, n := range names {
		ids, err := d.sources[n].(ControllerSource).ControllerSubjects(ctx, o.Kind, o.Controller)
		if err != nil || slices.ContainsFunc(ids, func(id string) bool { return strings.TrimSpace(id) != "" }) {
			return nil
		}
	}
	earlier, err := d.store.List(ctx, Filter{SubjectID: o.Controller})
	if err != nil {
		return fmt.Errorf("offboard %s: read earlier offboardings: %w", o.Controller, err)
	}
	if slices.ContainsFunc(earlier, func(r Request) bool { return r.Kind == KindOffboarding && r.Subject.Controller == o.Controller }) {
		return nil
	}
	return fmt.Errorf("offboard %s: %w: none of the %d sources lists a %s subject of it, and it was never offboarded; check the controller's id", o.Controller, ErrNoControllerData, len(names), o.Kind)
}

// offboardSource erases what one source holds for the controller of sub
// (an offboarding), keeping what the holds keep. Right before it erases,
// as an erasure does (callHeld), it asks the holds again: first for the
// whole of the controller's data (held grows by what they keep now), then
// for each subject the source holds data about, in the categories still
// to erase. A subject a hold keeps data of is left out of the erasure of
// the controller's data, and the rest of theirs is erased on its own;
// kept records why. It returns held and what was erased, summed per
// category and method.
func (d *Desk) offboardSource(ctx context.Context, src ControllerSource, sub privacy.Subject, scope []string, held []Exemption, kept subjectExemptions) ([]Exemption, []Erased, error) {
	now := d.now()
	more, err := d.holds.Held(ctx, sub, scope, now)
	if err != nil {
		return held, nil, fmt.Errorf("ask the holds: %w", err)
	}
	held = mergeExemptions(held, more)
	rest := unheld(scope, held)
	if len(rest) == 0 {
		return held, nil, nil
	}
	ids, err := src.ControllerSubjects(ctx, sub.Kind, sub.Controller)
	if err != nil {
		return held, nil, fmt.Errorf("list the controller's subjects: %w", err)
	}
	type subjectHeld struct {
		subject privacy.Subject
		erase   []string
	}
	var each []subjectHeld
	var except []string
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			continue
		}
		s := privacy.Subject{ID: id, Kind: sub.Kind, Controller: sub.Controller}
		theirs, err := d.holds.Held(ctx, s, rest, now)
		if err != nil {
			// The message names no subject (the holds report errors of their
			// stores, not about subjects).
			return held, nil, fmt.Errorf("ask the holds about a subject of the controller: %w", err)
		}
		if len(theirs) == 0 {
			continue
		}
		kept.add(id, theirs)
		except = append(except, id)
		each = append(each, subjectHeld{s, unheld(rest, theirs)})
	}
	var erased []Erased
	for _, e := range each {
		if len(e.erase) == 0 {
			continue
		}
		got, err := src.Erase(ctx, e.subject, e.erase)
		if err != nil {
			return held, nil, fmt.Errorf("erase the data no hold keeps of a subject under a hold: %w", err)
		}
		erased = addErased(erased, got)
	}
	got, err := src.EraseController(ctx, sub.Kind, sub.Controller, rest, except)
	if err != nil {
		return held, nil, err
	}
	return held, addErased(erased, got), nil
}

// addErased adds more to have, summing the counts of a category erased
// the same way.
func addErased(have, more []Erased) []Erased {
	for _, m := range more {
		i := slices.IndexFunc(have, func(h Erased) bool { return h.Category == m.Category && h.Method == m.Method })
		if i < 0 {
			have = append(have, m)
			continue
		}
		have[i].Count += m.Count
	}
	slices.SortFunc(have, func(a, b Erased) int {
		return strings.Compare(a.Category+"\x00"+string(a.Method), b.Category+"\x00"+string(b.Method))
	})
	return have
}

// subjectExemptions gathers what holds keep for single subjects of an
// offboarding: per exemption (category, ground, reason, end), the
// subjects it keeps data of. Subject ids stay here; the request records
// their number.
type subjectExemptions map[Exemption]map[string]bool

func (k subjectExemptions) add(id string, list []Exemption) {
	for _, e := range list {
		e.Subjects = 0
		if k[e] == nil {
			k[e] = map[string]bool{}
		}
		k[e][id] = true
	}
}

// list returns the exemptions with their number of subjects, sorted by
// category and reason.
func (k subjectExemptions) list() []Exemption {
	var out []Exemption
	for e, ids := range k {
		e.Subjects = len(ids)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Exemption) int {
		if c := strings.Compare(a.Category+"\x00"+a.Reason+"\x00"+string(a.Ground), b.Category+"\x00"+b.Reason+"\x00"+string(b.Ground)); c != 0 {
			return c
		}
		return a.Until.Compare(b.Until)
	})
	return out
}

// unheld returns the categories of scope that no exemption of held keeps.
func unheld(scope []string, held []Exemption) []string {
	return slices.DeleteFunc(slices.Clone(scope), func(c string) bool {
		return slices.ContainsFunc(held, func(e Exemption) bool { return e.Category == c })
	})
}

func offboardDetail(returned bool, o Outcome) string {
	n := 0
	for _, e := range o.Erased {
		n += e.Count
	}
	if returned {
		return fmt.Sprintf("%d records exported for return, %d erased", len(o.Records), n)
	}
	return fmt.Sprintf("%d records erased", n)
}

// Returned records that the data an offboarding exported was handed over
// to the customer, by by, and deletes the copy the request held (Art.
// 28(3)(g): "deletes existing copies"); the trail keeps the counts. It
// returns an error wrapping ErrTransition unless the request is a
// completed offboarding with data still to hand over.
func (d *Desk) Returned(ctx context.Context, id, by string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if err := privacy.CheckID("by", by); err != nil {
		return Request{}, err
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		n := 0
		for _, o := range r.Sources {
			n += len(o.Records)
		}
		if r.Kind != KindOffboarding || r.Status != StatusCompleted || !r.Return || n == 0 {
			return fmt.Errorf("returned %s: %w: not a completed offboarding with data to hand over", id, ErrTransition)
		}
		for i := range r.Sources {
			r.Sources[i].Records = nil
		}
		d.note(r, by, "returned", "", fmt.Sprintf("%d records handed over to controller %s; the copy held for the return is deleted", n, r.Subject.Controller))
		return nil
	})
}
