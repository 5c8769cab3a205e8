package policies

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/privacykit/privacy"
)

// Bundle is a policy distributed as an OPA bundle: a catalog and the
// extension modules that go with it. LoadBundle reads one; a Bundle built in
// Go works the same way.
type Bundle struct {
	// Catalog is the catalog to decide over. Required.
	Catalog *privacy.Catalog
	// Modules maps a module's path to its Rego source (v1 syntax, package
	// under privacy.ext). Modules are compiled in path order.
	Modules map[string]string
	// Revision is the bundle manifest's revision, written to the decision
	// log; it may be empty.
	Revision string
}

// LoadOption configures LoadBundle.
type LoadOption func(*loadConfig)

type loadConfig struct {
	verify *bundle.VerificationConfig
}

// WithVerificationKey makes LoadBundle verify the bundle's signature with
// OPA's bundle signing: the bundle must hold a .signatures.json whose JWT
// is signed with key and lists the SHA-256 of every file of the bundle,
// the catalog included. A bundle without it, with a file the signature
// does not list or lists with another hash (tampered), or signed with
// another key is refused. algorithm is a JWS algorithm (RS256, ES256,
// PS256, HS256, …); key is a PEM public key for RS*, PS* and ES*, or the
// shared secret for HS*. Sign a bundle with `opa sign` or
// `opa build --signing-key`.
func WithVerificationKey(algorithm, key string) LoadOption {
	return func(c *loadConfig) {
		// The configured key id makes OPA use this key whatever key id
		// the signature names.
		const id = "privacy"
		c.verify = bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{id: {Key: key, Algorithm: algorithm}}, id, "", nil)
	}
}

// LoadBundle reads an OPA bundle from a directory or a .tar.gz file with
// OPA's bundle loader. The bundle holds the catalog as a file named
// catalog.yaml, catalog.yml or catalog.json at its root, and any number of
// Rego modules (v1 syntax, package privacy.ext.<name>); files ending in
// _test.rego are skipped, and an optional .manifest gives the revision. A
// bundle without a catalog file, with data documents (data.json,
// data.yaml: the engine would ignore them), with a module that does not
// parse, or with a catalog that fails privacy.ParseCatalog is an error;
// a catalog error wraps privacy.ErrInvalidCatalog. LoadBundle does not
// compile the modules: New and Reload do, and reject the bundle if they
// fail.
//
// A bundle is bounded: at most privacy.MaxBundleBytes as an archive,
// privacy.MaxBundleUnpackedBytes for its files together once
// decompressed, privacy.MaxBundleFiles files, and
// privacy.MaxCatalogBytes for any one file; it holds only regular files
// and directories. Beyond a limit LoadBundle fails, naming it, before it
// holds more than the limit in memory.
//
// With WithVerificationKey the bundle's signature is verified. Without
// it, a bundle carrying a .signatures.json is refused: configure the key.
func LoadBundle(ctx context.Context, path string, opts ...LoadOption) (*Bundle, error) {
	var cfg loadConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	var loader bundle.DirectoryLoader
	switch {
	case fi.IsDir():
		if err := checkBundleDir(path); err != nil {
			return nil, fmt.Errorf("load bundle %s: %w", path, err)
		}
		loader = bundle.NewDirectoryLoader(path)
	case fi.Mode().IsRegular():
		if fi.Size() > privacy.MaxBundleBytes {
			return nil, fmt.Errorf("load bundle: %w", privacy.TooLarge("bundle "+path, privacy.MaxBundleBytes, "bytes", "MaxBundleBytes"))
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("load bundle: %w", err)
		}
		defer f.Close()
		if err := checkBundleArchive(f, path); err != nil {
			return nil, fmt.Errorf("load bundle %s: %w", path, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("load bundle %s: %w", path, err)
		}
		// The archive was checked; a file that grows meanwhile is cut.
		loader = bundle.NewTarballLoaderWithBaseURL(io.LimitReader(f, privacy.MaxBundleBytes), path)
	default:
		return nil, fmt.Errorf("load bundle %s: %w", path, errors.New("not a directory or a regular file"))
	}
	loader = loader.WithSizeLimitBytes(privacy.MaxCatalogBytes)
	cl := &catalogLoader{DirectoryLoader: loader}
	rd := bundle.NewCustomReader(cl).WithRegoVersion(ast.RegoV1).WithSizeLimitBytes(privacy.MaxCatalogBytes)
	if cfg.verify != nil {
		rd = rd.WithBundleVerificationConfig(cfg.verify)
	}
	b, err := rd.Read()
	if err != nil {
		if cfg.verify == nil && strings.Contains(err.Error(), "verification key not provided") {
			err = errors.New("the bundle is signed (.signatures.json) but no verification key is configured")
		}
		return nil, fmt.Errorf("load bundle %s: %w", path, err)
	}
	if cl.err != nil {
		return nil, fmt.Errorf("load bundle %s: %w", path, cl.err)
	}
	if cl.name == "" {
		return nil, fmt.Errorf("load bundle %s: no catalog.yaml, catalog.yml or catalog.json at the bundle root", path)
	}
	if len(b.Data) > 0 {
		keys := make([]string, 0, len(b.Data))
		for k := range b.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("load bundle %s: data documents %v are not supported: the engine reads only the catalog file", path, keys)
	}
	cat, err := privacy.ParseCatalog(cl.name, cl.data)
	if err != nil {
		return nil, fmt.Errorf("load bundle %s: %w", path, err)
	}
	out := &Bundle{Catalog: cat, Modules: map[string]string{}, Revision: b.Manifest.Revision}
	for _, m := range b.Modules {
		if strings.HasSuffix(m.Path, "_test.rego") {
			continue
		}
		out.Modules[strings.TrimPrefix(m.Path, "/")] = string(m.Raw)
	}
	return out, nil
}

// checkBundleDir checks a bundle directory against the limits before OPA
// reads it: the number of entries, their total size, and that every entry
// is a regular file or a directory (a symbolic link or a device could
// point at anything, /dev/zero included).
func checkBundleDir(root string) error {
	var files, size int64
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if files++; files > privacy.MaxBundleFiles {
			return privacy.TooLarge("the bundle", privacy.MaxBundleFiles, "files", "MaxBundleFiles")
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file or a directory", p)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if size += fi.Size(); size > privacy.MaxBundleUnpackedBytes {
			return privacy.TooLarge("the unpacked bundle", privacy.MaxBundleUnpackedBytes, "bytes", "MaxBundleUnpackedBytes")
		}
		return nil
	})
}

