package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

	"github.com/spf13/pflag"
)

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

// isUsage reports whether err is bad usage or bad input (exit status 2).
func isUsage(err error) bool { return exitCode(err) == exitUsage }

// oneLine returns err's message on one line, prefixed with "privacyctl: "
// unless it names the command already.
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if !strings.HasPrefix(msg, "privacyctl") {
		msg = "privacyctl: " + msg
	}
	return msg
}

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

// pastTimeFlag is timeFlag for the time something happened: a time to
// come is bad input, and why says why.
func pastTimeFlag(name, value, why string) (time.Time, error) {
	t, err := timeFlag(name, value)
	if err == nil && t.After(time.Now()) {
		return time.Time{}, usagef("--%s: %s is in the future: %s", name, t.Format(time.RFC3339), why)
	}
	return t, err
}

// required checks flags given as name, value pairs and names the first
// one that is empty.
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
	fs      *pflag.FlagSet
	db      string
	dsn     string
	create  bool
	keyFile string
}

// register registers --db and --dsn, with their defaults from PRIVACY_DB
// and PRIVACY_DSN, and, for a verb that writes, --create.
func (s *storeFlags) register(fs *pflag.FlagSet) {
	s.registerRead(fs)
	fs.BoolVar(&s.create, "create", false, "make the database if it is absent or has no privacy schema yet (as init does)")
}

// registerRead registers the store flags of a verb that only reads.
func (s *storeFlags) registerRead(fs *pflag.FlagSet) {
	s.fs = fs
	fs.StringVar(&s.db, "db", envOr("PRIVACY_DB", "privacy.db"), "SQLite database `file`; it must exist (privacyctl init makes one) [$PRIVACY_DB]")
	fs.StringVar(&s.dsn, "dsn", os.Getenv("PRIVACY_DSN"), "PostgreSQL `URL` (postgres://...); wins over the default --db, not over a --db given (both given is an error) [$PRIVACY_DSN]")
	fs.StringVar(&s.keyFile, "key-file", os.Getenv("PRIVACY_LEDGER_KEY_FILE"), "the consent ledger's keyring `file` (else $"+consent.EnvKeys+" if set) [$PRIVACY_LEDGER_KEY_FILE]")
}

// keys returns the consent ledger's keyring from --key-file, else from
// PRIVACY_LEDGER_KEYS, and nil when neither is given: an unkeyed ledger
// needs none, and a keyed one refuses to append without it.
func (s *storeFlags) keys() (consent.KeyProvider, error) {
	if s.keyFile != "" {
		kr, err := consent.LoadKeyFile(s.keyFile)
		if err != nil {
			return nil, usagef("--key-file %s: %v%s", s.keyFile, err, missingFileHint(s.keyFile, err))
		}
		return kr, nil
	}
	if os.Getenv(consent.EnvKeys) == "" {
		return nil, nil
	}
	kr, err := consent.KeysFromEnv(consent.EnvKeys)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return kr, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
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
	// keys is the consent ledger's keyring, nil when none was given.
	keys  consent.KeyProvider
	close func() error
}

// engine is the policy engine over the database's consent, subject-state
// and retention-override stores, with the policy flags' options: one
// engine for every verb that decides (decide, audience, consent stale).
func (st *stores) engine(ctx context.Context, opts []policies.Option) (*policies.Engine, error) {
	return policies.New(ctx, append(opts, policies.WithConsents(st.consents), policies.WithSubjects(st.subjects), policies.WithRetentionOverrides(st.retention))...)
}

// Database access modes.
const (
	modeRead   = iota // existing database, read-only, never migrated
	modeWrite         // existing database (or --create), migrated
	modeCreate        // init: created when absent, migrated
)

// open opens the stores for a verb that writes.
func (s *storeFlags) open(ctx context.Context) (*stores, error) {
	mode := modeWrite
	if s.create {
		mode = modeCreate
	}
	return s.openMode(ctx, mode)
}

// openRead opens the stores for a verb that only reads.
func (s *storeFlags) openRead(ctx context.Context) (*stores, error) {
	return s.openMode(ctx, modeRead)
}

