// Package suggest finds the known name closest to an unknown one, for the
// "did you mean" of error messages. privacy.Suggest and privacy.DidYouMean
// are its public face; packages the root package imports (lawfulbasis)
// use it directly.
package suggest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Closest returns the name of known closest to name, for a "did you mean"
// in the error about an unknown id (a purpose, a category, a subject or
// recipient kind, a lawful basis, a verb): the one at the smallest edit
// distance, compared without regard to case, if that distance is at most
// a third of name's length (at least 2); failing that, the only known name
// whose last dotted part is name ("email" for "instance.contact.email").
// Ties go to the first in sorted order. It returns "" when no name is
// close, or when name itself is known.
func Closest(name string, known []string) string {
	if name == "" || slices.Contains(known, name) {
		return ""
	}
	lower := strings.ToLower(name)
	best, bestDist := "", max(2, len(name)/3)+1
	var suffix []string
	for _, k := range slices.Sorted(slices.Values(known)) {
		if d := levenshtein.ComputeDistance(lower, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
		if strings.HasSuffix(k, "."+name) {
			suffix = append(suffix, k)
		}
	}
	if best == "" && len(suffix) == 1 {
		best = suffix[0]
	}
	return best
}

// DidYouMean returns ` (did you mean "x"?)` with Closest's answer, or ""
// when it has none: a suffix for an error message.
func DidYouMean(name string, known []string) string {
	if s := Closest(name, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
