package accountability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
)

// RecordInput is what the record of processing takes besides the catalog:
// the transfers to third countries the operator knows of (Art. 30(1)(e),
// 30(2)(c)) and the controllers it processes for (Art. 30(2)(a)). Both are
// optional; the catalog alone gives a complete record that names no
// destination and the controllers the catalog names.
type RecordInput struct {
	// Transfers are the transfers outside the EEA: declared by the
	// operator (its recipients and their countries) or read from the
	// decision log with ReadDecisionLog.
	Transfers []Transfer `json:"transfers,omitempty"`
	// Customers are the controllers on whose behalf the operator
	// processes (its customers, for guest data).
	Customers []Customer `json:"customers,omitempty"`
}

// Transfer is a transfer, or a kind of transfer, of personal data to a
// recipient in a country.
type Transfer struct {
	// Purpose is the catalog purpose the data is sent for.
	Purpose string `json:"purpose"`
	// SubjectKind is whose data is sent; empty means any of the purpose's.
	SubjectKind privacy.SubjectKind `json:"subject_kind,omitempty"`
	// Customer names the controller on whose behalf the data is sent, for
	// the data of subjects the operator processes for a controller.
	Customer string `json:"customer,omitempty"`
	// Recipient names the recipient (an organisation) and RecipientKind
	// says what it is.
	Recipient     string                `json:"recipient,omitempty"`
	RecipientKind privacy.RecipientKind `json:"recipient_kind,omitempty"`
	// Country is where the recipient processes the data, ISO 3166-1
	// alpha-2.
	Country string `json:"country"`
	// Safeguard is the Art. 46 safeguard or the certification an adequacy
	// decision needs (dpf); Derogation an Art. 49(1) derogation, for the
	// record of Art. 30(1)(e).
	Safeguard  privacy.Safeguard `json:"safeguard,omitempty"`
	Derogation string            `json:"derogation,omitempty"`
	// Count is how many such transfers the decision log holds; 0 for a
	// declared transfer.
	Count int `json:"count,omitempty"`
}

// Customer is a controller on whose behalf the operator processes
// personal data (Art. 30(2)(a)).
type Customer struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
	// Country is where the controller is established, ISO 3166-1 alpha-2.
	Country string `json:"country,omitempty"`
	// Instructions lists the purposes the controller instructs; empty
	// means the catalog's instructions for it (processor.controllers), or
	// else the default instructions.
	Instructions []string `json:"instructions,omitempty"`
}

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// check validates the input against the catalog, naming the field at
// fault.
func (in RecordInput) check(c *privacy.Catalog) error {
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	purpose := func(field, key string) error {
		if c.Purpose(key) == nil {
			var keys []string
			for _, p := range c.Purposes {
				keys = append(keys, p.Key)
			}
			return bad(field, "unknown purpose %q%s", key, privacy.DidYouMean(key, keys))
		}
		return nil
	}
	for i, t := range in.Transfers {
		f := fmt.Sprintf("transfers[%d]", i)
		if err := purpose(f+".purpose", t.Purpose); err != nil {
			return err
		}
		if !countryPattern.MatchString(t.Country) {
			return bad(f+".country", "want an ISO 3166-1 alpha-2 code such as \"US\", got %q", t.Country)
		}
		if t.SubjectKind != "" && c.SubjectKind(t.SubjectKind) == nil {
			var kinds []string
			for _, sk := range c.SubjectKinds {
				kinds = append(kinds, string(sk.Kind))
			}
			return bad(f+".subject_kind", "unknown subject kind %q%s", t.SubjectKind, privacy.DidYouMean(string(t.SubjectKind), kinds))
		}
		if t.RecipientKind != "" && !slices.Contains(privacy.RecipientKinds(), t.RecipientKind) {
			var kinds []string
			for _, k := range privacy.RecipientKinds() {
				kinds = append(kinds, string(k))
			}
			return bad(f+".recipient_kind", "unknown recipient kind %q%s", t.RecipientKind, privacy.DidYouMean(string(t.RecipientKind), kinds))
		}
		if _, ok := safeguardNames[t.Safeguard]; !ok && t.Safeguard != "" && t.Safeguard != privacy.SafeguardNone {
			return bad(f+".safeguard", "unknown safeguard %q", t.Safeguard)
		}
		if t.Count < 0 {
			return bad(f+".count", "must not be negative")
		}
	}
	seen := map[string]bool{}
	for i, cu := range in.Customers {
		f := fmt.Sprintf("customers[%d]", i)
		if strings.TrimSpace(cu.Name) == "" {
			return bad(f+".name", "must name the controller")
		}
		if seen[cu.Name] {
			return bad(f+".name", "controller %q listed twice", cu.Name)
		}
		seen[cu.Name] = true
		if cu.Country != "" && !countryPattern.MatchString(cu.Country) {
			return bad(f+".country", "want an ISO 3166-1 alpha-2 code, got %q", cu.Country)
		}
		for j, key := range cu.Instructions {
			if err := purpose(fmt.Sprintf("%s.instructions[%d]", f, j), key); err != nil {
				return err
			}
			if len(subjectsWithRole(c, c.Purpose(key), privacy.RoleProcessor)) == 0 {
				return bad(fmt.Sprintf("%s.instructions[%d]", f, j), "purpose %q applies to no subject the operator processes for a controller", key)
			}
		}
	}
	return nil
}

