package dsar

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
)

// Disclosure is a disclosure of a subject's data to a recipient as the
// disclosure log shows it: the decisions that allowed sending the
// subject's data to that recipient for that purpose, taken together.
type Disclosure struct {
	// Recipient is the recipient's id (for an individual, the keyed
	// pseudonym the decision log writes).
	Recipient string                `json:"recipient"`
	Kind      privacy.RecipientKind `json:"kind"`
	Country   string                `json:"country,omitempty"`
	Purpose   string                `json:"purpose"`
	// Data are the catalog keys disclosed, parents as logged.
	Data []string `json:"data"`
	// Count is how many decisions allowed it; First the earliest of them
	// and Last the latest (the moments the decisions judged), where the
	// log records them.
	Count int       `json:"count"`
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// Disclosures finds the recipients a subject's data was disclosed to.
// accountability.DecisionLog reads them from the decision log.
type Disclosures interface {
	// Disclosures returns the disclosures of the subject's data, or an
	// empty slice. The returned errors name no subject.
	Disclosures(ctx context.Context, subjectID string) ([]Disclosure, error)
}

// WithDisclosures sets where the Desk finds the recipients of a subject's
// data, whom it lists for notification when a rectification, erasure or
// restriction completes (Art. 19), and records, when an access or
// portability request completes, as those the data were disclosed to
// (Request.Disclosed, Export's Recipients; Art. 15(1)(c)). Without it the
// Desk lists the kinds of recipient the catalog's purposes may disclose
// the data in scope to, each to be identified and notified, and the export
// states only those categories of recipient.
func WithDisclosures(l Disclosures) Option { return func(d *Desk) { d.disclosures = l } }

// The origins of a Notice.
const (
	// NoticeFromLog: a recipient the disclosure log shows the data went to.
	NoticeFromLog = "disclosure_log"
	// NoticeFromCatalog: a kind of recipient the catalog's purposes may
	// disclose the data to; no disclosure log was configured, so the
	// recipients of that kind are to be identified.
	NoticeFromCatalog = "catalog"
)

// Notice is one recipient to tell of a rectification, erasure or
// restriction of the subject's data (Art. 19): the Desk lists them when
// such a request completes, and Desk.Notify records that each was told,
// or why telling it is impossible or involves disproportionate effort.
// The same list is what the subject is given when they ask who the
// recipients are (Art. 19, second sentence).
type Notice struct {
	// Recipient is the recipient's id; empty for a kind of recipient from
	// the catalog (Origin NoticeFromCatalog).
	Recipient string                `json:"recipient,omitempty"`
	Kind      privacy.RecipientKind `json:"kind"`
	Country   string                `json:"country,omitempty"`
	// Purposes are those the data was (or may be) disclosed for, and
	// Categories the leaf categories of the request's scope among it.
	Purposes   []string `json:"purposes"`
	Categories []string `json:"categories"`
	Origin     string   `json:"origin"`
	// NotifiedAt and By record that the recipient was told.
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	By         string    `json:"by,omitempty"`
	// Exempt says why the recipient is not told: impossible or
	// disproportionate effort (Art. 19).
	Exempt string `json:"exempt,omitempty"`
}

// Name is how the Desk and privacyctl name the notice: the recipient's id,
// or "kind:KIND" for a kind of recipient from the catalog.
func (n Notice) Name() string {
	if n.Recipient != "" {
		return n.Recipient
	}
	return "kind:" + string(n.Kind)
}

// Pending reports whether the recipient is neither told nor exempt.
func (n Notice) Pending() bool { return n.NotifiedAt.IsZero() && n.Exempt == "" }

// notifies reports whether a request of the kind must be communicated to
// the recipients (Art. 19).
func (k Kind) notifies() bool {
	return k == KindRectification || k == KindErasure || k == KindRestriction
}

// notices lists the recipients to tell of r (Art. 19): those the
// disclosure log shows the data in r's scope went to, or without a log the
// kinds of recipient the catalog's purposes may disclose it to.
func (d *Desk) notices(ctx context.Context, r *Request) ([]Notice, error) {
	scope := d.scope(r)
	if r.Kind == KindRectification {
		scope = nil
		for _, c := range r.Corrections {
			scope = append(scope, d.catalog.Leaves(c.Category)...)
		}
		slices.Sort(scope)
		scope = slices.Compact(scope)
	}
	if d.disclosures == nil {
		return d.catalogNotices(r.Subject.Kind, scope), nil
	}
	list, err := d.disclosures.Disclosures(ctx, r.Subject.ID)
	if err != nil {
		return nil, err
	}
	var out []Notice
	index := map[[3]string]int{}
	for _, dl := range list {
		var cats []string
		for _, key := range dl.Data {
			for _, leaf := range d.catalog.Leaves(key) {
				if slices.Contains(scope, leaf) {
					cats = append(cats, leaf)
				}
			}
		}
		if len(cats) == 0 {
			continue
		}
		k := [3]string{dl.Recipient, string(dl.Kind), dl.Country}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Notice{Recipient: dl.Recipient, Kind: dl.Kind, Country: dl.Country, Origin: NoticeFromLog})
		}
		out[i].Purposes = append(out[i].Purposes, dl.Purpose)
		out[i].Categories = append(out[i].Categories, cats...)
	}
	for i := range out {
		out[i].Purposes = sortedSet(out[i].Purposes)
		out[i].Categories = sortedSet(out[i].Categories)
	}
	slices.SortFunc(out, func(a, b Notice) int { return strings.Compare(a.Name()+"\x00"+a.Country, b.Name()+"\x00"+b.Country) })
	return out, nil
}

