package privacy

import "github.com/privacykit/privacy/internal/suggest"

// Suggest returns the name of known closest to name, for a "did you mean"
// in the error about an unknown id (a purpose, a category, a subject or
// recipient kind, a lawful basis, a verb): the one at the smallest edit
// distance, compared without regard to case, if that distance is at most
// a third of name's length (at least 2); failing that, the only known name
// whose last dotted part is name ("email" for "instance.contact.email").
// Ties go to the first in sorted order. It returns "" when no name is
// close, or when name itself is known.
func Suggest(name string, known []string) string { return suggest.Closest(name, known) }

// DidYouMean returns ` (did you mean "x"?)` with Suggest's answer, or ""
// when it has none: a suffix for an error message.
func DidYouMean(name string, known []string) string { return suggest.DidYouMean(name, known) }

// names returns the keys of m as strings, for Suggest.
func names[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	return out
}

// strs returns list as strings, for Suggest.
func strs[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}
