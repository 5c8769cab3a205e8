package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/retention"

	"github.com/spf13/pflag"
)

// The data-subject request verbs. `dsar run` completes objection,
// restriction and deactivation requests and forwards guests' requests; with
// --dataset it runs access, portability, rectification and erasure over the
// tables a dataset file describes (package dsar/sqlsource), with the
// deadlines, holds and audit trail of the Go API. Services that hold data
// elsewhere plug their sources in through the Go API.

// dsarEnv opens the stores and builds a Desk on them.
type dsarEnv struct {
	sf          storeFlags
	pf          policyFlags
	dataset     datasetFlags    // registered by the verbs that run sources
	disclosures disclosureFlags // registered by dsar run
	id          string
}

// disclosureFlags name the decision log in which dsar run finds the
// recipients of a subject's data, to list for notification (Art. 19).
type disclosureFlags struct {
	log, keyFile string
}

func (f *disclosureFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.log, "decision-log", "", "decision log `file` (policies.WithDecisionLog, JSON lines) in which to find the recipients a rectification, erasure or restriction is told to (Art. 19) and an access answer names (Art. 15(1)(c)); without it, the catalog's kinds of recipient")
	fs.StringVar(&f.keyFile, "decision-log-key-file", "", "`file` holding the decision log's key, hex (required with --decision-log)")
}

