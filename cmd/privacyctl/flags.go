package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/subject"
)

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: privacyctl COMMAND [VERB] [flags]")
	groups := verbs()
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		for _, v := range sortedVerbs(groups[g]) {
			fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(g+" "+v), groups[g][v].summary)
		}
	}
	fmt.Fprintln(w, "Stateful commands take --db FILE (SQLite, default ./privacy.db) or --dsn postgres://...")
	fmt.Fprintln(w, "Run privacyctl COMMAND VERB -h for the flags of a verb.")
}

func sortedVerbs(group map[string]verb) []string {
	out := make([]string, 0, len(group))
	for v := range group {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func verbNames(group map[string]verb) string { return strings.Join(sortedVerbs(group), ", ") }

// exitError carries an exit status chosen by a verb.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u) || privacy.ErrorCode(err) == privacy.EINVALID
}

// oneLine returns err's message on one line, prefixed with "privacyctl: "
// unless it names the command already.
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if !strings.HasPrefix(msg, "privacyctl") {
		msg = "privacyctl: " + msg
	}
	return msg
}

// newFlags returns a flag set that reports errors instead of exiting and
// prints nothing itself: c.parse reports.
func newFlags(c *cli, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("privacyctl "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args. -h prints the verb's flags on stdout (exit 0); a flag
// error, or a stray argument beyond maxArgs, is a usage error of one line.
func (c *cli) parse(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(c.stdout, "Usage of %s:\n", fs.Name())
			fs.SetOutput(c.stdout)
			fs.PrintDefaults()
			return &exitError{code: exitOK}
		}
		return usagef("%s: %v (run %s -h)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > maxArgs {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(maxArgs))
	}
	return nil
}

// required checks flags given as name, value pairs and names the first
// one that is empty.
// timeFlag parses the RFC 3339 value of the flag --name, in UTC; the zero
// time when value is empty.
func timeFlag(name, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, usagef("--%s: want an RFC 3339 time such as 2027-01-31T00:00:00Z, got %q", name, value)
	}
	return t.UTC(), nil
}

func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return usagef("--%s is required", pairs[i])
		}
	}
	return nil
}

// storeFlags are the flags of every stateful verb.
type storeFlags struct {
	db  string
	dsn string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.db, "db", "privacy.db", "SQLite database `file` (created if absent)")
	fs.StringVar(&s.dsn, "dsn", "", "PostgreSQL `URL` (postgres://...); overrides --db")
}

// stores are the opened consent and subject-state stores.
type stores struct {
	consents consent.Ledger
	subjects subject.StateStore
	requests dsar.RequestStore
	// retention and inventory: the retention store and the SQL inventory
	// table services fill with what they hold.
	retention retention.Store
	inventory interface {
		retention.Inventory
		retention.Eraser
	}
	close func() error
}

func (s *storeFlags) open(ctx context.Context) (*stores, error) {
	if s.dsn != "" {
		if !strings.HasPrefix(s.dsn, "postgres://") && !strings.HasPrefix(s.dsn, "postgresql://") {
			return nil, usagef("--dsn must be a postgres:// URL")
		}
		db, err := postgres.Open(ctx, s.dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return &stores{consents: db.ConsentStore(), subjects: db.StateStore(), requests: db.RequestStore(),
			retention: db.RetentionStore(), inventory: db.Inventory(), close: db.Close}, nil
	}
	if s.db == "" {
		return nil, usagef("--db must name a file")
	}
	db, err := sqlite.Open(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", s.db, err)
	}
	return &stores{consents: db.ConsentStore(), subjects: db.StateStore(), requests: db.RequestStore(),
		retention: db.RetentionStore(), inventory: db.Inventory(), close: db.Close}, nil
}

// policyFlags choose the catalog and extra Rego modules.
type policyFlags struct {
	catalog string
	policy  string
	bundle  string
}

func (p *policyFlags) register(fs *flag.FlagSet) {
	p.registerCatalog(fs)
	fs.StringVar(&p.policy, "policy", "", "`dir`ectory of extra Rego modules (package privacy.ext.*) that add denials and obligations")
}

// registerCatalog registers the flags that choose a catalog only, for
// verbs that check names against it but decide nothing.
func (p *policyFlags) registerCatalog(fs *flag.FlagSet) {
	fs.StringVar(&p.catalog, "catalog", "", "catalog `file` (YAML or JSON; default: the embedded reference catalog)")
	fs.StringVar(&p.bundle, "bundle", "", "OPA bundle (`dir`ectory or .tar.gz) with catalog.yaml and Rego modules; replaces --catalog")
}

// declaredPurpose loads the catalog and checks that it declares the
// purpose named by --purpose.
func (p *policyFlags) declaredPurpose(purpose string) (*privacy.Purpose, error) {
	cat, err := p.loadCatalog()
	if err != nil {
		return nil, err
	}
	if pur := cat.Purpose(purpose); pur != nil {
		return pur, nil
	}
	return nil, usagef("--purpose: the catalog declares no purpose %q", purpose)
}

// loadBundle loads --bundle; a bundle whose catalog is invalid keeps the
// error's privacy.ErrInvalidCatalog, anything else is bad input.
func (p *policyFlags) loadBundle() (*policies.Bundle, error) {
	if p.catalog != "" {
		return nil, usagef("--bundle and --catalog: give one")
	}
	b, err := policies.LoadBundle(context.Background(), p.bundle)
	if err != nil && !errors.Is(err, privacy.ErrInvalidCatalog) {
		return nil, usagef("--bundle: %v", err)
	}
	return b, err
}

func (p *policyFlags) loadCatalog() (*privacy.Catalog, error) {
	if p.bundle != "" {
		b, err := p.loadBundle()
		if err != nil {
			return nil, err
		}
		return b.Catalog, nil
	}
	if p.catalog == "" {
		return privacy.DefaultCatalog(), nil
	}
	c, err := privacy.LoadCatalog(p.catalog)
	if err != nil && !errors.Is(err, privacy.ErrInvalidCatalog) {
		return nil, usagef("--catalog: %v", err) // unreadable file: bad input
	}
	return c, err
}

// options returns the engine options for the catalog and modules.
func (p *policyFlags) options() ([]policies.Option, error) {
	var opts []policies.Option
	if p.bundle != "" {
		b, err := p.loadBundle()
		if err != nil {
			return nil, err
		}
		opts = append(opts, policies.WithBundle(b))
	} else {
		cat, err := p.loadCatalog()
		if err != nil {
			return nil, err
		}
		opts = append(opts, policies.WithCatalog(cat))
	}
	if p.policy != "" {
		entries, err := os.ReadDir(p.policy)
		if err != nil {
			return nil, usagef("--policy: %v", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
				continue
			}
			src, err := os.ReadFile(filepath.Join(p.policy, name))
			if err != nil {
				return nil, fmt.Errorf("read policy module: %w", err)
			}
			opts = append(opts, policies.WithModule(name, string(src)))
		}
	}
	return opts, nil
}
