package privacy

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a request, a consent record or a subject's state may
// hold. Times are kept and compared as nanoseconds since 1970 in 64 bits
// (in Rego, SQLite and PostgreSQL alike), which hold 1677-09-21 to
// 2262-04-11; identifiers go to databases whose text holds no NUL byte and
// only valid UTF-8.
const (
	// MaxDataKeys bounds the data keys of one request: a catalog has a few
	// dozen categories, and every key costs evaluation time.
	MaxDataKeys = 256
	// MaxIDLength bounds a subject id, a purpose or a data key, in bytes.
	MaxIDLength = 1024
)

var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// CheckTime returns a *ValidationError naming field when t is not the
// zero time and falls outside what 64-bit nanoseconds since 1970 hold.
// Stores call it for the times they keep, and Request.Validate for the
// request's time, so that no comparison of times can overflow.
func CheckTime(field string, t time.Time) error {
	if t.IsZero() || (!t.Before(minTime) && !t.After(maxTime)) {
		return nil
	}
	return &ValidationError{Field: field, Message: fmt.Sprintf("must be between %d and %d, got %s",
		minTime.Year(), maxTime.Year(), t.Format(time.RFC3339Nano))}
}

// CheckID returns a *ValidationError naming field when s is empty or
// blank, longer than MaxIDLength, not valid UTF-8 or holds a NUL byte.
func CheckID(field, s string) error {
	bad := func(msg string) error { return &ValidationError{Field: field, Message: msg} }
	switch {
	case strings.TrimSpace(s) == "":
		return bad("is required")
	case len(s) > MaxIDLength:
		return bad(fmt.Sprintf("is %d bytes long, more than %d", len(s), MaxIDLength))
	case !utf8.ValidString(s):
		return bad("is not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return bad("holds a NUL byte")
	}
	return nil
}
