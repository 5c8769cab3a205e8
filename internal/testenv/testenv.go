// Package testenv holds the one switch for the module's long test runs.
//
// A plain `go test ./...` runs every package's tests in their quick form,
// so that the whole module tests in under a minute on two cores. Long
// differential, soak and crash-loop runs sit behind PRIVACY_LONG_TESTS=1,
// which .ci/run sets:
//
//	PRIVACY_LONG_TESTS=1 go test ./...
package testenv

import "os"

// EnvLong names the environment variable that turns on the long runs.
const EnvLong = "PRIVACY_LONG_TESTS"

// Long reports whether the long test runs are on (PRIVACY_LONG_TESTS=1).
func Long() bool { return os.Getenv(EnvLong) == "1" }

// SkipUnlessLong skips t unless the long runs are on, saying how to turn
// them on.
func SkipUnlessLong(t interface{ Skip(args ...any) }) {
	if !Long() {
		t.Skip("long run: set " + EnvLong + "=1 to run it")
	}
}
