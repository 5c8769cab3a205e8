package dsar

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// Export is the answer to an access or portability request: the subject's
// records from every source and, for each category they fall in, what the
// catalog says about its processing: the Art. 15(1) information (purposes,
// lawful bases, recipients, retention, transfers, profiling). It marshals
// to the machine-readable JSON given to the subject; Summary is the short
// text that goes with it.
type Export struct {
	RequestID     string          `json:"request_id"`
	Kind          Kind            `json:"kind"`
	Article       string          `json:"article"`
	Subject       privacy.Subject `json:"subject"`
	Controller    privacy.Party   `json:"controller"`
	PolicyVersion string          `json:"policy_version"`
	GeneratedAt   time.Time       `json:"generated_at"`
	// Sources lists the services searched, including those that hold
	// nothing about the subject.
	Sources []string `json:"sources"`
	// Records are the subject's data, by source.
	Records []ExportRecord `json:"records"`
	// Categories describes each category the records fall in.
	Categories []CategoryInfo `json:"categories"`
	// Recipients are the recipients, or categories of recipient, to whom
	// the data have been or will be disclosed (Art. 15(1)(c)).
	Recipients RecipientsInfo `json:"recipients"`
	Transfers  TransferInfo   `json:"transfers"`
	// Rights reminds the subject of their other rights (Art. 15(1)(e)-(f)).
	Rights []string `json:"rights"`
}

// ExportRecord is one record with the source that holds it.
type ExportRecord struct {
	Source string `json:"source"`
	Record
}

// CategoryInfo is what the catalog says about one category of the
// subject's data.
type CategoryInfo struct {
	Category    string `json:"category"`
	Description string `json:"description,omitempty"`
	DPV         string `json:"dpv,omitempty"`
	// Purposes are those that may use the category for this kind of
	// subject.
	Purposes []PurposeInfo `json:"purposes"`
	// Retention is how long the category is kept (Art. 15(1)(d)).
	Retention string `json:"retention"`
	// Source says where data the subject did not give comes from (Art.
	// 15(1)(g)): for a category the operator derives (privacy.Category
	// Derived), the catalog's Source; empty for data collected from the
	// subject.
	Source string `json:"source,omitempty"`
}

// PurposeInfo is a purpose of processing as the export states it.
type PurposeInfo struct {
	Purpose     string              `json:"purpose"`
	Description string              `json:"description"`
	Bases       []lawfulbasis.Basis `json:"bases"`
	// Recipients are the kinds of recipient the purpose may disclose to
	// (Art. 15(1)(c)).
	Recipients        []privacy.RecipientKind `json:"recipients"`
	Profiling         bool                    `json:"profiling,omitempty"`
	AutomatedDecision bool                    `json:"automated_decision,omitempty"`
}

// RecipientsInfo answers Art. 15(1)(c): to whom the subject's data have
// been or will be disclosed.
type RecipientsInfo struct {
	// Origin says where Disclosed comes from: NoticeFromLog, the
	// disclosure log the Desk read when the request completed
	// (WithDisclosures); or NoticeFromCatalog, no log was configured, so
	// the export names the categories of recipient only.
	Origin string `json:"origin"`
	// Disclosed are the recipients the data in the request's scope were
	// disclosed to, each with the purpose, the data keys, how many times
	// and when (the earliest and the latest); empty without a log.
	Disclosed []Disclosure `json:"disclosed"`
	// Kinds are the categories of recipient the catalog's purposes may
	// disclose the exported categories to (Categories[].Purposes[] says
	// which purpose to which).
	Kinds []privacy.RecipientKind `json:"kinds"`
}

// TransferInfo states how transfers outside the EEA are safeguarded
// (Art. 15(2)).
type TransferInfo struct {
	Statement string `json:"statement"`
	// Adequacy lists the countries and organisations with an adequacy
	// decision (Art. 45) as the catalog records them.
	Adequacy []string `json:"adequacy"`
	Checked  string   `json:"checked"`
}

