// Command privacyctl is the command-line face of the privacykit API: it
// decides requests against a catalog, records consent and subject state in
// SQLite or PostgreSQL, runs data-subject requests and retention sweeps,
// and checks catalogs.
//
// Usage:
//
//	privacyctl init [--db FILE | --dsn URL]
//	privacyctl decide [--db FILE | --dsn URL] [--catalog FILE | --bundle DIR|TAR.GZ] [--policy DIR] < request.json
//	privacyctl audience PURPOSE [--data CAT,...] [--recipient JSON] [--subjects FILE]
//	privacyctl consent grant|withdraw|show|receipt|stale|expire ...
//	privacyctl subject object|unobject|restrict|unrestrict|deactivate|reactivate|lifecycle|assess|show ...
//	privacyctl dsar open|verify|extend|run|show|list|instruct|reject ...
//	privacyctl retention plan|sweep|hold|release|holds ...
//	privacyctl ledger verify [--head SEQ:HASH]
//	privacyctl catalog check|print|ropa|notice|diff-notice|diagram ...
//	privacyctl migrate | version | completion SHELL
//
// Flags go before or after arguments; every verb has --help. Output is
// text on a terminal and JSON otherwise (-o/--output json|text); decide
// prints the decision JSON unless -o text is given. Configuration comes
// from flags or the environment: PRIVACY_DB, PRIVACY_DSN, PRIVACY_CATALOG,
// PRIVACY_BUNDLE, PRIVACY_POLICY, PRIVACY_OUTPUT.
//
// A database is made only by init (or a write verb given --create): a
// --db that names no file is an error. Verbs that only read open the
// database read-only and never migrate it.
//
// Exit status, the same for every verb: 0 success (decide: allowed or
// denied); 1 denied or findings (ledger verify, catalog diff-notice);
// 2 usage or bad input; 3 not found; 4 store or other failure. See
// docs/cli.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/privacykit/privacy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses, the same for every verb.
const (
	exitOK       = 0 // success; decide: allowed or denied
	exitFailure  = 1 // denied or findings: ledger verify, catalog diff-notice
	exitUsage    = 2 // usage or bad input
	exitNotFound = 3 // a record, request, hold or database that does not exist
	exitStore    = 4 // store or other failure
)

// cli holds the streams a verb reads and writes and the output format.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	output         string // "json" or "text"
	outputGiven    bool   // -o or PRIVACY_OUTPUT chose it
}

// runFunc runs a verb with its positional arguments, its flags already
// parsed into the variables its builder registered.
type runFunc func(ctx context.Context, args []string) error

// verb is one command of the table below: a builder registers the verb's
// flags on fs and returns the function that runs it.
type verb struct {
	args    string // positional arguments, for the usage line: "[FILE]"
	maxArgs int
	summary string
	build   func(c *cli, fs *pflag.FlagSet) runFunc
}

