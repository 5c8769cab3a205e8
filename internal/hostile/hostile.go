// Package hostile holds inputs for tests that attack the module's readers:
// readers that never end, as /dev/zero does, so that a test can show a
// reader stops at its limit (docs/reliability.md, "Limits").
package hostile

import "io"

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