// retentionOf states how long a category is kept (Art. 15(1)(d)): the
// catalog's retention rule for it.
func retentionOf(c *privacy.Catalog, key string) string {
	if r := c.RetentionRule(key); r != nil {
		return r.Describe()
	}
	return "not specified in the catalog"
}

// Export builds the export of a completed access or portability request
// from the records its sources returned and the Desk's catalog. It returns
// an error wrapping ErrTransition for another kind of request or one not
// completed.
func (d *Desk) Export(ctx context.Context, id string) (*Export, error) {
	if d.err != nil {
		return nil, d.err
	}
	r, err := d.store.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Kind != KindAccess && r.Kind != KindPortability {
		return nil, fmt.Errorf("export %s: %w: a %s request has no export", id, ErrTransition, r.Kind)
	}
	if r.Status != StatusCompleted {
		return nil, fmt.Errorf("export %s: %w: %s", id, ErrTransition, r.Status)
	}
	c := d.catalog
	e := &Export{
		RequestID:     r.ID,
		Kind:          r.Kind,
		Article:       r.Kind.Article(),
		Subject:       privacy.Subject{ID: r.Subject.ID, Kind: r.Subject.Kind, Controller: r.Subject.Controller},
		Controller:    c.Controller,
		PolicyVersion: c.PolicyVersion,
		GeneratedAt:   r.ClosedAt,
		Sources:       []string{},
		Records:       []ExportRecord{},
		Categories:    []CategoryInfo{},
		Recipients:    RecipientsInfo{Origin: NoticeFromCatalog, Disclosed: []Disclosure{}, Kinds: []privacy.RecipientKind{}},
		Transfers: TransferInfo{
			Statement: "Data may be stored or transferred outside the EEA only to a country or organisation with an adequacy decision (GDPR Art. 45) or under a safeguard of Art. 46 such as the standard contractual clauses of Implementing Decision (EU) 2021/914.",
			Checked:   c.Transfers.Checked,
		},
		Rights: []string{
			"rectification of inaccurate data (GDPR Art. 16)",
			"erasure (GDPR Art. 17)",
			"restriction of processing (GDPR Art. 18)",
			"data portability (GDPR Art. 20)",
			"objection to processing (GDPR Art. 21)",
			"withdrawal of consent at any time (GDPR Art. 7(3))",
			"a complaint to a supervisory authority (GDPR Art. 77)",
		},
	}
	for _, a := range c.Transfers.Adequacy {
		name := cmpOr(a.Country, a.Name)
		if a.Scope != "" {
			name += " (" + a.Scope + ")"
		}
		e.Transfers.Adequacy = append(e.Transfers.Adequacy, name)
	}
	var cats []string
	for _, o := range r.Sources {
		e.Sources = append(e.Sources, o.Source)
		for _, rec := range o.Records {
			e.Records = append(e.Records, ExportRecord{Source: o.Source, Record: rec})
			cats = append(cats, rec.Category)
		}
	}
	slices.Sort(cats)
	for _, key := range slices.Compact(cats) {
		info := CategoryInfo{Category: key, Purposes: []PurposeInfo{}, Retention: retentionOf(c, key)}
		if cat := c.Category(key); cat != nil {
			info.Description, info.DPV = cat.Description, cat.DPV
			if cat.Derived {
				info.Source = cmpOr(cat.Source, "derived by the operator from other data it holds of the subject")
			}
		}
		for _, p := range d.usedBy(r.Subject.Kind, key) {
			info.Purposes = append(info.Purposes, PurposeInfo{
				Purpose:           p.Key,
				Description:       p.Reason,
				Bases:             p.BasesFor(r.Subject.Kind),
				Recipients:        p.Recipients,
				Profiling:         p.Profiling,
				AutomatedDecision: p.AutomatedDecision,
			})
		}
		e.Categories = append(e.Categories, info)
	}
	kinds := map[privacy.RecipientKind]bool{}
	for _, c := range e.Categories {
		for _, p := range c.Purposes {
			for _, k := range p.Recipients {
				kinds[k] = true
			}
		}
	}
	for _, k := range privacy.RecipientKinds() {
		if kinds[k] {
			e.Recipients.Kinds = append(e.Recipients.Kinds, k)
		}
	}
	if r.Disclosed != nil {
		e.Recipients.Origin = NoticeFromLog
		e.Recipients.Disclosed = append(e.Recipients.Disclosed, r.Disclosed.Disclosures...)
	}
	return e, nil
}

