package privacy

import (
	"fmt"
	"strconv"
	"strings"
)

// PolicyVersion is a parsed policy version: dotted non-negative integers such as
// "1.2" or "1.2.0.0.4", any number of parts. Trailing zero parts do not
// count: "1.2" and "1.2.0" are the same version. It is the one place the
// module parses and compares versions: the catalog, the consent ledger, the
// engine and the command line all go through it, so that they agree for
// every length and form.
//
// The zero PolicyVersion is the empty version, older than every parsed one.
type PolicyVersion struct {
	text  string
	parts []uint64 // without trailing zeros
}

// maxPolicyVersionText bounds the text of a version, so that a hostile one
// cannot make parsing or the Rego fact built from it large.
const maxPolicyVersionText = 64

// ParsePolicyVersion parses a dotted version. It refuses "", an empty part
// ("1..2", ".1", "1."), a sign or a letter ("v1", "1.-2"), a part beyond
// 64 bits and a text longer than 64 bytes, with a *ValidationError whose
// Field is "version" (callers name their own field with FieldError).
func ParsePolicyVersion(s string) (PolicyVersion, error) {
	parts := make([]uint64, 0, strings.Count(s, ".")+1)
	if msg := scanPolicyVersion(s, func(n uint64) { parts = append(parts, n) }); msg != "" {
		return PolicyVersion{}, &ValidationError{Field: "version", Message: msg}
	}
	for len(parts) > 0 && parts[len(parts)-1] == 0 {
		parts = parts[:len(parts)-1]
	}
	return PolicyVersion{text: s, parts: parts}, nil
}

// CheckPolicyVersion returns a *ValidationError naming field unless s is
// a version ParsePolicyVersion accepts. It allocates nothing for a valid
// version, so that state read on every decision can be checked.
func CheckPolicyVersion(field, s string) error {
	if msg := scanPolicyVersion(s, nil); msg != "" {
		return &ValidationError{Field: field, Message: msg}
	}
	return nil
}

// scanPolicyVersion calls part, when not nil, with each dotted number of
// s in order, and returns what is wrong with s, or "" if it is a version.
func scanPolicyVersion(s string, part func(uint64)) string {
	switch {
	case s == "":
		return `must be a dotted version such as "1.2", got ""`
	case len(s) > maxPolicyVersionText:
		return fmt.Sprintf("must be at most %d bytes, got %d", maxPolicyVersionText, len(s))
	}
	rest := s
	for i := 1; ; i++ {
		f, after, more := strings.Cut(rest, ".")
		if f == "" || strings.TrimLeft(f, "0123456789") != "" {
			return fmt.Sprintf("must be dotted numbers such as \"1.2\", got %q (part %d is %q)", s, i, f)
		}
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return fmt.Sprintf("part %d of %q does not fit in 64 bits", i, s)
		}
		if part != nil {
			part(n)
		}
		if !more {
			return ""
		}
		rest = after
	}
}

// MustParsePolicyVersion is ParsePolicyVersion for versions known to be valid; it
// panics on a bad one.
func MustParsePolicyVersion(s string) PolicyVersion {
	v, err := ParsePolicyVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the version as it was written.
func (v PolicyVersion) String() string { return v.text }

// IsZero reports whether v is the empty version.
func (v PolicyVersion) IsZero() bool { return v.text == "" }

// Compare returns -1, 0 or +1 as v is older than, the same as or newer
// than w, part by part as numbers ("1.10" is after "1.9"), a missing part
// counting as 0. The empty version is older than any other.
func (v PolicyVersion) Compare(w PolicyVersion) int {
	if v.IsZero() || w.IsZero() {
		switch {
		case v.IsZero() && w.IsZero():
			return 0
		case v.IsZero():
			return -1
		}
		return 1
	}
	for i := range max(len(v.parts), len(w.parts)) {
		var x, y uint64
		if i < len(v.parts) {
			x = v.parts[i]
		}
		if i < len(w.parts) {
			y = w.parts[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Key returns a text that orders as the version does when compared byte by
// byte, and is the same for equal versions ("1.2" and "1.2.0"): each part
// as 20 digits, zero-padded, joined by ".". The policy engine hands it to
// Rego, whose string order then compares versions of any length correctly.
// The empty version's key is "", before every other.
func (v PolicyVersion) Key() string {
	if v.IsZero() {
		return ""
	}
	var b strings.Builder
	b.Grow(len(v.parts) * 21)
	b.WriteByte('v') // a parsed "0" still sorts after the empty version
	for i, p := range v.parts {
		if i > 0 {
			b.WriteByte('.')
		}
		s := strconv.FormatUint(p, 10)
		b.WriteString(strings.Repeat("0", 20-len(s)))
		b.WriteString(s)
	}
	return b.String()
}

// FieldError returns err with the field of a *ValidationError replaced by
// field, so that a version (or any value) parsed by a shared function is
// reported under the name the caller knows it by.
func FieldError(field string, err error) error {
	if ve, ok := err.(*ValidationError); ok {
		c := *ve
		c.Field = field
		return &c
	}
	return err
}

// ValidVersion reports whether v parses as a version (ParsePolicyVersion).
func ValidVersion(v string) bool {
	return scanPolicyVersion(v, nil) == "" // as ParsePolicyVersion, without its allocation
}