// ReadRecordInput decodes a RecordInput from JSON ({"transfers": […],
// "customers": […]}), reading at most privacy.MaxRecordInputBytes and
// decoding strictly (privacy.DecodeJSON: unknown fields and duplicate
// keys are errors naming the field).
func ReadRecordInput(r io.Reader) (RecordInput, error) {
	var in RecordInput
	if err := privacy.DecodeJSON(r, "record input", privacy.MaxRecordInputBytes, "MaxRecordInputBytes", &in); err != nil {
		return RecordInput{}, fmt.Errorf("read record input: %w", err)
	}
	return in, nil
}

// decisionLogMessage is the message of the decision log's records
// (policies.DecisionLogMessage; this package does not import policies,
// and a test keeps the two equal).
const decisionLogMessage = "privacy decision"

// logRecord is the part of a decision-log record (the JSON that
// slog.JSONHandler writes for policies.WithDecisionLog) the record needs.
type logRecord struct {
	Msg     string `json:"msg"`
	Request *struct {
		Subject struct {
			Pseudonym  string              `json:"pseudonym"`
			Kind       privacy.SubjectKind `json:"kind"`
			Controller string              `json:"controller"`
		} `json:"subject"`
		Purpose   string   `json:"purpose"`
		Data      []string `json:"data"`
		Recipient *struct {
			ID         string                `json:"id"`
			Kind       privacy.RecipientKind `json:"kind"`
			Country    string                `json:"country"`
			Safeguard  privacy.Safeguard     `json:"safeguard"`
			Derogation string                `json:"derogation"`
		} `json:"recipient"`
	} `json:"request"`
	State struct {
		At time.Time `json:"at"`
	} `json:"state"`
	Decision *struct {
		Allowed bool `json:"allowed"`
	} `json:"decision"`
	// Replay marks an audit replay (policies.Engine.Replay): a past
	// processing decided again, which processes nothing.
	Replay bool `json:"replay"`
}

// scanDecisionLog calls fn with each decision record of a decision log
// that allowed the processing, and its line number; audit replays are
// skipped, they process nothing. A line that is not
// JSON or a record without request or decision is an error naming the
// line; a log or a line longer than its limit is the TooLarge error.
func scanDecisionLog(r io.Reader, fn func(n int, rec *logRecord) error) error {
	lr := &io.LimitedReader{R: r, N: privacy.MaxDecisionLogBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 64<<10), privacy.MaxDecisionLogLineBytes)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var rec logRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return &privacy.ValidationError{Field: fmt.Sprintf("decision log line %d", n), Message: "not a JSON record: " + err.Error()}
		}
		if rec.Msg != decisionLogMessage {
			continue
		}
		if rec.Request == nil || rec.Decision == nil {
			return &privacy.ValidationError{Field: fmt.Sprintf("decision log line %d", n), Message: "a decision record without request or decision"}
		}
		if !rec.Decision.Allowed || rec.Replay {
			continue
		}
		if err := fn(n, &rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			e := privacy.TooLarge("a line of the decision log", privacy.MaxDecisionLogLineBytes, "bytes", "MaxDecisionLogLineBytes")
			e.Field = "decision log"
			return e
		}
		return fmt.Errorf("read decision log: %w", err)
	}
	if lr.N <= 0 {
		e := privacy.TooLarge("the decision log", privacy.MaxDecisionLogBytes, "bytes", "MaxDecisionLogBytes")
		e.Field = "decision log"
		return e
	}
	return nil
}