// option returns the Desk option that reads the decision log, or none.
func (f *disclosureFlags) option() ([]dsar.Option, error) {
	if f.log == "" {
		if f.keyFile != "" {
			return nil, usagef("--decision-log-key-file needs --decision-log")
		}
		return nil, nil
	}
	if f.keyFile == "" {
		return nil, usagef("--decision-log needs --decision-log-key-file: the log names subjects by a keyed pseudonym")
	}
	if _, err := os.Stat(f.log); err != nil {
		return nil, usagef("--decision-log: %v%s", err, missingFileHint(f.log, err))
	}
	raw, err := privacy.ReadFile(f.keyFile, "decision log key", privacy.MaxKeyBytes, "MaxKeyBytes")
	if err != nil {
		return nil, usagef("--decision-log-key-file: %v%s", err, missingFileHint(f.keyFile, err))
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < 16 {
		return nil, usagef("--decision-log-key-file %s: want the key as at least 32 hex digits", f.keyFile)
	}
	return []dsar.Option{dsar.WithDisclosures(accountability.DisclosureLog{Path: f.log, Key: key})}, nil
}

func (d *dsarEnv) register(fs *pflag.FlagSet, withID bool) {
	d.sf.register(fs)
	d.registerRest(fs, withID)
}

// registerRead registers the flags of a verb that only reads requests.
func (d *dsarEnv) registerRead(fs *pflag.FlagSet, withID bool) {
	d.sf.registerRead(fs)
	d.registerRest(fs, withID)
}

func (d *dsarEnv) registerRest(fs *pflag.FlagSet, withID bool) {
	d.pf.registerCatalog(fs)
	if withID {
		fs.StringVar(&d.id, "id", "", "request `id` (required)")
	}
}

func (d *dsarEnv) open(ctx context.Context, c *cli) (*dsar.Desk, func() error, error) {
	return d.openMode(ctx, c, modeWrite)
}

func (d *dsarEnv) openRead(ctx context.Context, c *cli) (*dsar.Desk, func() error, error) {
	return d.openMode(ctx, c, modeRead)
}

func (d *dsarEnv) openMode(ctx context.Context, c *cli, mode int) (*dsar.Desk, func() error, error) {
	cat, err := d.pf.loadCatalog()
	if err != nil {
		return nil, nil, err
	}
	if mode == modeWrite && d.sf.create {
		mode = modeCreate
	}
	st, err := d.sf.openMode(ctx, mode)
	if err != nil {
		return nil, nil, err
	}
	// What erasure keeps: the catalog's statutory holds and the legal holds
	// recorded with `retention hold`, never the catalog alone.
	holds := &retention.ErasureHolds{Catalog: cat, Holds: st.retention}
	sources, closeSources, err := d.dataset.options(ctx, cat, &d.sf, holds)
	if err != nil {
		st.close()
		return nil, nil, err
	}
	logged, err := d.disclosures.option()
	if err != nil {
		st.close()
		closeSources()
		return nil, nil, err
	}
	sources = append(sources, logged...)
	opts := append([]dsar.Option{
		dsar.WithCatalog(cat),
		dsar.WithHolds(holds),
		dsar.WithNotifier(dsar.NotifierFunc(func(ctx context.Context, r dsar.Request) error {
			// The request id names the request; the subject id stays out of the log.
			fmt.Fprintf(c.stderr, "privacyctl: forward request %s (%s) to controller %s\n", r.ID, r.Kind, r.Subject.Controller)
			return nil
		}))}, sources...)
	desk := dsar.NewDesk(st.requests, st.subjects, opts...)
	return desk, func() error { return errors.Join(closeSources(), st.close()) }, nil
}

func cmdDSAROpen(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, false)
	kind := fs.String("kind", "", "request kind: access, portability, rectification, erasure, restriction, objection, deactivation (required)")
	subjectID := fs.String("subject", "", "subject `id` (required)")
	subjectKind := fs.String("subject-kind", string(privacy.SubjectUser), "subject kind in the catalog")
	controller := fs.String("controller", "", "the controller, for a subject kind whose data the operator processes for others")
	by := fs.String("by", "", "who asked (default: the subject)")
	channel := fs.String("channel", "cli", "how the request arrived")
	categories := fs.String("categories", "", "comma-separated catalog categories to narrow the request to")
	purposes := fs.String("purposes", "", "comma-separated purposes objected to")
	allMarketing := fs.Bool("all-marketing", false, "an objection to all direct marketing")
	note := fs.String("note", "", "free text")
	var corrections []dsar.Correction
	fs.Func("correct", "a rectification's `CATEGORY=VALUE` (repeat for several)", func(v string) error {
		cat, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(cat) == "" {
			return fmt.Errorf("want CATEGORY=VALUE, got %q", v)
		}
		corrections = append(corrections, dsar.Correction{Category: strings.TrimSpace(cat), Value: val})
		return nil
	})
	printID := fs.Bool("print-id", false, "print only the new request's id (for scripts)")
	return func(ctx context.Context, args []string) error {
		if err := required("kind", *kind, "subject", *subjectID); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		req := dsar.Request{
			Kind:            dsar.Kind(*kind),
			Subject:         privacy.Subject{ID: *subjectID, Kind: privacy.SubjectKind(*subjectKind), Controller: *controller},
			RequestedBy:     *by,
			Channel:         *channel,
			Categories:      splitList(*categories),
			Purposes:        splitList(*purposes),
			DirectMarketing: *allMarketing,
			Corrections:     corrections,
			Note:            *note,
		}
		if req.RequestedBy == "" {
			req.RequestedBy = *subjectID
		}
		r, err := desk.Open(ctx, req)
		if err != nil {
			return err
		}
		if *printID {
			_, err = fmt.Fprintln(c.stdout, r.ID)
			return err
		}
		return c.print(r)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cmdDSARVerify(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	method := fs.String("method", "", "how identity was checked: email_link, login_session, id_document … (required)")
	by := fs.String("by", "", "the operator who checked (required)")
	note := fs.String("note", "", "free text")
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id, "method", *method, "by", *by); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Verify(ctx, env.id, dsar.Evidence{Method: *method, By: *by, Note: *note})
		if err != nil {
			return err
		}
		if err := c.print(r); err != nil {
			return err
		}
		if r.Verification.Status != dsar.VerificationPassed {
			return &exitError{code: exitFailure, msg: "identity verification did not pass: nothing will be exported or erased"}
		}
		return nil
	}
}

func cmdDSARExtend(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	months := fs.Int("months", 2, "further months, 1 or 2 (Art. 12(3))")
	reason := fs.String("reason", "", "why the request is complex or numerous (required)")
	by := fs.String("by", "", "who extends (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id, "reason", *reason, "by", *by); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Extend(ctx, env.id, *months, *reason, *by)
		if err != nil {
			return err
		}
		return c.print(r)
	}
}