// JSON returns the export as indented JSON.
func (e *Export) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("encode export %s: %w", e.RequestID, err)
	}
	return b.Bytes(), nil
}

// Summary returns a short human-readable account of the export: how many
// records, from which services, in which categories, used for what.
func (e *Export) Summary() string {
	var b strings.Builder
	name := "Access"
	if e.Kind == KindPortability {
		name = "Portability"
	}
	fmt.Fprintf(&b, "%s request %s (%s) for %s %s, answered %s\n",
		name, e.RequestID, e.Article, e.Subject.Kind, e.Subject.ID, e.GeneratedAt.Format(time.DateOnly))
	fmt.Fprintf(&b, "Controller: %s", e.Controller.Name)
	if e.Controller.Contact != "" {
		fmt.Fprintf(&b, " (%s)", e.Controller.Contact)
	}
	b.WriteString("\n")
	if len(e.Records) == 0 {
		fmt.Fprintf(&b, "We hold no personal data about you in the services searched (%s).\n", strings.Join(e.Sources, ", "))
		if len(e.Recipients.Disclosed) > 0 {
			e.writeDisclosed(&b)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s in %s from the services searched (%s):\n",
		plural(len(e.Records), "record"), plural(len(e.Categories), "category"), strings.Join(e.Sources, ", "))
	for _, c := range e.Categories {
		n := 0
		for _, r := range e.Records {
			if r.Category == c.Category {
				n++
			}
		}
		var uses []string
		for _, p := range c.Purposes {
			uses = append(uses, p.Purpose)
		}
		fmt.Fprintf(&b, "- %s (%s): %s; used for %s; kept %s",
			cmpOr(c.Description, "not in the catalog"), c.Category, plural(n, "record"),
			cmpOr(strings.Join(uses, ", "), "no declared purpose"), c.Retention)
		if c.Source != "" {
			fmt.Fprintf(&b, "; not collected from you: %s", c.Source)
		}
		b.WriteString("\n")
	}
	e.writeDisclosed(&b)
	if len(e.Recipients.Kinds) > 0 {
		fmt.Fprintf(&b, "Categories of recipient this data may be disclosed to: %s.\n", join(e.Recipients.Kinds, ", "))
	}
	b.WriteString("Lawful bases, recipients per purpose, transfers and your rights are in the JSON export.\n")
	return b.String()
}

// writeDisclosed writes what the disclosure log showed (Art. 15(1)(c)),
// if the Desk had one.
func (e *Export) writeDisclosed(b *strings.Builder) {
	switch {
	case e.Recipients.Origin == NoticeFromLog && len(e.Recipients.Disclosed) == 0:
		b.WriteString("Our disclosure log shows no disclosure of this data to a recipient.\n")
	case e.Recipients.Origin == NoticeFromLog:
		b.WriteString("Disclosed to:\n")
		for _, dl := range e.Recipients.Disclosed {
			where := string(dl.Kind)
			if dl.Country != "" {
				where += ", " + dl.Country
			}
			fmt.Fprintf(b, "- %s (%s) for %s: %s; %s", dl.Recipient, where, dl.Purpose, strings.Join(dl.Data, ", "), plural(dl.Count, "time"))
			switch {
			case dl.First.IsZero():
			case dl.First.Equal(dl.Last):
				fmt.Fprintf(b, ", on %s", dl.First.Format(time.DateOnly))
			default:
				fmt.Fprintf(b, ", from %s to %s", dl.First.Format(time.DateOnly), dl.Last.Format(time.DateOnly))
			}
			b.WriteString("\n")
		}
	}
}

func join[T ~string](list []T, sep string) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, sep)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
