package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
	"github.com/spf13/pflag"
)

func cmdDecide(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.registerRead(fs)
	pf.register(fs)
	return func(ctx context.Context, args []string) error {
		req, err := privacy.DecodeRequest(c.stdin)
		if err != nil {
			return fmt.Errorf("request on stdin: %w", err)
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
		// The decision is printed whatever happened: a denial with
		// request.invalid for a request that is well-formed JSON but invalid
		// (status 2, the field on stderr), with evaluation.failed for a
		// failure (status 4).
		d, err := eng.Decide(ctx, req)
		if perr := c.printDecision(d); perr != nil {
			return perr
		}
		if err != nil && errors.Is(err, privacy.ErrInvalidRequest) {
			return fmt.Errorf("request on stdin: %w", err)
		}
		if err == nil {
			hintUnknownNames(c.stderr, eng.Catalog(), req, d)
		}
		return err
	}
}

// hintUnknownNames prints, on stderr, the name meant for a purpose or data
// category the decision found unknown, where one is near: a mistyped name
// is a denial (purpose.undeclared, data.unknown_category, exit 0 as SPEC
// has it), which the operator should not take for the policy's answer.
// The decision is the policy's; this only reads its codes.
func hintUnknownNames(w io.Writer, cat *privacy.Catalog, req privacy.Request, d privacy.Decision) {
	if d.Has(privacy.ReasonPurposeUndeclared) {
		if s := privacy.DidYouMean(req.Purpose, cat.PurposeKeys()); s != "" {
			fmt.Fprintf(w, "privacyctl: note: purpose %q is not in the catalog%s\n", req.Purpose, s)
		}
	}
	if d.Has(privacy.ReasonDataUnknownCategory) {
		keys := categoryKeys(cat)
		for _, k := range req.Data {
			if cat.Leaves(k) != nil {
				continue
			}
			if s := privacy.DidYouMean(k, keys); s != "" {
				fmt.Fprintf(w, "privacyctl: note: data category %q is not in the catalog%s\n", k, s)
			}
		}
	}
}

func cmdConsentGrant(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	purpose := fs.String("purpose", "", "purpose `key` (required)")
	version := fs.String("version", "", "policy `version` the subject was shown (default: the purpose's consent_version)")
	method := fs.String("method", consent.MethodCLI, "how consent was collected (checkbox, double_opt_in, guardian, api …)")
	guardian := fs.Bool("guardian", false, "the holder of parental responsibility gave or authorised the consent (Art. 8)")
	expires := fs.String("expires", "", "RFC 3339 `time` at which the consent lapses")
	collectedBy := fs.String("collected-by", "privacyctl", "who or what collected the consent")
	notice := fs.String("notice-hash", "", "SHA-256 of the notice text shown")
	controller := fs.String("controller", "", "controller the consent is given to (default: the catalog's controller)")
	act := fs.String("act", "", "the affirmative act: unticked_box, button, signed_form, recorded_verbal or api (api needs --collected-by); pre-ticked boxes, silence, implied or continued-use consent are refused")
	return func(ctx context.Context, args []string) error {
		// How and by what the consent was collected are its evidence
		// (Art. 7(1)): given empty, they are a mistake, not a default.
		if err := required("subject", *subjectID, "purpose", *purpose, "method", *method, "collected-by", *collectedBy); err != nil {
			return err
		}
		if *method == consent.MethodGuardian && !*guardian {
			// The decision reads --guardian (Art. 8), not the method: a
			// record saying a guardian consented without it would deny
			// a child's processing the operator believes authorised.
			return usagef("--method guardian: give --guardian too, the flag the decision reads for the authorisation of the holder of parental responsibility (Art. 8)")
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		r := consent.Record{
			SubjectID:     *subjectID,
			Purpose:       *purpose,
			PolicyVersion: *version,
			Method:        *method,
			Act:           consent.Act(*act),
			Guardian:      *guardian,
			CollectedBy:   *collectedBy,
			NoticeHash:    *notice,
			Controller:    *controller,
		}
		if r.PolicyVersion == "" {
			// The version the subject was shown: the purpose's last
			// material change, else the policy's. consent.Grant checks
			// the purpose, the version and the act against the catalog.
			r.PolicyVersion = cat.PolicyVersion
			if p := cat.Purpose(*purpose); p != nil && p.ConsentVersion != "" {
				r.PolicyVersion = p.ConsentVersion
			}
		}
		if r.Controller == "" {
			r.Controller = cat.Controller.Name
		}
		if r.ExpiresAt, err = timeFlag("expires", *expires); err != nil {
			return err
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		rec, err := consent.Grant(ctx, st.consents, cat, r)
		if err != nil {
			return err
		}
		return c.print(rec)
	}
}

func cmdConsentWithdraw(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	purpose := fs.String("purpose", "", "purpose `key` (required)")
	via := fs.String("via", "privacyctl", "the `system` through which the subject withdrew (a preference center, support desk …)")
	method := fs.String("method", consent.MethodCLI, "how the withdrawal was made (checkbox, api, email …)")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID, "purpose", *purpose, "via", *via, "method", *method); err != nil {
			return err
		}
		purposeToCheck := *purpose
		if base, _, ok := privacy.ParseTransferConsentPurpose(*purpose); ok {
			// The explicit consent to a transfer (Art. 49(1)(a)) is kept
			// under "transfer.<purpose>.<country>": its purpose is base.
			purposeToCheck = base
		}
		_, undeclared := pf.declaredPurpose(purposeToCheck)
		if undeclared != nil && !isUsage(undeclared) {
			return undeclared
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		// A withdrawal withdraws a consent on record: a purpose since
		// removed from the catalog can still be withdrawn from (Art. 7(3)),
		// but a subject or purpose never consented to is a mistake (a
		// mistyped --subject would be taken for done while the consent of
		// the subject meant stays live). The error names neither subject.
		history, err := st.consents.History(ctx, *subjectID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(history, func(r consent.Record) bool { return r.Purpose == *purpose }) {
			if undeclared != nil {
				return usagef("%v, and the --subject given never consented to it", undeclared)
			}
			return fmt.Errorf("the --subject given has no consent to purpose %q on record, so none to withdraw: %w", *purpose, privacy.ErrNotFound)
		}
		rec, err := consent.Withdraw(ctx, st.consents, consent.Record{SubjectID: *subjectID, Purpose: *purpose, Method: *method, CollectedBy: *via})
		if err != nil {
			return err
		}
		return c.print(rec)
	}
}

// cmdConsentExpire appends an expiry record for every consent that lapsed.
func cmdConsentExpire(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.register(fs)
	atFlag := fs.String("at", "", "RFC 3339 `time`, not in the future, up to which to record expiries (default: now)")
	return func(ctx context.Context, args []string) error {
		// The ledger records what happened: an expiry recorded ahead of
		// its time is a record of something yet to come.
		at, err := pastTimeFlag("at", *atFlag, "an expiry is recorded once it has passed")
		if err != nil {
			return err
		}
		if at.IsZero() {
			at = time.Now().UTC()
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		n, err := consent.RecordExpiries(ctx, st.consents, at)
		if err != nil {
			return err
		}
		return c.print(struct {
			At       time.Time `json:"at"`
			Recorded int       `json:"recorded"`
		}{at, n})
	}
}

func cmdConsentShow(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID); err != nil {
			return err
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		history, err := st.consents.History(ctx, *subjectID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		current := map[string]consent.State{}
		for _, r := range history {
			if _, done := current[r.Purpose]; done {
				continue
			}
			s, err := st.consents.State(ctx, *subjectID, r.Purpose, now)
			if err != nil {
				return err
			}
			current[r.Purpose] = s
		}
		return c.print(struct {
			SubjectID string                   `json:"subject_id"`
			Current   map[string]consent.State `json:"current"`
			History   []consent.Record         `json:"history"`
		}{*subjectID, current, history})
	}
}

func cmdSubjectObject(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	purpose := fs.String("purpose", "", "purpose `key` objected to")
	all := fs.Bool("all-marketing", false, "object to every direct-marketing purpose (Art. 21(2))")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID); err != nil {
			return err
		}
		if (*purpose == "") == !*all {
			return usagef("give exactly one of --purpose or --all-marketing")
		}
		if *purpose != "" {
			if _, err := pf.declaredPurpose(*purpose); err != nil {
				return err
			}
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		if *all {
			err = subject.ObjectToDirectMarketing(ctx, st.subjects, *subjectID)
		} else {
			err = subject.Object(ctx, st.subjects, *subjectID, *purpose)
		}
		if err != nil {
			return err
		}
		return showSubject(ctx, c, st, *subjectID)
	}
}

const (
	flagRestrict   = "restrict"
	flagDeactivate = "deactivate"
)

func cmdSubjectFlag(which string, on bool) func(*cli, *pflag.FlagSet) runFunc {
	return func(c *cli, fs *pflag.FlagSet) runFunc {
		var sf storeFlags
		sf.register(fs)
		subjectID := fs.String("subject", "", "subject `id` (required)")
		return func(ctx context.Context, args []string) error {
			if err := required("subject", *subjectID); err != nil {
				return err
			}
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.close()
			switch {
			case !on:
				// Lifting a restriction or deactivation never recorded is
				// an error (not found), as lifting an objection is: a
				// mistyped --subject is not taken for done.
				err = liftFlag(ctx, st.subjects, *subjectID, which)
			case which == flagRestrict:
				err = subject.SetRestricted(ctx, st.subjects, *subjectID, true)
			default:
				err = subject.SetDeactivated(ctx, st.subjects, *subjectID, true)
			}
			if err != nil {
				return err
			}
			return showSubject(ctx, c, st, *subjectID)
		}
	}
}

// liftFlag lifts the subject's restriction or deactivation, and fails
// with privacy.ErrNotFound, naming no subject, when there is none.
func liftFlag(ctx context.Context, s subject.StateStore, subjectID, which string) error {
	if err := privacy.CheckID("subject_id", subjectID); err != nil {
		return err
	}
	return s.Update(ctx, subjectID, func(st *subject.State) error {
		flag, what := &st.Restricted, "restricted"
		if which == flagDeactivate {
			flag, what = &st.Deactivated, "deactivated"
		}
		if !*flag {
			return fmt.Errorf("the --subject given is not %s: %w", what, privacy.ErrNotFound)
		}
		*flag = false
		return nil
	})
}

// cmdSubjectUnobject lifts an objection: to one purpose, or to all direct
// marketing. Lifting one that was never made is an error (not found), so
// that a mistyped purpose is not taken for done.
func cmdSubjectUnobject(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.register(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	purpose := fs.String("purpose", "", "purpose `key` whose objection to lift")
	all := fs.Bool("all-marketing", false, "lift the objection to all direct marketing")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID); err != nil {
			return err
		}
		if (*purpose == "") == !*all {
			return usagef("give exactly one of --purpose or --all-marketing")
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		err = st.subjects.Update(ctx, *subjectID, func(s *subject.State) error {
			if !s.WithdrawObjection(*purpose) {
				what := "all direct marketing"
				if *purpose != "" {
					// The nearest purpose the subject did object to.
					var objected []string
					for _, o := range s.Objections {
						if o.Purpose != "" {
							objected = append(objected, o.Purpose)
						}
					}
					what = fmt.Sprintf("purpose %q%s", *purpose, privacy.DidYouMean(*purpose, objected))
				}
				return fmt.Errorf("the --subject given has no objection to %s: %w", what, privacy.ErrNotFound)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return showSubject(ctx, c, st, *subjectID)
	}
}

// cmdSubjectAssess records, or with --withdraw removes, the controller's
// assessment that compelling legitimate grounds override a subject's
// objection to a purpose on legitimate interests (Art. 21(1)). subject.Assess
// checks it against the catalog; the policy decides what it lets go on.
func cmdSubjectAssess(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	purpose := fs.String("purpose", "", "purpose `key` the subject objected to (required)")
	by := fs.String("by", "", "who assessed: the person or role accountable for it (required)")
	reason := fs.String("reason", "", "the compelling grounds, and why they override the subject's interests (required)")
	atFlag := fs.String("at", "", "RFC 3339 `time` the assessment was made (default: now)")
	withdraw := fs.Bool("withdraw", false, "withdraw the subject's assessment for the purpose instead: the objection stops the processing again")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID, "purpose", *purpose); err != nil {
			return err
		}
		if *withdraw {
			if *by != "" || *reason != "" || *atFlag != "" {
				return usagef("--withdraw takes only --subject and --purpose")
			}
		} else if err := required("by", *by, "reason", *reason); err != nil {
			return err
		}
		at, err := timeFlag("at", *atFlag)
		if err != nil {
			return err
		}
		if at.IsZero() {
			at = time.Now().UTC()
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		if *withdraw {
			err = subject.WithdrawAssessment(ctx, st.subjects, *subjectID, *purpose)
		} else {
			err = subject.Assess(ctx, st.subjects, cat, *subjectID, subject.Assessment{Purpose: *purpose, By: *by, Reason: *reason, At: at})
		}
		if err != nil {
			return err
		}
		return showSubject(ctx, c, st, *subjectID)
	}
}

// cmdSubjectLifecycle records the time of a retention trigger for a
// subject (account closed, last activity …), from which the catalog's
// retention periods run in decisions (retention.expired).
func cmdSubjectLifecycle(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.register(fs)
	pf.registerCatalog(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	trigger := fs.String("trigger", "", "the retention trigger that happened: account_closed, last_activity … (required)")
	atFlag := fs.String("at", "", "RFC 3339 `time`, not in the future, it happened (default: now)")
	forget := fs.Bool("clear", false, "forget the trigger's time instead (the account was reopened …)")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID, "trigger", *trigger); err != nil {
			return err
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		var triggers []string
		for _, t := range cat.Triggers() {
			triggers = append(triggers, string(t))
		}
		if !slices.Contains(triggers, *trigger) {
			return usagef("--trigger: no retention rule of the catalog runs from %q%s", *trigger, privacy.DidYouMean(*trigger, triggers))
		}
		at, err := pastTimeFlag("at", *atFlag, "a trigger is recorded once it has happened, or the retention clock would start late")
		if err != nil {
			return err
		}
		switch {
		case *forget && at.IsZero():
		case *forget:
			return usagef("give --clear or --at, not both")
		case at.IsZero():
			at = time.Now().UTC()
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		if err := subject.RecordLifecycle(ctx, st.subjects, *subjectID, privacy.Trigger(*trigger), at); err != nil {
			return err
		}
		return showSubject(ctx, c, st, *subjectID)
	}
}

func cmdSubjectShow(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	subjectID := fs.String("subject", "", "subject `id` (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("subject", *subjectID); err != nil {
			return err
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		return showSubject(ctx, c, st, *subjectID)
	}
}

func showSubject(ctx context.Context, c *cli, st *stores, id string) error {
	s, err := st.subjects.State(ctx, id)
	if err != nil {
		return err
	}
	return c.print(s)
}

func cmdCatalogCheck(c *cli, fs *pflag.FlagSet) runFunc {
	bundlePath := fs.String("bundle", "", "check an OPA bundle (`dir`ectory or .tar.gz): its catalog and modules")
	return func(ctx context.Context, args []string) error {
		var (
			cat  *privacy.Catalog
			name = "reference catalog (embedded)"
			err  error
		)
		if *bundlePath != "" {
			if len(args) == 1 {
				return usagef("catalog check: give a FILE or --bundle, not both")
			}
			pf := policyFlags{bundle: *bundlePath}
			opts, err := pf.options()
			if err != nil {
				return err
			}
			if _, err := policies.New(ctx, append(opts, policies.WithMemoryStores())...); err != nil {
				return usagef("--bundle %s: %v", *bundlePath, err)
			}
			cat, _ = pf.loadCatalog()
			return c.printCatalogCheck("bundle "+*bundlePath, cat)
		}
		if len(args) == 1 {
			name = args[0]
			cat, err = privacy.LoadCatalog(name)
			if err != nil {
				return usagef("%v%s", err, missingFileHint(name, err)) // unreadable or invalid: bad input either way
			}
		} else {
			cat = privacy.DefaultCatalog()
		}
		// The engine compiles the catalog into its Rego data: check that too.
		if _, err := policies.New(ctx, policies.WithMemoryStores(), policies.WithCatalog(cat)); err != nil {
			return err
		}
		return c.printCatalogCheck(name, cat)
	}
}

// printCatalogCheck reports a catalog that passed catalog check.
func (c *cli) printCatalogCheck(name string, cat *privacy.Catalog) error {
	return c.printLine(fmt.Sprintf("ok: %s: policy %s, %d subject kinds, %d categories, %d purposes",
		name, cat.PolicyVersion, len(cat.SubjectKinds), len(cat.Categories), len(cat.Purposes)),
		struct {
			OK            bool   `json:"ok"`
			Checked       string `json:"checked"`
			PolicyVersion string `json:"policy_version"`
			SubjectKinds  int    `json:"subject_kinds"`
			Categories    int    `json:"categories"`
			Purposes      int    `json:"purposes"`
		}{true, name, cat.PolicyVersion, len(cat.SubjectKinds), len(cat.Categories), len(cat.Purposes)})
}

func cmdCatalogPrint(c *cli, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		_, err := io.WriteString(c.stdout, strings.TrimLeft(string(privacy.ReferenceCatalogYAML()), "\n"))
		return err
	}
}

func cmdVersion(c *cli, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		return c.printLine("privacyctl "+privacy.Version, struct {
			Version string `json:"version"`
		}{privacy.Version})
	}
}

// cmdInit makes the database: the SQLite file (its directory must exist)
// or, with --dsn, the schema's tables. On an existing database it applies
// the migrations it lacks, as migrate does.
func cmdInit(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	return func(ctx context.Context, args []string) error {
		return openAndReport(ctx, c, &sf, modeCreate, "initialised")
	}
}

// cmdMigrate applies the migrations an existing database lacks; it is the
// only verb besides init and the write verbs that changes the schema.
func cmdMigrate(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	return func(ctx context.Context, args []string) error {
		return openAndReport(ctx, c, &sf, modeWrite, "migrated")
	}
}

func openAndReport(ctx context.Context, c *cli, sf *storeFlags, mode int, done string) error {
	st, err := sf.openMode(ctx, mode)
	if err != nil {
		return err
	}
	if err := st.close(); err != nil {
		return err
	}
	where := sf.db
	if sf.postgres() {
		where = "the PostgreSQL database of --dsn"
	}
	return c.print(struct {
		Database string `json:"database"`
		Schema   string `json:"schema"`
	}{where, done + ": up to date"})
}