// catalogNotices lists, per kind of recipient, the purposes of the
// subject's kind that may disclose categories of scope to it.
func (d *Desk) catalogNotices(kind privacy.SubjectKind, scope []string) []Notice {
	byKind := map[privacy.RecipientKind]*Notice{}
	for _, p := range d.usedByAny(kind, scope) {
		var cats []string
		for _, c := range scope {
			if slices.Contains(p.leaves, c) {
				cats = append(cats, c)
			}
		}
		for _, rk := range p.purpose.Recipients {
			n := byKind[rk]
			if n == nil {
				n = &Notice{Kind: rk, Origin: NoticeFromCatalog}
				byKind[rk] = n
			}
			n.Purposes = append(n.Purposes, p.purpose.Key)
			n.Categories = append(n.Categories, cats...)
		}
	}
	var out []Notice
	for _, rk := range privacy.RecipientKinds() {
		if n := byKind[rk]; n != nil {
			n.Purposes, n.Categories = sortedSet(n.Purposes), sortedSet(n.Categories)
			out = append(out, *n)
		}
	}
	return out
}

type purposeLeaves struct {
	purpose *privacy.Purpose
	leaves  []string
}

// usedByAny returns the purposes that apply to the subject kind and may
// use any category of scope, with the leaves each may use.
func (d *Desk) usedByAny(kind privacy.SubjectKind, scope []string) []purposeLeaves {
	var out []purposeLeaves
	for i := range d.catalog.Purposes {
		p := &d.catalog.Purposes[i]
		if !slices.Contains(p.Subjects, kind) {
			continue
		}
		var leaves []string
		for _, c := range p.Categories {
			leaves = append(leaves, d.catalog.Leaves(c)...)
		}
		if slices.ContainsFunc(scope, func(c string) bool { return slices.Contains(leaves, c) }) {
			out = append(out, purposeLeaves{p, leaves})
		}
	}
	return out
}

func sortedSet(list []string) []string {
	slices.Sort(list)
	return slices.Compact(list)
}

