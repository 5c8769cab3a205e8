// Package hostile holds inputs for tests that attack the module's readers:
// readers that never end, as /dev/zero does, so that a test can show a
// reader stops at its limit (docs/reliability.md, "Limits"), and signed
// bundles to tamper with (docs/extensions.md, "Signed bundles").
package hostile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// Endless returns a reader that never ends, yielding b.
func Endless(b byte) io.Reader { return endless(b) }

type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// Lines returns a reader that never ends, yielding line again and again.
func Lines(line string) io.Reader { return &lines{line: line} }

type lines struct {
	line string
	off  int
}

func (l *lines) Read(p []byte) (int, error) {
	n := copy(p, l.line[l.off:])
	l.off = (l.off + n) % len(l.line)
	return n, nil
}

// SignBundle writes .signatures.json into the bundle directory dir: an
// HS256 JWT signed with secret listing every file of dir with its
// SHA-256, as `opa sign` does, so that tests can then tamper with it.
func SignBundle(dir, secret string) error {
	var files []bundle.FileInfo
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files = append(files, bundle.NewFile(filepath.ToSlash(rel), hex.EncodeToString(sum[:]), string(bundle.SHA256)))
		return nil
	})
	if err != nil {
		return err
	}
	token, err := bundle.GenerateSignedToken(files, bundle.NewSigningConfig(secret, "HS256", ""), "")
	if err != nil {
		return err
	}
	js, err := json.Marshal(map[string]any{"signatures": []string{token}})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".signatures.json"), js, 0o644)
}
