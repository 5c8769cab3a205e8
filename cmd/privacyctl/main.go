// Command privacyctl is the command-line face of the privacykit API: it
// decides requests against a catalog, records consent and subject state in
// SQLite or PostgreSQL, and checks catalogs.
//
// Usage:
//
//	privacyctl decide  [--db FILE|--dsn URL] [--catalog FILE | --bundle DIR|TAR.GZ] [--policy DIR] < request.json
//	privacyctl consent grant    --subject ID --purpose P [--version V] [--method M] [--guardian] [--expires RFC3339]
//	privacyctl consent withdraw --subject ID --purpose P
//	privacyctl consent show     --subject ID
//	privacyctl consent receipt  --record ID
//	privacyctl consent stale    --purpose P [--version V]
//	privacyctl consent expire   [--at RFC3339]
//	privacyctl ledger verify [--head SEQ:HASH]
//	privacyctl subject object   --subject ID (--purpose P | --all-marketing)
//	privacyctl subject restrict|unrestrict|deactivate|reactivate|show --subject ID
//	privacyctl subject lifecycle --subject ID --trigger T [--at RFC3339 | --clear]
//	privacyctl dsar open|verify|extend|run|show|list|instruct|reject ...
//	privacyctl retention plan|sweep|hold|release|holds ...
//	privacyctl catalog check [FILE | --bundle DIR|TAR.GZ]
//	privacyctl catalog print
//	privacyctl catalog ropa [--format markdown|csv|json]
//	privacyctl catalog notice
//	privacyctl catalog diff-notice FILE
//	privacyctl catalog diagram [--format mermaid|dot|svg|png]
//	privacyctl version
//
// Every verb that takes --catalog also takes --bundle: an OPA bundle holding
// catalog.yaml and Rego modules (package privacy.ext.*).
//
// Every stateful verb takes --db FILE (SQLite, created if absent, default
// ./privacy.db) or --dsn postgres://…. Exit status: 0 on success (decide:
// whether allowed or not), 2 on bad input or usage with one line on stderr,
// 1 on any other failure.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// cli holds the streams a verb reads and writes.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type verb struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

func verbs() map[string]map[string]verb {
	return map[string]map[string]verb{
		"decide":  {"": {"decide a request read as JSON on stdin", cmdDecide}},
		"version": {"": {"print the version of privacyctl and the module", cmdVersion}},
		"consent": {
			"grant":    {"record that a subject gave consent for a purpose", cmdConsentGrant},
			"withdraw": {"record that a subject withdrew consent for a purpose", cmdConsentWithdraw},
			"show":     {"show a subject's consent history and current state", cmdConsentShow},
			"receipt":  {"print the consent receipt (Kantara CR v1.1, ISO/IEC 27560) of a record", cmdConsentReceipt},
			"stale":    {"list the subjects who must be asked again after a purpose's material change", cmdConsentStale},
			"expire":   {"record an expiry in the ledger for every consent whose expiry passed", cmdConsentExpire},
		},
		"ledger": {
			"verify": {"walk the consent ledger's hash chain; exit 1 if a record was changed, inserted or removed", cmdLedgerVerify},
		},
		"subject": {
			"object":     {"record an objection to a purpose or to all direct marketing", cmdSubjectObject},
			"restrict":   {"restrict processing of a subject (Art. 18)", cmdSubjectFlag(flagRestrict, true)},
			"unrestrict": {"lift the restriction of a subject", cmdSubjectFlag(flagRestrict, false)},
			"deactivate": {"deactivate a subject's account", cmdSubjectFlag(flagDeactivate, true)},
			"reactivate": {"reactivate a subject's account", cmdSubjectFlag(flagDeactivate, false)},
			"show":       {"show a subject's objections, restriction and deactivation", cmdSubjectShow},
			"lifecycle":  {"record when a retention trigger happened for a subject (account_closed …)", cmdSubjectLifecycle},
		},
		"dsar": {
			"open":     {"record a data-subject request (due one month after receipt)", cmdDSAROpen},
			"verify":   {"record the identity check of a request", cmdDSARVerify},
			"extend":   {"extend a request by up to two months, with a reason", cmdDSARExtend},
			"run":      {"run a request (objection, restriction, deactivation; forward a guest's)", cmdDSARRun},
			"show":     {"show a request with its audit trail", cmdDSARShow},
			"list":     {"list requests (--subject, --status, --overdue)", cmdDSARList},
			"instruct": {"record a controller's instruction on a forwarded request", cmdDSARInstruct},
			"reject":   {"reject a request that has not started", cmdDSARReject},
		},
		"retention": {
			"plan":    {"dry run: what the inventory holds that is due, held or retained, and why", cmdRetentionPlan},
			"sweep":   {"erase what is due, in audited, checkpointed batches", cmdRetentionSweep},
			"hold":    {"place a legal hold on a subject and/or category", cmdRetentionHold},
			"release": {"release a legal hold", cmdRetentionRelease},
			"holds":   {"list the active legal holds", cmdRetentionHolds},
		},
		"catalog": {
			"check":       {"validate a catalog file (default: the embedded reference catalog)", cmdCatalogCheck},
			"print":       {"print the embedded reference catalog, to start a catalog of your own", cmdCatalogPrint},
			"ropa":        {"the record of processing activities (Art. 30) as markdown, csv or json", cmdCatalogROPA},
			"notice":      {"a plain-language privacy notice (Art. 13/14) from the catalog", cmdCatalogNotice},
			"diff-notice": {"compare a published notice text with the catalog; exit 1 on findings", cmdCatalogDiffNotice},
			"diagram":     {"the data-flow diagram as mermaid, dot, svg or png", cmdCatalogDiagram},
		},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "privacyctl: missing command (run privacyctl help)")
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	group, ok := verbs()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "privacyctl: unknown command %q (run privacyctl help)\n", args[0])
		return exitUsage
	}
	name, rest := "", args[1:]
	if _, single := group[""]; !single {
		if len(rest) == 0 {
			fmt.Fprintf(stderr, "privacyctl %s: missing verb (one of %s)\n", args[0], verbNames(group))
			return exitUsage
		}
		name, rest = rest[0], rest[1:]
	}
	v, ok := group[name]
	if !ok {
		fmt.Fprintf(stderr, "privacyctl %s: unknown verb %q (one of %s)\n", args[0], name, verbNames(group))
		return exitUsage
	}
	err := v.run(ctx, c, rest)
	return report(stderr, err)
}

// report prints err as one line and maps it to an exit status.
func report(stderr io.Writer, err error) int {
	var ex *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ex):
		if ex.msg != "" {
			fmt.Fprintln(stderr, oneLine(ex))
		}
		return ex.code
	case isUsage(err):
		fmt.Fprintln(stderr, oneLine(err))
		return exitUsage
	default:
		fmt.Fprintln(stderr, oneLine(err))
		return exitFailure
	}
}