func cmdDSARRun(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	env.dataset.register(fs)
	env.disclosures.register(fs)
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Run(ctx, env.id)
		if errors.Is(err, dsar.ErrNoSource) {
			return usagef("dsar run %s: the %s request runs over the services' data and no --dataset describes their tables: give --dataset FILE (docs/datasets.md), or run it from a service that registers its sources (dsar.WithSource); the request is left %s", env.id, r.Kind, r.Status)
		}
		if err != nil {
			return err
		}
		return c.print(r)
	}
}

// dsarReader builds a verb that only reads: it prints what get returns for
// the request --id.
func dsarReader(get func(ctx context.Context, d *dsar.Desk, id string) (any, error)) func(*cli, *pflag.FlagSet) runFunc {
	return func(c *cli, fs *pflag.FlagSet) runFunc {
		var env dsarEnv
		env.registerRead(fs, true)
		return func(ctx context.Context, args []string) error {
			if err := required("id", env.id); err != nil {
				return err
			}
			desk, closeFn, err := env.openRead(ctx, c)
			if err != nil {
				return err
			}
			defer closeFn()
			v, err := get(ctx, desk, env.id)
			if err != nil {
				return err
			}
			return c.print(v)
		}
	}
}

// cmdDSARExport prints the answer to a completed access or portability
// request: the subject's records and the Art. 15 information (JSON), or
// its summary (-o text).
var cmdDSARExport = dsarReader(func(ctx context.Context, d *dsar.Desk, id string) (any, error) { return d.Export(ctx, id) })

// cmdDSARShow prints a request with its audit trail.
var cmdDSARShow = dsarReader(func(ctx context.Context, d *dsar.Desk, id string) (any, error) { return d.Request(ctx, id) })

// cmdDSARRecipients prints the recipients a completed rectification,
// erasure or restriction is to be told of, and whether each was (Art. 19);
// it is the list the subject is given when they ask.
var cmdDSARRecipients = dsarReader(func(ctx context.Context, d *dsar.Desk, id string) (any, error) { return d.Recipients(ctx, id) })

// cmdDSARNotify records that a recipient of a completed rectification,
// erasure or restriction was told, or with --exempt why it is not
// (impossible or disproportionate effort, Art. 19).
func cmdDSARNotify(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	recipient := fs.String("recipient", "", "the recipient, as dsar recipients names it: its id, or kind:KIND (required)")
	by := fs.String("by", "", "who told it (required)")
	exempt := fs.String("exempt", "", "instead: why telling it is impossible or involves disproportionate effort")
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id, "recipient", *recipient, "by", *by); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Notify(ctx, env.id, *recipient, *by, *exempt)
		if err != nil {
			return err
		}
		return c.print(r.Notices)
	}
}

// cmdDSAROffboard carries out a customer's choice when its contract ends
// (Art. 28(3)(g)): its guest data in the --dataset's tables returned
// (printed in the offboarding record) and deleted, or deleted.
func cmdDSAROffboard(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, false)
	env.dataset.register(fs)
	controller := fs.String("controller", "", "the customer whose contract ended: the controller of the data (required)")
	kind := fs.String("subject-kind", string(privacy.SubjectGuest), "the subject kind the operator processes for customers")
	ret := fs.Bool("return", false, "the customer chose to have its data returned: export it into the record, then delete it")
	del := fs.Bool("delete", false, "the customer chose deletion")
	by := fs.String("by", "", "who acts on the customer's choice (required)")
	reference := fs.String("reference", "", "the customer's instruction: termination notice, ticket")
	return func(ctx context.Context, args []string) error {
		if err := required("controller", *controller, "by", *by); err != nil {
			return err
		}
		if *ret == *del {
			return usagef("give exactly one of --return or --delete: the customer's choice (Art. 28(3)(g))")
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Offboard(ctx, dsar.Offboarding{Controller: *controller, Kind: privacy.SubjectKind(*kind), Return: *ret, By: *by, Reference: *reference})
		if errors.Is(err, dsar.ErrNoSource) && r.ID == "" {
			return usagef("dsar offboard: the customer's data is in the services' tables and no --dataset describes them: give --dataset FILE (docs/datasets.md)")
		}
		if err != nil && r.ID == "" {
			return err
		}
		if perr := c.print(r); perr != nil {
			return perr
		}
		return err
	}
}