func (s *storeFlags) postgres() bool {
	return s.dsn != "" && (s.fs == nil || !s.fs.Changed("db") || s.fs.Changed("dsn"))
}

func (s *storeFlags) openMode(ctx context.Context, mode int) (*stores, error) {
	if s.fs != nil && s.fs.Changed("db") && s.fs.Changed("dsn") {
		// Which database was meant is not for privacyctl to guess.
		return nil, usagef("--db and --dsn: give one")
	}
	keys, err := s.keys()
	if err != nil {
		return nil, err
	}
	if s.postgres() {
		if !strings.HasPrefix(s.dsn, "postgres://") && !strings.HasPrefix(s.dsn, "postgresql://") {
			return nil, usagef("--dsn must be a postgres:// URL")
		}
		open := postgres.Open
		if mode == modeRead {
			open = postgres.OpenReadOnly
		}
		if mode == modeWrite {
			if err := s.requirePrivacySchema(ctx); err != nil {
				return nil, err
			}
		}
		var opts []postgres.Option
		if keys != nil {
			opts = append(opts, postgres.WithLedgerKeys(keys))
		}
		db, err := open(ctx, s.dsn, opts...)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return s.checked(ctx, mode, &stores{consents: db.ConsentStore(), subjects: db.StateStore(), requests: db.RequestStore(),
			retention: db.RetentionStore(), inventory: db.Inventory(), keys: keys, close: db.Close})
	}
	if err := checkDBPath(s.db, mode); err != nil {
		return nil, err
	}
	if mode == modeWrite {
		if err := s.requirePrivacySchema(ctx); err != nil {
			return nil, err
		}
	}
	var opts []sqlite.Option
	if keys != nil {
		opts = append(opts, sqlite.WithLedgerKeys(keys))
	}
	var db *sqlite.DB
	if mode == modeRead {
		db, err = sqlite.OpenReadOnly(ctx, s.db, opts...)
	} else {
		db, err = sqlite.Open(ctx, s.db, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	return s.checked(ctx, mode, &stores{consents: db.ConsentStore(), subjects: db.StateStore(), requests: db.RequestStore(),
		retention: db.RetentionStore(), inventory: db.Inventory(), keys: keys, close: db.Close})
}

// checked returns st opened for mode once a verb that writes is given
// keys that hold the key of the ledger's last record; it closes st and
// fails otherwise.
func (s *storeFlags) checked(ctx context.Context, mode int, st *stores) (*stores, error) {
	if mode == modeRead || st.keys == nil {
		return st, nil
	}
	if err := keysHoldHead(ctx, st.consents, st.keys); err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

// keysHoldHead refuses keys that do not hold the key the ledger's last
// record is sealed with: a --key-file (or $PRIVACY_LEDGER_KEYS) of another
// ledger, or a rotation that replaced the keyring instead of adding a key,
// would chain new records under a key no keyring of this ledger holds, and
// the ledger no longer verifies with its own keys.
func keysHoldHead(ctx context.Context, l consent.Ledger, keys consent.KeyProvider) error {
	head, err := l.Head(ctx)
	if err != nil || head.Seq == 0 {
		return err
	}
	var last consent.Record
	if err := l.Scan(ctx, head.Seq-1, func(r consent.Record) error { last = r; return nil }); err != nil {
		return err
	}
	if last.KeyID == "" {
		return nil
	}
	if _, err := keys.Key(ctx, last.KeyID); err != nil {
		if errors.Is(err, consent.ErrUnknownKey) {
			return usagef("--key-file: the consent ledger's last record is sealed with key %q, which the keys given do not hold: give this ledger's keyring (rotate by adding a key to it, keeping the old ones)", last.KeyID)
		}
		return err
	}
	return nil
}

// checkDBPath checks the SQLite path before SQLite sees it, so that each
// mistake gets an error naming the path and the cause: a missing file
// (unless the verb creates one), a directory, a missing parent directory,
// a file the verb may not read or write.
func checkDBPath(path string, mode int) error {
	if path == "" {
		return usagef("--db must name a file")
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A missing directory is a mistake about the path (exit 4), which
		// init could not mend either; only a missing file in a directory
		// that is there is "no such database".
		dir := filepath.Dir(path)
		dst, derr := os.Stat(dir)
		switch {
		case derr != nil && mode == modeCreate:
			return fmt.Errorf("--db %s: cannot create it: directory %s: %w", path, dir, unwrapPath(derr))
		case derr != nil:
			return fmt.Errorf("--db %s: directory %s: %w", path, dir, unwrapPath(derr))
		case !dst.IsDir() && mode == modeCreate:
			return fmt.Errorf("--db %s: cannot create it: %s is not a directory", path, dir)
		case !dst.IsDir():
			return fmt.Errorf("--db %s: %s is not a directory", path, dir)
		case mode != modeCreate:
			return fmt.Errorf("--db %s: no such database%s (make one with: privacyctl init --db %s): %w", path, siblingHint(path), path, privacy.ErrNotFound)
		}
		return nil
	case err != nil:
		return fmt.Errorf("--db %s: %w", path, unwrapPath(err))
	case st.IsDir():
		return fmt.Errorf("--db %s: is a directory, not a database file", path)
	}
	flag := os.O_RDONLY
	if mode != modeRead {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return fmt.Errorf("--db %s: %w", path, unwrapPath(err))
	}
	return f.Close()
}

// unwrapPath drops the *fs.PathError's own path and operation, which the
// callers' messages already name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// policyFlags choose the catalog and extra Rego modules.
type policyFlags struct {
	fs      *pflag.FlagSet
	catalog string
	policy  string
	bundle  string
	// bundleKey is the file of the key bundles must be signed with, and
	// bundleAlg its JWS algorithm.
	bundleKey, bundleAlg string
}

func (p *policyFlags) register(fs *pflag.FlagSet) {
	p.registerCatalog(fs)
	fs.StringVar(&p.policy, "policy", os.Getenv("PRIVACY_POLICY"), "`dir`ectory of extra Rego modules (package privacy.ext.*) that add denials and obligations [$PRIVACY_POLICY]")
}

// registerCatalog registers the flags that choose a catalog only, for
// verbs that check names against it but decide nothing.
func (p *policyFlags) registerCatalog(fs *pflag.FlagSet) {
	p.fs = fs
	fs.StringVar(&p.catalog, "catalog", os.Getenv("PRIVACY_CATALOG"), "catalog `file` (YAML or JSON; default: the embedded reference catalog) [$PRIVACY_CATALOG]")
	fs.StringVar(&p.bundle, "bundle", os.Getenv("PRIVACY_BUNDLE"), "OPA bundle (`dir`ectory or .tar.gz) with catalog.yaml and Rego modules; replaces --catalog [$PRIVACY_BUNDLE]")
	fs.StringVar(&p.bundleKey, "bundle-key", os.Getenv("PRIVACY_BUNDLE_KEY"), "`file` of the key --bundle must be signed with (.signatures.json, OPA bundle signing): a PEM public key, or the secret for HS256 [$PRIVACY_BUNDLE_KEY]")
	fs.StringVar(&p.bundleAlg, "bundle-key-alg", envOr("PRIVACY_BUNDLE_KEY_ALG", "RS256"), "JWS `algorithm` of --bundle-key (RS256, ES256, PS256, HS256, …) [$PRIVACY_BUNDLE_KEY_ALG]")
}

// source settles --catalog against --bundle: a flag given on the command
// line wins over the other's environment variable; both given is a mistake.
func (p *policyFlags) source() error {
	if p.catalog == "" || p.bundle == "" {
		return nil
	}
	catalogGiven, bundleGiven := p.fs != nil && p.fs.Changed("catalog"), p.fs != nil && p.fs.Changed("bundle")
	switch {
	case catalogGiven && !bundleGiven:
		p.bundle = ""
	case bundleGiven && !catalogGiven:
		p.catalog = ""
	default:
		return usagef("--bundle and --catalog: give one")
	}
	return nil
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
	return nil, undeclaredPurpose(cat, purpose)
}

// loadBundle loads --bundle; a bundle whose catalog is invalid keeps the
// error's privacy.ErrInvalidCatalog, anything else is bad input.
func (p *policyFlags) loadBundle() (*policies.Bundle, error) {
	if err := p.source(); err != nil {
		return nil, err
	}
	var opts []policies.LoadOption
	if p.bundleKey != "" {
		key, err := privacy.ReadFile(p.bundleKey, "bundle key", privacy.MaxKeyBytes, "MaxKeyBytes")
		if err != nil {
			return nil, usagef("--bundle-key: %v%s", err, missingFileHint(p.bundleKey, err))
		}
		opts = append(opts, policies.WithVerificationKey(p.bundleAlg, strings.TrimSpace(string(key))))
	}
	b, err := policies.LoadBundle(context.Background(), p.bundle, opts...)
	if err != nil && !errors.Is(err, privacy.ErrInvalidCatalog) {
		hint := ""
		if _, serr := os.Stat(p.bundle); errors.Is(serr, fs.ErrNotExist) {
			hint = nearestSibling(p.bundle, true)
		}
		return nil, usagef("--bundle: %v%s", err, hint)
	}
	return b, err
}

func (p *policyFlags) loadCatalog() (*privacy.Catalog, error) {
	if err := p.source(); err != nil {
		return nil, err
	}
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
		return nil, usagef("--catalog: %v%s", err, missingFileHint(p.catalog, err)) // unreadable file: bad input
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
			hint := ""
			if errors.Is(err, fs.ErrNotExist) {
				hint = nearestSibling(p.policy, true)
			}
			return nil, usagef("--policy: %v%s", err, hint)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
				continue
			}
			src, err := privacy.ReadFile(filepath.Join(p.policy, name), "policy module", privacy.MaxModuleBytes, "MaxModuleBytes")
			if err != nil {
				return nil, usagef("--policy: %v", err)
			}
			opts = append(opts, policies.WithModule(name, string(src)))
		}
	}
	return opts, nil
}

