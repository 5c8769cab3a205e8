package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocumentedCommands runs every command of the sh blocks of
// docs/cli.md, in order, in an empty directory, so that the documented
// session keeps working. It understands the little shell the document
// uses: `privacyctl ARGS`, `< FILE` and `> FILE`, `echo 'TEXT' > FILE`,
// `VAR=$(privacyctl ARGS)` and "$VAR", and a trailing comment; a comment
// saying "exits N" names the status the command must end with (else 0).
func TestDocumentedCommands(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	vars := map[string]string{}
	ran := 0
	for _, line := range shellLines(t, doc) {
		args, comment := shellWords(t, line.text, vars)
		want := 0
		if m := exitsComment.FindStringSubmatch(comment); m != nil {
			want, _ = strconv.Atoi(m[1])
		}
		var assign, in, out string
		if len(args) > 0 && strings.HasSuffix(args[0], "=$(") {
			assign, args = strings.TrimSuffix(args[0], "=$("), args[1:]
			if len(args) == 0 || args[len(args)-1] != ")" {
				t.Fatalf("cli.md:%d: unclosed $(", line.n)
			}
			args = args[:len(args)-1]
		}
		for i := 0; i < len(args)-1; i++ {
			if args[i] == "<" || args[i] == ">" {
				if args[i] == "<" {
					in = args[i+1]
				} else {
					out = args[i+1]
				}
				args = append(args[:i:i], args[i+2:]...)
				i--
			}
		}
		var stdout string
		switch {
		case len(args) >= 2 && args[0] == "echo":
			stdout = strings.Join(args[1:], " ") + "\n"
		case len(args) >= 1 && args[0] == "privacyctl":
			stdin := ""
			if in != "" {
				b, err := os.ReadFile(in)
				if err != nil {
					t.Fatalf("cli.md:%d: %v", line.n, err)
				}
				stdin = string(b)
			}
			code, o, e := ctl(t, stdin, args[1:]...)
			if code != want {
				t.Fatalf("cli.md:%d: %s\nexit status %d, want %d\nstdout: %s\nstderr: %s", line.n, line.text, code, want, o, e)
			}
			stdout = o
		default:
			t.Fatalf("cli.md:%d: %q: the test runs privacyctl and echo only", line.n, line.text)
		}
		switch {
		case assign != "":
			vars[assign] = strings.TrimSpace(stdout)
		case out != "":
			if err := os.WriteFile(out, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ran++
	}
	if ran < 10 {
		t.Fatalf("ran %d documented commands; the document's sh blocks went missing?", ran)
	}
}

var exitsComment = regexp.MustCompile(`\bexits (\d+)`)

type shellLine struct {
	n    int
	text string
}

// shellLines returns the lines of the sh blocks of doc, continuation
// lines joined, blank lines dropped.
func shellLines(t *testing.T, doc []byte) []shellLine {
	var out []shellLine
	in, n, start := false, 0, 0
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case !in && strings.TrimSpace(l) == "```sh":
			in = true
		case in && strings.TrimSpace(l) == "```":
			in = false
		case in:
			if cur.Len() == 0 {
				start = n
			}
			if s, ok := strings.CutSuffix(l, "\\"); ok {
				cur.WriteString(s)
				continue
			}
			cur.WriteString(l)
			if text := strings.TrimSpace(cur.String()); text != "" {
				out = append(out, shellLine{start, text})
			}
			cur.Reset()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// shellWords splits a command line into words as sh would, expanding
// "$VAR" from vars, and returns the comment after an unquoted #.
// "VAR=$(" and ")" come out as words of their own.
func shellWords(t *testing.T, line string, vars map[string]string) (words []string, comment string) {
	t.Helper()
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	expand := func(s string, i int) int { // s[i] == '$'
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		name := s[i+1 : j]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("%q: $%s is not set", line, name)
		}
		w.WriteString(v)
		inWord = true
		return j
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			i++
		case c == '#' && !inWord:
			return words, strings.TrimSpace(line[i+1:])
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				t.Fatalf("%q: unclosed quote", line)
			}
			w.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 2
		case c == '"':
			i++
			inWord = true
			for i < len(line) && line[i] != '"' {
				if line[i] == '$' {
					i = expand(line, i)
					continue
				}
				w.WriteByte(line[i])
				i++
			}
			i++
		case c == '$' && strings.HasPrefix(line[i:], "$("):
			w.WriteString("$(")
			inWord = true
			flush()
			i += 2
		case c == '$':
			i = expand(line, i)
		case c == ')' || c == '<' || c == '>':
			flush()
			words = append(words, string(c))
			i++
		default:
			w.WriteByte(c)
			inWord = true
			i++
		}
	}
	flush()
	return words, ""
}