// cmdDSARReturned records that an offboarding's returned data was handed
// over, and deletes the copy the record held.
func cmdDSARReturned(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	by := fs.String("by", "", "who handed the data over (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id, "by", *by); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Returned(ctx, env.id, *by)
		if err != nil {
			return err
		}
		return c.print(r)
	}
}

func cmdDSARList(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.registerRead(fs, false)
	subjectID := fs.String("subject", "", "only this subject's requests")
	status := fs.String("status", "", "only requests in this status")
	overdue := fs.Bool("overdue", false, "only open requests past their due date")
	return func(ctx context.Context, args []string) error {
		if st := dsar.Status(*status); st != "" && !st.Valid() {
			return usagef("--status: unknown status %q (want received, verified, in_progress, blocked, forwarded, completed or rejected)", *status)
		}
		desk, closeFn, err := env.openRead(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		var list []dsar.Request
		if *overdue {
			list, err = desk.Overdue(ctx)
		} else {
			list, err = desk.List(ctx, dsar.Filter{SubjectID: *subjectID, Status: dsar.Status(*status)})
		}
		if err != nil {
			return err
		}
		if list == nil {
			list = []dsar.Request{}
		}
		return c.print(list)
	}
}

func cmdDSARInstruct(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	by := fs.String("by", "", "who at the controller instructed (required)")
	proceed := fs.Bool("proceed", false, "fulfil the forwarded request")
	decline := fs.Bool("decline", false, "decline the forwarded request")
	reference := fs.String("reference", "", "the controller's reference")
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id, "by", *by); err != nil {
			return err
		}
		if *proceed == *decline {
			return usagef("give exactly one of --proceed or --decline")
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Instruct(ctx, env.id, dsar.Instruction{By: *by, Proceed: *proceed, Reference: *reference})
		if err != nil {
			return err
		}
		return c.print(r)
	}
}

// deskNote builds a verb that moves the request --id on with a text (a
// reason, a note) and the operator's name: dsar reject and dsar resume.
func deskNote(textFlag, textUsage, byUsage string, step func(d *dsar.Desk, ctx context.Context, id, text, by string) (dsar.Request, error)) func(*cli, *pflag.FlagSet) runFunc {
	return func(c *cli, fs *pflag.FlagSet) runFunc {
		var env dsarEnv
		env.register(fs, true)
		text := fs.String(textFlag, "", textUsage+" (required)")
		by := fs.String("by", "", byUsage+" (required)")
		return func(ctx context.Context, args []string) error {
			if err := required("id", env.id, textFlag, *text, "by", *by); err != nil {
				return err
			}
			desk, closeFn, err := env.open(ctx, c)
			if err != nil {
				return err
			}
			defer closeFn()
			r, err := step(desk, ctx, env.id, *text, *by)
			if err != nil {
				return err
			}
			return c.print(r)
		}
	}
}

// cmdDSARReject rejects a request that has not started.
var cmdDSARReject = deskNote("reason", "why (the subject is told, with their right to complain)", "who rejects", (*dsar.Desk).Reject)

// cmdDSARRetire records that a source a request's earlier run used was
// taken out of service and its data destroyed; the next dsar run
// completes the request without it.
func cmdDSARRetire(c *cli, fs *pflag.FlagSet) runFunc {
	var env dsarEnv
	env.register(fs, true)
	source := fs.String("source", "", "the source (a --dataset table's name) taken out of service (required)")
	note := fs.String("note", "", "how its data ceased to exist, for the trail (required)")
	by := fs.String("by", "", "who retires it (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("id", env.id, "source", *source, "note", *note, "by", *by); err != nil {
			return err
		}
		desk, closeFn, err := env.open(ctx, c)
		if err != nil {
			return err
		}
		defer closeFn()
		r, err := desk.Retire(ctx, env.id, *source, *note, *by)
		if err != nil {
			return err
		}
		return c.print(r)
	}
}

// cmdDSARResume returns a blocked request (a step of the desk's own that
// could not proceed, Request.Blocked) to where it stood, once the operator
// has removed the cause; the next dsar run retries the step.
var cmdDSARResume = deskNote("note", "what was done about the cause, for the trail", "who resumes it", (*dsar.Desk).Resume)
