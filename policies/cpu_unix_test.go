//go:build unix

package policies

import "syscall"

// processCPU is the CPU time the process has used so far (user and
// system, every thread: the garbage collector's work included), in
// nanoseconds. On a machine shared with other work it moves far less with
// the load than the wall-clock time does.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
