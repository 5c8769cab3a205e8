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
	// ExportController returns every record the source holds about
	// subjects of the kind on behalf of the controller.
	ExportController(ctx context.Context, kind privacy.SubjectKind, controller string) ([]Record, error)
	// EraseController erases those records in the given leaf categories
	// and leaves every other category alone, as Source.Erase does.
	EraseController(ctx context.Context, kind privacy.SubjectKind, controller string, categories []string) ([]Erased, error)
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
// handing over, then erased; otherwise erased. Categories the law keeps
// (the Desk's Holds, Art. 28(3)(g) "unless Union or Member State law
// requires storage") are kept and reported as exemptions. Every source
// must be a ControllerSource.
//
// The customer's instruction is its verification; nothing is forwarded.
// A source that fails leaves the request in progress with the failure in
// its trail and returns an error wrapping ErrIncomplete; erasure is
// idempotent, so offboarding again finishes the job in a new request.
// Once the returned data is handed over, Returned deletes the copy the
// request holds.
func (d *Desk) Offboard(ctx context.Context, o Offboarding) (Request, error) {
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
		return Request{}, fmt.Errorf("offboard %s: no source is registered (WithSource): the customer's data is in the services' sources", o.Controller)
	}
	for _, n := range names {
		if _, ok := d.sources[n].(ControllerSource); !ok {
			return Request{}, fmt.Errorf("offboard %s: source %s cannot act on a controller's data at once (dsar.ControllerSource)", o.Controller, n)
		}
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
			// Ask the holds again right before this source erases, as an
			// erasure does (callHeld): a hold placed since the offboarding
			// started, or while another source erased, keeps its categories.
			var more []Exemption
			if more, err = d.holds.Held(ctx, sub, scope, d.now()); err == nil {
				held = mergeExemptions(held, more)
				if erase := unheld(scope, held); len(erase) > 0 {
					out.Erased, err = src.EraseController(ctx, o.Kind, o.Controller, erase)
				}
			} else {
				err = fmt.Errorf("ask the holds: %w", err)
			}
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
	r.Exemptions = held
	if len(failed) == 0 {
		for _, e := range held {
			d.note(&r, deskActor, "exempted", "", fmt.Sprintf("%s kept under %s: %s", e.Category, e.Ground.Article(), e.Reason))
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