// undeclaredPurpose is the error for a purpose the catalog does not
// declare, with the nearest declared one.
func undeclaredPurpose(cat *privacy.Catalog, purpose string) error {
	return usagef("--purpose: the catalog declares no purpose %q%s", purpose, privacy.DidYouMean(purpose, cat.PurposeKeys()))
}

// siblingHint returns ` (did you mean "DIR/NAME"?)` for a path that names
// nothing, with the file beside it whose name is nearest (privacy.Suggest),
// or "" when none is near: a mistyped path gets the one meant.
func siblingHint(path string) string { return nearestSibling(path, false) }

// nearestSibling is siblingHint, among directories too when dirs is set
// (for a flag that takes a directory).
func nearestSibling(path string, dirs bool) string {
	dir, base := filepath.Split(path)
	d, err := os.Open(cmp.Or(dir, "."))
	if err != nil {
		return ""
	}
	defer d.Close()
	entries, _ := d.ReadDir(maxHintEntries)
	var names []string
	for _, e := range entries {
		name := e.Name()
		if (e.IsDir() && !dirs) || strings.HasSuffix(name, "-wal") || strings.HasSuffix(name, "-shm") || strings.HasSuffix(name, "-journal") {
			continue
		}
		names = append(names, name)
	}
	if s := privacy.Suggest(base, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", dir+s)
	}
	return ""
}

// maxHintEntries bounds the directory entries siblingHint reads.
const maxHintEntries = 1000

// missingFileHint returns siblingHint(path) when err says that path does
// not exist, else "".
func missingFileHint(path string, err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return siblingHint(path)
	}
	return ""
}

// categoryKeys returns every category key of the catalog, its leaves and
// their parents ("instance.financial"), sorted: what a --data or
// --category may name, for a "did you mean".
func categoryKeys(cat *privacy.Catalog) []string {
	var keys []string
	for _, c := range cat.Categories {
		for key := c.Key; key != ""; {
			keys = append(keys, key)
			i := strings.LastIndexByte(key, '.')
			if i < 0 {
				break
			}
			key = key[:i]
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