// listNotices lists the recipients to tell of r (a rectification,
// erasure or restriction about to complete), with the trail entry that
// says so; for other kinds, nothing.
func (d *Desk) listNotices(ctx context.Context, r *Request) ([]Notice, *Entry, error) {
	if !r.Kind.notifies() {
		return nil, nil, nil
	}
	list, err := d.notices(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	detail := fmt.Sprintf("%d recipients to tell of the %s (Art. 19)", len(list), r.Kind)
	switch {
	case len(list) == 0:
		detail = fmt.Sprintf("no recipient of the data in scope on record: nobody to tell of the %s (Art. 19)", r.Kind)
	case d.disclosures == nil:
		detail = fmt.Sprintf("no disclosure log: %d kinds of recipient the catalog may disclose the data to, to identify and tell of the %s (Art. 19)", len(list), r.Kind)
	}
	return list, &Entry{Action: "recipients_listed", Detail: detail}, nil
}

// Recipients returns the recipients the request's rectification, erasure
// or restriction is to be told of, and whether each was (Request.Notices):
// the list the subject is given on request (Art. 19). It is empty for
// other kinds and until the request completes.
func (d *Desk) Recipients(ctx context.Context, id string) ([]Notice, error) {
	if d.err != nil {
		return nil, d.err
	}
	r, err := d.store.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Notices == nil {
		return []Notice{}, nil
	}
	return r.Notices, nil
}

// Notify records that the recipient of the request's notice named name
// (Notice.Name) was told of the rectification, erasure or restriction, by
// by; with a non-empty exempt, that it is not told, and why: impossible,
// or disproportionate effort (Art. 19). The step goes to the trail. It
// returns a *privacy.ValidationError naming by, exempt or recipient (with
// the names on the request) and an error wrapping ErrTransition for a
// request that is not completed or lists no recipients.
func (d *Desk) Notify(ctx context.Context, id, name, by, exempt string) (Request, error) {
	if d.err != nil {
		return Request{}, d.err
	}
	if err := privacy.CheckID("by", by); err != nil {
		return Request{}, err
	}
	if err := checkText("exempt", exempt); err != nil {
		return Request{}, err
	}
	if exempt != "" && strings.TrimSpace(exempt) == "" {
		return Request{}, &privacy.ValidationError{Field: "exempt", Message: "is blank: say why telling the recipient is impossible or disproportionate"}
	}
	return d.store.Update(ctx, id, func(r *Request) error {
		if r.Status != StatusCompleted || !r.Kind.notifies() {
			return fmt.Errorf("notify recipients of %s: %w: a %s request that is %s (recipients are told of a completed rectification, erasure or restriction)", id, ErrTransition, r.Kind, r.Status)
		}
		i := slices.IndexFunc(r.Notices, func(n Notice) bool { return n.Name() == name })
		if i < 0 {
			var names []string
			for _, n := range r.Notices {
				names = append(names, n.Name())
			}
			return &privacy.ValidationError{Field: "recipient", Message: fmt.Sprintf("%q is not among the request's recipients %v%s", name, names, privacy.DidYouMean(name, names))}
		}
		n := &r.Notices[i]
		n.By = by
		if exempt != "" {
			n.Exempt, n.NotifiedAt = exempt, time.Time{}
			d.note(r, by, "recipient_exempt", "", fmt.Sprintf("%s not told: %s (Art. 19)", name, exempt))
			return nil
		}
		n.NotifiedAt, n.Exempt = d.stamp(), ""
		d.note(r, by, "recipient_notified", "", fmt.Sprintf("%s told of the %s (Art. 19)", name, r.Kind))
		return nil
	})
}

// Disclosed is what the disclosure log showed, when an access or
// portability request completed, of the recipients the subject's data in
// its scope were disclosed to (Art. 15(1)(c)).
type Disclosed struct {
	// At is when the log was read.
	At time.Time `json:"at"`
	// Disclosures are those of data in the request's scope, sorted by
	// recipient and purpose; empty when the log shows none.
	Disclosures []Disclosure `json:"disclosures"`
}

// disclosed reads the disclosure log for an access or portability
// request about to complete: the disclosures of data in its scope, with
// the trail entry that says so. Without a log, or for another kind, it
// returns nothing.
func (d *Desk) disclosed(ctx context.Context, r *Request) (*Disclosed, *Entry, error) {
	if (r.Kind != KindAccess && r.Kind != KindPortability) || d.disclosures == nil {
		return nil, nil, nil
	}
	list, err := d.disclosures.Disclosures(ctx, r.Subject.ID)
	if err != nil {
		return nil, nil, err
	}
	scope := d.scope(r)
	out := &Disclosed{At: d.stamp(), Disclosures: []Disclosure{}}
	for _, dl := range list {
		if slices.ContainsFunc(dl.Data, func(key string) bool {
			return slices.ContainsFunc(d.catalog.Leaves(key), func(leaf string) bool { return slices.Contains(scope, leaf) })
		}) {
			out.Disclosures = append(out.Disclosures, dl)
		}
	}
	slices.SortStableFunc(out.Disclosures, func(a, b Disclosure) int {
		return strings.Compare(a.Recipient+"\x00"+a.Purpose, b.Recipient+"\x00"+b.Purpose)
	})
	recipients := map[string]bool{}
	for _, dl := range out.Disclosures {
		recipients[dl.Recipient+"\x00"+string(dl.Kind)+"\x00"+dl.Country] = true
	}
	detail := fmt.Sprintf("the disclosure log shows the data in scope disclosed to %s (Art. 15(1)(c))", plural(len(recipients), "recipient"))
	return out, &Entry{Action: "recipients_listed", Detail: detail}, nil
}