// verbs is the command line: command → verb → definition. A command with
// one verb named "" is a verb itself (decide, init, migrate, version).
func verbs() map[string]map[string]verb {
	return map[string]map[string]verb{
		"decide":   {"": {summary: "decide a request read as JSON on stdin; prints the decision JSON", build: cmdDecide}},
		"audience": {"": {args: "PURPOSE", maxArgs: 1, summary: "print the subjects a processing for a purpose is allowed for (a mailing's audience), by the purpose's query plan", build: cmdAudience}},
		"init":     {"": {summary: "create the database (SQLite file or PostgreSQL schema) and apply the migrations", build: cmdInit}},
		"migrate":  {"": {summary: "apply the schema migrations an existing database lacks", build: cmdMigrate}},
		"version":  {"": {summary: "print the version of privacyctl and the module", build: cmdVersion}},
		"consent": {
			"grant":    {summary: "record that a subject gave consent for a purpose", build: cmdConsentGrant},
			"withdraw": {summary: "record that a subject withdrew consent for a purpose", build: cmdConsentWithdraw},
			"show":     {summary: "show a subject's consent history and current state", build: cmdConsentShow},
			"receipt":  {summary: "print the consent receipt (Kantara CR v1.1, ISO/IEC 27560) of a record", build: cmdConsentReceipt},
			"stale":    {summary: "list the subjects who must be asked again after a purpose's material change", build: cmdConsentStale},
			"expire":   {summary: "record an expiry in the ledger for every consent whose expiry passed", build: cmdConsentExpire},
		},
		"ledger": {
			"verify":     {summary: "walk the consent ledger's hash chain (and MACs, with the keys); exit 1 if a record was changed, inserted or removed", build: cmdLedgerVerify},
			"checkpoint": {summary: "sign the keyed ledger's head (count, hash, time) for an auditor to verify a copy against later", build: cmdLedgerCheckpoint},
		},
		"subject": {
			"object":     {summary: "record an objection to a purpose or to all direct marketing", build: cmdSubjectObject},
			"unobject":   {summary: "lift an objection to a purpose or to all direct marketing", build: cmdSubjectUnobject},
			"restrict":   {summary: "restrict processing of a subject (Art. 18)", build: cmdSubjectFlag(flagRestrict, true)},
			"unrestrict": {summary: "lift the restriction of a subject", build: cmdSubjectFlag(flagRestrict, false)},
			"deactivate": {summary: "deactivate a subject's account", build: cmdSubjectFlag(flagDeactivate, true)},
			"reactivate": {summary: "reactivate a subject's account", build: cmdSubjectFlag(flagDeactivate, false)},
			"show":       {summary: "show a subject's objections, restriction and deactivation", build: cmdSubjectShow},
			"lifecycle":  {summary: "record when a retention trigger happened for a subject (account_closed …)", build: cmdSubjectLifecycle},
			"assess":     {summary: "record (or --withdraw) an assessment that compelling grounds override a subject's objection (Art. 21(1))", build: cmdSubjectAssess},
		},
		"dsar": {
			"open":       {summary: "record a data-subject request (due one month after receipt)", build: cmdDSAROpen},
			"verify":     {summary: "record the identity check of a request", build: cmdDSARVerify},
			"extend":     {summary: "extend a request by up to two months, with a reason", build: cmdDSARExtend},
			"run":        {summary: "run a request: objection, restriction, deactivation; access, portability, rectification, erasure over a --dataset's tables; forward a guest's", build: cmdDSARRun},
			"export":     {summary: "the answer to a completed access or portability request: records and Art. 15 information", build: cmdDSARExport},
			"show":       {summary: "show a request with its audit trail", build: cmdDSARShow},
			"recipients": {summary: "the recipients a completed rectification, erasure or restriction is told of, and whether each was (Art. 19)", build: cmdDSARRecipients},
			"offboard":   {summary: "a customer's contract ended: return (--return) and delete, or --delete, its guest data in a --dataset's tables (Art. 28(3)(g))", build: cmdDSAROffboard},
			"returned":   {summary: "record that an offboarding's returned data was handed over, and delete the copy it held", build: cmdDSARReturned},
			"notify":     {summary: "record that a recipient was told of a rectification, erasure or restriction, or --exempt why not (Art. 19)", build: cmdDSARNotify},
			"list":       {summary: "list requests (--subject, --status, --overdue)", build: cmdDSARList},
			"instruct":   {summary: "record a controller's instruction on a forwarded request", build: cmdDSARInstruct},
			"reject":     {summary: "reject a request that has not started", build: cmdDSARReject},
			"resume":     {summary: "return a blocked request to where it stood once its cause is removed; the next run retries", build: cmdDSARResume},
			"retire":     {summary: "record that a source a request used was taken out of service and its data destroyed; the next run completes without it", build: cmdDSARRetire},
		},
		"retention": {
			"plan":    {summary: "dry run: what the inventory holds that is due, held or retained, and why", build: cmdRetentionPlan},
			"sweep":   {summary: "erase what is due, in audited, checkpointed batches", build: cmdRetentionSweep},
			"hold":    {summary: "place a legal hold on a subject and/or category", build: cmdRetentionHold},
			"release": {summary: "release a legal hold", build: cmdRetentionRelease},
			"holds":   {summary: "list the active legal holds", build: cmdRetentionHolds},
		},
		"catalog": {
			"check":       {args: "[FILE]", maxArgs: 1, summary: "validate a catalog file (default: the embedded reference catalog)", build: cmdCatalogCheck},
			"print":       {summary: "print the embedded reference catalog, to start a catalog of your own", build: cmdCatalogPrint},
			"ropa":        {summary: "the record of processing activities (Art. 30) as markdown, csv or json", build: cmdCatalogROPA},
			"notice":      {summary: "a plain-language privacy notice (Art. 13/14) from the catalog", build: cmdCatalogNotice},
			"diff-notice": {args: "FILE", maxArgs: 1, summary: "compare a published notice text with the catalog; exit 1 on findings", build: cmdCatalogDiffNotice},
			"diagram":     {summary: "the data-flow diagram as mermaid, dot, svg or png", build: cmdCatalogDiagram},
		},
	}
}

