// Package crashtest kills processes with SIGKILL at random points, for the
// crash tests of the stores, the sweep and the data-subject desk
// (docs/reliability.md): a test re-executes its own binary as a child that
// does the work and prints a line for every step whose effect must
// survive, kills it, and checks what the restarted stores hold against the
// lines it printed.
//
// The child side goes in the package's TestMain:
//
//	func TestMain(m *testing.M) {
//		crashtest.Child(map[string]func(arg string){envAppend: appendChild})
//		os.Exit(m.Run())
//	}
package crashtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Child runs the child named by the first variable of children set in the
// environment, with the variable's value as its argument, and exits: 0
// when it returns. It returns without doing anything in the test process
// itself.
func Child(children map[string]func(arg string)) {
	for env, fn := range children {
		if arg := os.Getenv(env); arg != "" {
			fn(arg)
			os.Exit(0)
		}
	}
}

// Die reports a child's error on stderr, where Start shows it, and exits
// with status 2.
func Die(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

// Process is a child started by Start.
type Process struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr strings.Builder
	done   chan struct{}
	err    error
}

// Start runs the test binary as the child env names, with arg.
func Start(t testing.TB, env, arg string) *Process {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+arg)
	p := &Process{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// Lines yields the lines the child prints, until it exits or is killed.
func (p *Process) Lines() <-chan string { return p.lines }

// Kill sends SIGKILL and returns every line the child printed that Lines
// did not yield yet. The child may have exited already.
func (p *Process) Kill() []string {
	p.cmd.Process.Kill() // SIGKILL; an error means it has exited
	return p.Rest()
}

// Rest waits for the child to end and returns the lines Lines did not
// yield.
func (p *Process) Rest() []string {
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	<-p.done
	return rest
}

// Exited reports, after Kill or Rest, whether the child ended by itself
// with status 0 (its work was done before the kill came), and else its
// stderr when it failed rather than being killed.
func (p *Process) Exited() (ok bool, failure string) {
	if p.err == nil {
		return true, ""
	}
	if ee, isExit := p.err.(*exec.ExitError); isExit && ee.ExitCode() == -1 {
		return false, "" // killed
	}
	return false, fmt.Sprintf("%v: %s", p.err, p.stderr.String())
}

// KillAfter collects the child's lines and kills it once the delay has
// passed and it has printed at least min lines. It returns every line the
// child printed; a child that ends first is not killed.
func (p *Process) KillAfter(min int, delay time.Duration) []string {
	timer := time.NewTimer(delay)
	defer timer.Stop()
	due := timer.C
	var out []string
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				<-p.done
				return out
			}
			out = append(out, l)
			if due == nil && len(out) >= min {
				return append(out, p.Kill()...)
			}
		case <-due:
			due = nil
			if len(out) >= min {
				return append(out, p.Kill()...)
			}
		}
	}
}

// KillPoint says when Run kills its child: once it printed Lines lines
// and Delay has passed since it started.
type KillPoint struct {
	Lines int
	Delay time.Duration
}

// Run runs the child env names once, with arg: killed at kill, or to its
// end when kill is nil. It returns the lines the child printed and
// whether it finished by itself before the kill. A child that failed
// fails the test.
func Run(t testing.TB, env, arg string, kill *KillPoint) (lines []string, finished bool) {
	t.Helper()
	child := Start(t, env, arg)
	if kill != nil {
		lines = child.KillAfter(kill.Lines, kill.Delay)
	} else {
		lines = child.Rest()
	}
	finished, failure := child.Exited()
	if failure != "" {
		t.Fatalf("the child failed: %s", failure)
	}
	return lines, finished
}