// checkBundleArchive reads a .tar.gz bundle through once, without keeping
// it, and checks it against the limits: OPA's tarball loader holds every
// file in memory, so a small archive that unpacks to gigabytes must be
// refused before it reads it.
func checkBundleArchive(rd io.Reader, name string) error {
	compressed := &io.LimitedReader{R: rd, N: privacy.MaxBundleBytes + 1}
	gz, err := gzip.NewReader(compressed)
	if err != nil {
		return fmt.Errorf("not a gzip archive: %w", err)
	}
	tr := tar.NewReader(gz)
	var files, size int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if compressed.N <= 0 {
				return privacy.TooLarge("bundle "+name, privacy.MaxBundleBytes, "bytes", "MaxBundleBytes")
			}
			return fmt.Errorf("read archive: %w", err)
		}
		if files++; files > privacy.MaxBundleFiles {
			return privacy.TooLarge("the bundle", privacy.MaxBundleFiles, "files", "MaxBundleFiles")
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir:
		default:
			return fmt.Errorf("%s is not a regular file or a directory", h.Name)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(tr, privacy.MaxBundleUnpackedBytes-size+1))
		if size += n; size > privacy.MaxBundleUnpackedBytes {
			return privacy.TooLarge("the unpacked bundle", privacy.MaxBundleUnpackedBytes, "bytes", "MaxBundleUnpackedBytes")
		}
		if err != nil {
			if compressed.N <= 0 {
				return privacy.TooLarge("bundle "+name, privacy.MaxBundleBytes, "bytes", "MaxBundleBytes")
			}
			return fmt.Errorf("read archive: %w", err)
		}
	}
	return nil
}

// catalogLoader takes a copy of the catalog file from the stream of bundle
// files, since OPA's reader reads only data.json and data.yaml as data,
// and passes it on so that a signature covers it.
type catalogLoader struct {
	bundle.DirectoryLoader
	name string
	data []byte
	err  error
}

func (l *catalogLoader) NextFile() (*bundle.Descriptor, error) {
	d, err := l.DirectoryLoader.NextFile()
	if err != nil {
		return d, err
	}
	p := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(d.Path(), "\\", "/")), "/")
	switch p {
	case "catalog.yaml", "catalog.yml", "catalog.json":
	default:
		return d, nil
	}
	var buf bytes.Buffer
	_, rerr := d.Read(&buf, privacy.MaxCatalogBytes+1)
	d.Close()
	switch {
	case rerr != nil && !errors.Is(rerr, io.EOF):
		l.err = fmt.Errorf("read %s: %w", p, rerr)
	case buf.Len() > privacy.MaxCatalogBytes:
		l.err = privacy.TooLarge(p, privacy.MaxCatalogBytes, "bytes", "MaxCatalogBytes")
	case l.name != "":
		l.err = fmt.Errorf("two catalog files: %s and %s", l.name, p)
	default:
		l.name, l.data = p, buf.Bytes()
	}
	return bundle.NewDescriptor(d.URL(), d.Path(), bytes.NewReader(buf.Bytes())), nil
}

