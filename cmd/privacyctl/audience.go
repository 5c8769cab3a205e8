package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
)

// cmdAudience prints the subjects for whom the policy allows a processing
// for a purpose: the audience of a mailing. Engine.Filter decides them,
// by the purpose's plan in the database where it can (one query per
// thousand subjects) and one by one where the plan cannot say.
func cmdAudience(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.registerRead(fs)
	pf.register(fs)
	data := fs.StringSlice("data", nil, "the data `categories` processed, comma-separated (default: every category the purpose declares)")
	recipient := fs.String("recipient", "", `the recipient as JSON, e.g. '{"id":"mailer","kind":"processor","country":"NL","dpa":true}' (default: none, internal use)`)
	subjectsFile := fs.String("subjects", "", "read the population from this `file` (- for stdin): one JSON subject a line, {\"id\",\"kind\",\"age\",\"country\",\"controller\"} (default, for a purpose whose one basis is consent: the subjects of the consent ledger for the purpose, as users of unknown age and country)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("audience needs one PURPOSE")
		}
		purpose := args[0]
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		p := cat.Purpose(purpose)
		if p == nil {
			return usagef("PURPOSE: the catalog declares no purpose %q%s", purpose, privacy.DidYouMean(purpose, cat.PurposeKeys()))
		}
		if *subjectsFile == "" {
			// The consent ledger lists everyone a purpose can allow only
			// when consent is its one basis: a purpose that may also rest
			// on another basis would get a silently short audience.
			for _, b := range p.BasesFor(privacy.SubjectUser) {
				if b != lawfulbasis.Consent {
					return usagef("--subjects: purpose %q may rest on %s, so the consent ledger does not list all its subjects: give the population with --subjects FILE (- for stdin)", purpose, b)
				}
			}
		}
		req := privacy.Request{Purpose: purpose, Data: *data}
		if len(req.Data) == 0 {
			req.Data = slices.Clone(p.Categories)
		}
		for _, d := range req.Data {
			// A parent key means all its children, as in a request.
			if cat.Leaves(d) == nil {
				return usagef("--data: the catalog declares no category %q%s", d, privacy.DidYouMean(d, categoryKeys(cat)))
			}
		}
		if *recipient != "" {
			// As strict as a request's recipient: unknown, duplicate and
			// trailing keys or data are errors naming the field.
			var r privacy.Recipient
			if err := privacy.DecodeJSON(strings.NewReader(*recipient), "recipient", privacy.MaxRequestBytes, "MaxRequestBytes", &r); err != nil {
				return usagef("--recipient: want a JSON recipient: %v", err)
			}
			req.Recipient = &r
		}
		opts, err := pf.options()
		if err != nil {
			return err
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		eng, err := st.engine(ctx, opts)
		if err != nil {
			return err
		}
		// One moment for the whole run, and the request checked once,
		// before any subject: a bad --data or --recipient is a usage
		// error naming the field.
		req.Time = time.Now().UTC()
		check := req
		check.Subject = privacy.Subject{Kind: privacy.SubjectUser}
		if _, err := eng.Plan(ctx, check); err != nil {
			return err
		}
		var population iter.Seq2[privacy.Subject, error]
		if *subjectsFile != "" {
			in := c.stdin
			if *subjectsFile != "-" {
				f, err := os.Open(*subjectsFile)
				if err != nil {
					return usagef("--subjects: %v%s", err, missingFileHint(*subjectsFile, err))
				}
				defer f.Close()
				in = f
			}
			population = subjectLines(in, func(s privacy.Subject) error {
				// Each line checked as the subject of the request, so
				// that the error names the line as well as the field.
				r := req
				r.Subject = s
				if err := r.Validate(); err != nil {
					return err
				}
				if cat.SubjectKind(s.Kind) == nil {
					var kinds []string
					for _, k := range cat.SubjectKinds {
						kinds = append(kinds, string(k.Kind))
					}
					return fmt.Errorf("subject.kind: unknown subject kind %q%s", s.Kind, privacy.DidYouMean(string(s.Kind), kinds))
				}
				return nil
			})
		} else {
			states, err := st.consents.Latest(ctx, purpose)
			if err != nil {
				return err
			}
			population = func(yield func(privacy.Subject, error) bool) {
				for _, s := range states {
					if !yield(privacy.Subject{ID: s.SubjectID, Kind: privacy.SubjectUser}, nil) {
						return
					}
				}
			}
		}
		ids := []string{}
		for r, err := range eng.Filter(ctx, req, population) {
			if err != nil {
				// The error names the field, never the subject.
				return fmt.Errorf("audience: %w", err)
			}
			ids = append(ids, r.Subject.ID)
		}
		if c.output == "text" {
			for _, id := range ids {
				if _, err := fmt.Fprintln(c.stdout, id); err != nil {
					return err
				}
			}
			return nil
		}
		return printJSON(c.stdout, struct {
			Purpose  string    `json:"purpose"`
			At       time.Time `json:"at"`
			Subjects []string  `json:"subjects"`
		}{purpose, req.Time, ids})
	}
}

// subjectLines reads one JSON subject a line, strictly (privacy.DecodeJSON),
// and checks each with check; an error names the line and the field.
func subjectLines(r io.Reader, check func(privacy.Subject) error) iter.Seq2[privacy.Subject, error] {
	return func(yield func(privacy.Subject, error) bool) {
		sc := bufio.NewScanner(r)
		// A line is a subject: bounded as a request is.
		sc.Buffer(make([]byte, 4096), privacy.MaxRequestBytes)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			var s privacy.Subject
			if err := privacy.DecodeJSON(bytes.NewReader(b), "subject", privacy.MaxRequestBytes, "MaxRequestBytes", &s); err != nil {
				yield(privacy.Subject{}, usagef("--subjects line %d: want a JSON subject: %v", line, err))
				return
			}
			if err := check(s); err != nil {
				yield(privacy.Subject{}, usagef("--subjects line %d: %v", line, err))
				return
			}
			if !yield(s, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("a line is longer than the limit of %d bytes (privacy.MaxRequestBytes)", privacy.MaxRequestBytes)
			}
			yield(privacy.Subject{}, usagef("--subjects line %d: %v", line+1, err))
		}
	}
}
