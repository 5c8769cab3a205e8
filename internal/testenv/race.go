//go:build race

package testenv

// Race reports whether the race detector is on; long runs that it would
// slow tenfold keep their quick form under it.
const Race = true