// run runs privacyctl with args and returns its exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(c)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return report(stderr, err)
}

// newRoot builds the command tree from the verb table.
func newRoot(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "privacyctl",
		Short: "decide, record and audit processing of personal data against a privacy policy",
		Long: `privacyctl decides requests against a privacy catalog, records consent and
subject state in SQLite or PostgreSQL, runs data-subject requests and
retention sweeps, and checks catalogs.

Exit status: 0 success (decide: allowed or denied), 1 denied or findings,
2 usage or bad input, 3 not found, 4 store or other failure.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          unknownVerb,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSubjectFlag(cmd); err != nil {
				return err
			}
			return c.chooseOutput(cmd)
		},
	}
	root.PersistentFlags().StringVarP(&c.output, "output", "o", os.Getenv("PRIVACY_OUTPUT"),
		"output `format`: json or text (default: text on a terminal, json otherwise) [$PRIVACY_OUTPUT]")
	root.SetFlagErrorFunc(flagError)
	root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "text"}, cobra.ShellCompDirectiveNoFileComp))
	groups := verbs()
	for _, name := range sortedKeys(groups) {
		group := groups[name]
		if v, single := group[""]; single {
			root.AddCommand(newVerb(c, name, v))
			continue
		}
		parent := &cobra.Command{
			Use:   name + " VERB",
			Short: name + " verbs: " + strings.Join(sortedKeys(group), ", "),
			Args:  cobra.ArbitraryArgs,
			RunE:  unknownVerb,
		}
		for _, vn := range sortedKeys(group) {
			parent.AddCommand(newVerb(c, vn, group[vn]))
		}
		root.AddCommand(parent)
	}
	// cobra's completion verbs take their writer when they are made.
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	strictBuiltins(root)
	return root
}

// strictBuiltins makes cobra's help and completion commands treat an
// unknown topic or shell as every other verb treats an unknown verb (exit
// 2, with a "did you mean"): by themselves they print help and exit 0.
func strictBuiltins(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		switch sub.Name() {
		case "completion":
			sub.Args = cobra.ArbitraryArgs
			sub.RunE = unknownVerb
		case "help":
			sub.Run = nil
			sub.RunE = func(cmd *cobra.Command, args []string) error {
				target, rest, err := cmd.Root().Find(args)
				switch {
				case err != nil:
					return usagef("%s: %v", cmd.CommandPath(), err)
				case len(rest) > 0 && target.HasSubCommands():
					return unknownVerb(target, rest)
				case len(rest) > 0:
					return usagef("%s: unexpected argument %q", target.CommandPath(), rest[0])
				}
				return target.Help()
			}
		}
	}
}

func newVerb(c *cli, name string, v verb) *cobra.Command {
	cmd := &cobra.Command{
		Use:   strings.TrimSpace(name + " " + v.args),
		Short: v.summary,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > v.maxArgs {
				return usagef("%s: unexpected argument %q", cmd.CommandPath(), args[v.maxArgs])
			}
			return nil
		},
	}
	runF := v.build(c, cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return runF(cmd.Context(), args) }
	completeFromCatalog(cmd)
	return cmd
}

// completeFromCatalog completes the values of the flags that name catalog
// entries (--purpose, --category, --trigger) from the catalog the command
// line names, or the reference catalog.
func completeFromCatalog(cmd *cobra.Command) {
	names := map[string]func(*privacy.Catalog) []string{
		"purpose": func(c *privacy.Catalog) (out []string) {
			for _, p := range c.Purposes {
				out = append(out, p.Key)
			}
			return out
		},
		"category": func(c *privacy.Catalog) (out []string) {
			for _, k := range c.Categories {
				out = append(out, k.Key)
			}
			return out
		},
		"trigger": func(c *privacy.Catalog) (out []string) {
			for _, t := range c.Triggers() {
				out = append(out, string(t))
			}
			return out
		},
	}
	for flag, list := range names {
		if cmd.Flags().Lookup(flag) == nil {
			continue
		}
		cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
			pf := policyFlags{fs: cmd.Flags()}
			if f := cmd.Flags().Lookup("catalog"); f != nil {
				pf.catalog = f.Value.String()
			}
			if f := cmd.Flags().Lookup("bundle"); f != nil {
				pf.bundle = f.Value.String()
			}
			cat, err := pf.loadCatalog()
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			return list(cat), cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// unknownVerb runs for a command line that names no verb of the table:
// no verb at all, or a mistyped one, with suggestions.
func unknownVerb(cmd *cobra.Command, args []string) error {
	verbs := make([]string, 0, len(cmd.Commands()))
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			verbs = append(verbs, sub.Name())
		}
	}
	if len(args) == 0 {
		return usagef("%s: missing verb (one of %s; run %s --help)", cmd.CommandPath(), strings.Join(verbs, ", "), cmd.CommandPath())
	}
	msg := fmt.Sprintf("%s: unknown verb %q", cmd.CommandPath(), args[0])
	if s := privacy.Suggest(args[0], verbs); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	} else {
		msg += fmt.Sprintf(" (one of %s)", strings.Join(verbs, ", "))
	}
	return &usageError{msg}
}

// flagError turns a flag parsing error into a usage error, suggesting the
// nearest flag for an unknown one.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if s := privacy.Suggest(name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", s)
		}
	}
	return usagef("%s: %s (run %s --help)", cmd.CommandPath(), msg, cmd.CommandPath())
}

// checkSubjectFlag refuses a --subject with white space at either end: ids
// are compared exactly, so " u-1" (a pasted id) would record an objection,
// restriction or withdrawal for no one while u-1's processing goes on. The
// error names the flag, not the id.
func checkSubjectFlag(cmd *cobra.Command) error {
	f := cmd.Flags().Lookup("subject")
	if f == nil || !f.Changed {
		return nil
	}
	if v := f.Value.String(); v != strings.TrimSpace(v) {
		return usagef("--subject: the id has white space at its start or end; ids are compared exactly")
	}
	return nil
}

// chooseOutput settles the output format: the flag or PRIVACY_OUTPUT, else
// text on a terminal and JSON for scripts.
func (c *cli) chooseOutput(cmd *cobra.Command) error {
	c.outputGiven = c.output != ""
	switch c.output {
	case "json", "text":
	case "":
		c.output = "json"
		if f, ok := c.stdout.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				c.output = "text"
			}
		}
	default:
		return usagef("--output: want json or text, got %q", c.output)
	}
	return nil
}

// report prints err as one line and maps it to an exit status.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	var ex *exitError
	if !errors.As(err, &ex) || ex.msg != "" {
		fmt.Fprintln(stderr, oneLine(err))
	}
	return code
}

// exitCode maps an error to the exit status of every verb.
func exitCode(err error) int {
	var ex *exitError
	var u *usageError
	switch {
	case errors.As(err, &ex):
		return ex.code
	case errors.As(err, &u):
		return exitUsage
	}
	switch privacy.ErrorCode(err) {
	case privacy.EINVALID, privacy.ECONFLICT:
		return exitUsage
	case privacy.ENOTFOUND:
		return exitNotFound
	}
	return exitStore
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