// ReadDecisionLog reads a decision log written by policies.WithDecisionLog
// through slog.JSONHandler, one JSON record a line, and returns what the
// record of processing needs from it: the allowed disclosures, grouped by
// purpose, subject kind, customer, recipient, country and safeguard with
// their count (BuildRecordWith keeps those outside the EEA), and the
// controllers on whose behalf guest data was processed. Lines of other
// messages and audit replays (Engine.Replay, "replay": true) are skipped; a line that is not JSON, a record without a
// request, or a recipient country that is not an ISO 3166-1 alpha-2 code
// is an error naming the line. A log longer than
// privacy.MaxDecisionLogBytes or with a line longer than
// privacy.MaxDecisionLogLineBytes is an error naming the limit. Individuals (recipient kind individual) are people the subject
// named, not importers under Chapter V, and are left out.
func ReadDecisionLog(r io.Reader) (RecordInput, error) {
	var in RecordInput
	type key struct {
		purpose, customer, recipient, country string
		subject                               privacy.SubjectKind
		kind                                  privacy.RecipientKind
		safeguard                             privacy.Safeguard
		derogation                            string
	}
	index := map[key]int{}
	customers := map[string]bool{}
	err := scanDecisionLog(r, func(n int, rec *logRecord) error {
		req := rec.Request
		if req.Subject.Controller != "" && !customers[req.Subject.Controller] {
			customers[req.Subject.Controller] = true
			in.Customers = append(in.Customers, Customer{Name: req.Subject.Controller})
		}
		rc := req.Recipient
		if rc == nil || rc.Kind == privacy.RecipientIndividual {
			return nil
		}
		if !countryPattern.MatchString(rc.Country) {
			return &privacy.ValidationError{Field: fmt.Sprintf("decision log line %d: request.recipient.country", n),
				Message: fmt.Sprintf("want an ISO 3166-1 alpha-2 code, got %q", rc.Country)}
		}
		k := key{req.Purpose, req.Subject.Controller, rc.ID, rc.Country, req.Subject.Kind, rc.Kind, rc.Safeguard, rc.Derogation}
		if i, ok := index[k]; ok {
			in.Transfers[i].Count++
			return nil
		}
		index[k] = len(in.Transfers)
		in.Transfers = append(in.Transfers, Transfer{Purpose: req.Purpose, SubjectKind: req.Subject.Kind, Customer: req.Subject.Controller,
			Recipient: rc.ID, RecipientKind: rc.Kind, Country: rc.Country, Safeguard: rc.Safeguard, Derogation: rc.Derogation, Count: 1})
		return nil
	})
	if err != nil {
		return in, err
	}
	slices.SortFunc(in.Customers, func(a, b Customer) int { return strings.Compare(a.Name, b.Name) })
	return in, nil
}

// Merge returns the input with other's transfers and customers added; a
// customer both name keeps in's entry.
func (in RecordInput) Merge(other RecordInput) RecordInput {
	out := RecordInput{Transfers: slices.Concat(in.Transfers, other.Transfers), Customers: slices.Clone(in.Customers)}
	for _, cu := range other.Customers {
		if !slices.ContainsFunc(out.Customers, func(x Customer) bool { return x.Name == cu.Name }) {
			out.Customers = append(out.Customers, cu)
		}
	}
	return out
}