// modules returns the bundle's modules in path order.
func (b *Bundle) modules() []module {
	names := make([]string, 0, len(b.Modules))
	for n := range b.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]module, len(names))
	for i, n := range names {
		out[i] = module{name: n, source: b.Modules[n]}
	}
	return out
}

// WithBundle decides over the bundle's catalog and adds its modules, as
// WithCatalog and WithModule would, and records its revision for the
// decision log.
func WithBundle(b *Bundle) Option {
	return func(o *config) {
		o.catalog = b.Catalog
		o.modules = append(o.modules, b.modules()...)
		o.revision = b.Revision
	}
}

// Reload replaces the engine's policy with the bundle's catalog and
// modules, which replace every module given to New. It validates the
// catalog and compiles the policy fully before it swaps the policy in one
// atomic step, with the next generation; on any error the running policy
// stays and keeps deciding. A Decide running during Reload uses either the
// old or the new policy from start to end, never a mix, and none waits
// for the compilation. Concurrent Reloads are serialised.
func (e *Engine) Reload(ctx context.Context, b *Bundle) error {
	if b == nil || b.Catalog == nil {
		return fmt.Errorf("policies: reload: %w", &privacy.CatalogError{Message: "the bundle has no catalog"})
	}
	if err := b.Catalog.Validate(); err != nil {
		return fmt.Errorf("policies: reload: %w", err)
	}
	e.reloading.Lock()
	defer e.reloading.Unlock()
	old := e.policy.Load()
	p, err := compile(ctx, b.Catalog, b.modules(), old.generation+1)
	if err != nil {
		return fmt.Errorf("policies: reload: %w", err)
	}
	p.revision = b.Revision
	e.policy.Store(p)
	e.log.Info("privacy policy reloaded", "policy_version", b.Catalog.PolicyVersion,
		"catalog_hash", b.Catalog.Hash(), "revision", b.Revision, "generation", p.generation)
	return nil
}

// Generation returns the generation of the policy in use: 1 after New,
// one more after each successful Reload. A decision cache keys on it.
func (e *Engine) Generation() uint64 { return e.policy.Load().generation }

// WatchBundle polls the bundle at path every interval and reloads the
// engine when the bundle's modification time or size changes (for a
// directory, of any file in it). A bundle that fails to load or compile is
// logged to the engine's logger and skipped; the running policy stays. It
// returns when ctx is done, with ctx's error. The first poll only records
// the bundle's state: load the bundle at New with WithBundle. opts are
// LoadBundle's (WithVerificationKey).
func (e *Engine) WatchBundle(ctx context.Context, path string, interval time.Duration, opts ...LoadOption) error {
	if interval <= 0 {
		return fmt.Errorf("policies: watch bundle: interval must be positive, got %v", interval)
	}
	last, _ := bundleStamp(path)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		stamp, err := bundleStamp(path)
		if err != nil {
			e.log.Error("privacy bundle unreadable; keeping the running policy", "path", path, "error", err)
			continue
		}
		if stamp == last {
			continue
		}
		last = stamp
		b, err := LoadBundle(ctx, path, opts...)
		if err == nil {
			err = e.Reload(ctx, b)
		}
		if err != nil {
			e.log.Error("privacy bundle rejected; keeping the running policy", "path", path, "error", err)
		}
	}
}

// bundleStamp sums up the modification times and sizes of the files of a
// bundle, so that any change shows.
func bundleStamp(root string) (string, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size()), nil
	}
	var b strings.Builder
	err = walkFiles(root, func(name string, fi os.FileInfo) {
		fmt.Fprintf(&b, "%s:%d/%d;", name, fi.ModTime().UnixNano(), fi.Size())
	})
	return b.String(), err
}

func walkFiles(dir string, fn func(string, os.FileInfo)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, en := range entries {
		p := dir + string(os.PathSeparator) + en.Name()
		if en.IsDir() {
			if err := walkFiles(p, fn); err != nil {
				return err
			}
			continue
		}
		fi, err := en.Info()
		if err != nil {
			return err
		}
		fn(p, fi)
	}
	return nil
}
