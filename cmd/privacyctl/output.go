package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/retention"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// print writes a verb's result: JSON for scripts, and for a person a
// table or plain sentences where the result has a shape of its own, the
// fields as YAML otherwise (the same names as the JSON).
func (c *cli) print(v any) error {
	if c.output != "text" {
		return printJSON(c.stdout, v)
	}
	switch v := v.(type) {
	case privacy.Decision:
		return textDecision(c.stdout, v)
	case consent.Report:
		return textReport(c.stdout, v)
	case *dsar.Export:
		_, err := io.WriteString(c.stdout, v.Summary())
		return err
	case []dsar.Request:
		return table(c.stdout, []string{"ID", "KIND", "SUBJECT", "STATUS", "DUE"}, len(v), func(i int) []string {
			r := v[i]
			return []string{r.ID, string(r.Kind), r.Subject.ID, string(r.Status), r.Due.Format(time.DateOnly)}
		})
	case []retention.Hold:
		return table(c.stdout, []string{"ID", "SUBJECT", "CATEGORY", "BY", "REASON", "UNTIL"}, len(v), func(i int) []string {
			h := v[i]
			until := "until released"
			if !h.Until.IsZero() {
				until = h.Until.Format(time.RFC3339)
			}
			return []string{h.ID, orAll(h.SubjectID), orAll(h.Category), h.PlacedBy, h.Reason, until}
		})
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(b)
	return err
}

// printLine prints the one line of text of a verb that confirms or names
// something (version, catalog check), or v as JSON when -o json was asked
// for explicitly: a script that asks for JSON gets JSON.
func (c *cli) printLine(line string, v any) error {
	if c.outputGiven && c.output == "json" {
		return printJSON(c.stdout, v)
	}
	_, err := fmt.Fprintln(c.stdout, line)
	return err
}

// printDecision prints decide's result: the decision JSON of the contract,
// unless -o text was asked for explicitly.
func (c *cli) printDecision(d privacy.Decision) error {
	if c.outputGiven && c.output == "text" {
		return textDecision(c.stdout, d)
	}
	return printJSON(c.stdout, d)
}

func textDecision(w io.Writer, d privacy.Decision) error {
	if d.Allowed {
		fmt.Fprintf(w, "ALLOWED on %s (policy %s)\n", d.Basis, d.PolicyVersion)
	} else {
		fmt.Fprintf(w, "DENIED (policy %s)\n", d.PolicyVersion)
	}
	for _, r := range d.Reasons {
		fmt.Fprintf(w, "  reason %s (%s): %s\n", r.Code, r.Article, r.Message)
	}
	for _, o := range d.Obligations {
		fmt.Fprintf(w, "  obligation %s (%s): %s\n", o.Code, o.Article, o.Message)
	}
	return nil
}

func textReport(w io.Writer, r consent.Report) error {
	if r.Intact {
		_, err := fmt.Fprintf(w, "The ledger is intact: %d records checked; head %d:%s.\n", r.Checked, r.Head.Seq, r.Head.Hash)
		return err
	}
	if r.Problem == consent.Unverifiable {
		_, err := fmt.Fprintf(w, "The ledger could NOT be verified: it %s.\n", r.String())
		return err
	}
	_, err := fmt.Fprintf(w, "The ledger is NOT intact: %s.\n", r.String())
	return err
}

// table writes n rows under a header, aligned in columns.
func table(w io.Writer, header []string, n int, row func(i int) []string) error {
	if n == 0 {
		_, err := fmt.Fprintln(w, "(none)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range n {
		fmt.Fprintln(tw, strings.Join(row(i), "\t"))
	}
	return tw.Flush()
}

func orAll(s string) string {
	if s == "" {
		return "(all)"
	}
	return s
}
