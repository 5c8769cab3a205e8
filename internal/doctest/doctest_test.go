package doctest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/privacykit/privacy"
)

// root is the module's root directory, seen from this package.
const root = "../.."

// block is a fenced code block of a document.
type block struct {
	file string // relative to the module root
	line int    // of the first line of code
	lang string
	code string
}

// documents returns README.md and docs/*.md, relative to the root.
func documents(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, filepath.ToSlash(strings.TrimPrefix(d, root+string(filepath.Separator))))
	}
	return files
}

// blocks returns the fenced blocks of file.
func blocks(t *testing.T, file string) []block {
	t.Helper()
	f, err := os.Open(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out  []block
		cur  *block
		body strings.Builder
		n    int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		fence := strings.HasPrefix(line, "```")
		switch {
		case fence && cur == nil:
			cur = &block{file: file, line: n + 1, lang: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
			body.Reset()
		case fence && cur != nil && strings.TrimSpace(line) == "```":
			cur.code = body.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: code block never closed", file, cur.line-1)
	}
	return out
}

func TestReadmeIsShort(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 250 {
		t.Errorf("README.md has %d lines, want at most 250: move detail to docs/", n)
	}
}

var packageClause = regexp.MustCompile(`(?m)^package \w+$`)

// TestGoBlocksCompile writes every Go block of the documents into a
// directory of its own inside the module (a name starting with "_" keeps
// it out of ./...) and type-checks them all with one go vet.
func TestGoBlocksCompile(t *testing.T) {
	dir, err := os.MkdirTemp(root, "_doctest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	where := map[string]block{} // package dir name -> block
	var pkgs []string
	for _, file := range documents(t) {
		for _, b := range blocks(t, file) {
			if b.lang != "go" {
				continue
			}
			if !packageClause.MatchString(b.code) {
				t.Errorf("%s:%d: a Go block must be a whole file, starting with its package clause", b.file, b.line)
				continue
			}
			name := fmt.Sprintf("b%d", len(pkgs))
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name, "block.go"), []byte(b.code), 0o644); err != nil {
				t.Fatal(err)
			}
			where[name] = b
			pkgs = append(pkgs, "./"+filepath.Base(dir)+"/"+name)
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("no Go blocks found in the documents")
	}
	cmd := exec.Command("go", append([]string{"vet"}, pkgs...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	// Name the document and line instead of the scratch file.
	pos := regexp.MustCompile(`(?:\./)?` + regexp.QuoteMeta(filepath.Base(dir)) + `/(b\d+)/block\.go:(\d+)`)
	msg := pos.ReplaceAllStringFunc(string(out), func(m string) string {
		sub := pos.FindStringSubmatch(m)
		b := where[sub[1]]
		var n int
		fmt.Sscan(sub[2], &n)
		return fmt.Sprintf("%s:%d", b.file, b.line+n-1)
	})
	t.Errorf("Go blocks of the documentation do not compile (go vet):\n%s", msg)
}

var assignment = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=\S*\s+`)

// TestShellCommandsAreRun requires every command in a sh block to be run
// by a test or by .ci/run.
func TestShellCommandsAreRun(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range documents(t) {
		for _, b := range blocks(t, file) {
			if b.lang != "sh" && b.lang != "bash" && b.lang != "shell" {
				continue
			}
			if file == "docs/cli.md" {
				continue // cmd/privacyctl's TestDocumentedCommands runs every line
			}
			for i, cmd := range commands(b.code) {
				at := fmt.Sprintf("%s:%d", b.file, b.line+i)
				switch {
				case strings.Contains(cmd, "privacyctl"):
					t.Errorf("%s: %q: privacyctl commands go in docs/cli.md, where TestDocumentedCommands runs them", at, cmd)
				case !ranByCI(string(ci), cmd):
					t.Errorf("%s: %q is run neither by a test nor by .ci/run: add it to .ci/run or drop it", at, cmd)
				}
			}
		}
	}
}

// commands returns the command lines of a shell block, comments dropped,
// one per line (a block's line i+1 is index i; blank lines are kept as
// empty strings so that indexes stay line numbers, then skipped).
func commands(code string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(code, "\n"), "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			line = ""
		}
		out = append(out, strings.TrimSpace(line))
	}
	return out
}

// ranByCI reports whether .ci/run runs cmd: the command appears in it as
// written, or without its leading VAR=value assignments when .ci/run
// sets each of those variables.
func ranByCI(ci, cmd string) bool {
	if cmd == "" || strings.Contains(ci, cmd) {
		return true
	}
	rest := cmd
	for {
		m := assignment.FindStringSubmatch(rest)
		if m == nil {
			break
		}
		if !regexp.MustCompile(`(?m)^(export )?` + m[1] + `=`).MatchString(ci) {
			return false
		}
		rest = rest[len(m[0]):]
	}
	return rest != cmd && strings.Contains(ci, rest)
}

// TestReadmeJSON decodes the README's JSON blocks as the contract's types:
// a request with privacy.DecodeRequest, a decision field by field.
func TestReadmeJSON(t *testing.T) {
	var requests, decisions int
	for _, b := range blocks(t, "README.md") {
		if b.lang != "json" {
			continue
		}
		if strings.Contains(b.code, `"allowed"`) {
			dec := json.NewDecoder(strings.NewReader(b.code))
			dec.DisallowUnknownFields()
			var d privacy.Decision
			if err := dec.Decode(&d); err != nil {
				t.Errorf("README.md:%d: not a decision: %v", b.line, err)
			}
			if d.Allowed == (len(d.Reasons) > 0) {
				t.Errorf("README.md:%d: allowed=%v with %d reasons", b.line, d.Allowed, len(d.Reasons))
			}
			decisions++
			continue
		}
		if _, err := privacy.DecodeRequest(strings.NewReader(b.code)); err != nil {
			t.Errorf("README.md:%d: not a request: %v", b.line, err)
		}
		requests++
	}
	if requests == 0 || decisions == 0 {
		t.Errorf("README.md shows %d requests and %d decisions, want both", requests, decisions)
	}
}

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} +(.+)$`)
)

// TestLinks requires every relative link of the documents to name a file
// that exists and, for a link into a Markdown file with #anchor, a
// heading of that file (GitHub's anchors: lower case, punctuation but
// hyphens dropped, spaces as hyphens).
func TestLinks(t *testing.T) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(file string) map[string]bool {
		if a, ok := anchors[file]; ok {
			return a
		}
		b, _ := os.ReadFile(filepath.Join(root, file))
		a := map[string]bool{}
		for _, m := range heading.FindAllStringSubmatch(string(b), -1) {
			a[slug(m[1])] = true
		}
		anchors[file] = a
		return a
	}
	for _, file := range documents(t) {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			linked := file
			if path != "" {
				linked = filepath.ToSlash(filepath.Join(filepath.Dir(file), path))
				if _, err := os.Stat(filepath.Join(root, linked)); err != nil {
					t.Errorf("%s: link %s: %s does not exist", file, target, linked)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(linked, ".md") && !anchorsOf(linked)[anchor] {
				t.Errorf("%s: link %s: %s has no heading #%s", file, target, linked, anchor)
			}
		}
	}
}

// slug is GitHub's anchor for a heading.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
