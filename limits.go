package privacy

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
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

// Size limits of every reader of input from outside the process, in
// bytes unless said otherwise. docs/reliability.md ("Limits") lists them
// with the reader each bounds. A reader that meets more fails with a
// *ValidationError (TooLarge) naming the source and the limit, after
// reading at most the limit and one byte more.
const (
	// MaxRequestBytes bounds the JSON DecodeRequest reads: a valid request
	// is a few kilobytes at most (MaxDataKeys keys of MaxIDLength bytes).
	MaxRequestBytes = 1 << 20
	// MaxCatalogBytes bounds a catalog file (LoadCatalog, ParseCatalog,
	// the catalog of a bundle); the reference catalog is 60 KB.
	MaxCatalogBytes = 16 << 20
	// MaxModuleBytes bounds one Rego extension module (a file of a bundle
	// or of a policy directory).
	MaxModuleBytes = 1 << 20
	// MaxBundleBytes bounds a bundle archive (.tar.gz) as stored, before
	// decompression.
	MaxBundleBytes = 32 << 20
	// MaxBundleUnpackedBytes bounds the files of a bundle together,
	// decompressed: a small archive may unpack to gigabytes.
	MaxBundleUnpackedBytes = 64 << 20
	// MaxBundleFiles bounds the number of files (and directories) in a
	// bundle.
	MaxBundleFiles = 1000
	// MaxReceiptBytes bounds a consent receipt read back
	// (consent.ReadReceipt).
	MaxReceiptBytes = 1 << 20
	// MaxCheckpointBytes bounds a ledger checkpoint read back
	// (consent.ReadCheckpoint).
	MaxCheckpointBytes = 4 << 10
	// MaxKeyBytes bounds a key file (privacyctl --bundle-key).
	MaxKeyBytes = 64 << 10
	// MaxTextBytes bounds a text document read whole, such as the privacy
	// notice a catalog is compared with.
	MaxTextBytes = 16 << 20
	// MaxRecordInputBytes bounds the transfers and customers document of
	// a record of processing (accountability.ReadRecordInput).
	MaxRecordInputBytes = 64 << 20
	// MaxDecisionLogBytes bounds a decision log read whole
	// (accountability.ReadDecisionLog), and MaxDecisionLogLineBytes one
	// of its lines.
	MaxDecisionLogBytes     = 64 << 20
	MaxDecisionLogLineBytes = 1 << 20
	// MaxDatasetBytes bounds a dataset file (dsar/sqlsource.Load, Parse):
	// it describes tables, not data, and a service with a thousand columns
	// fits in a tenth of it.
	MaxDatasetBytes = 1 << 20
	// MaxHTTPBodyBytes bounds the body of a request privacyhttp handlers
	// accept; theirs carry no body.
	MaxHTTPBodyBytes = 64 << 10
)

// TooLarge returns the error of a reader whose input goes beyond its
// limit: a *ValidationError (wrapping ErrInvalid) whose message names
// the source, the limit, its unit ("bytes", "files") and the constant
// that sets it, name ("MaxCatalogBytes").
func TooLarge(source string, limit int64, unit, name string) *ValidationError {
	return &ValidationError{Message: fmt.Sprintf("%s is larger than the limit of %d %s (privacy.%s)", source, limit, unit, name)}
}

// ReadLimited reads rd to its end, at most limit bytes. Input that goes on
// beyond the limit is the TooLarge error of source and the constant name,
// after limit+1 bytes were read, so that an endless reader (/dev/zero)
// fails fast and without holding more than the limit.
func ReadLimited(rd io.Reader, source string, limit int64, name string) ([]byte, error) {
	lr := &io.LimitedReader{R: rd, N: limit + 1}
	b, err := io.ReadAll(lr)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	if int64(len(b)) > limit {
		return nil, TooLarge(source, limit, "bytes", name)
	}
	return b, nil
}

// ReadFile reads the file at path as ReadLimited does. A directory is an
// error naming the path; a file whose size is known to exceed limit fails
// before any read.
func ReadFile(path, what string, limit int64, name string) ([]byte, error) {
	source := what + " " + path
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			return nil, fmt.Errorf("read %s: %w", source, errors.New("is a directory"))
		case fi.Mode().IsRegular() && fi.Size() > limit:
			return nil, TooLarge(source, limit, "bytes", name)
		}
	}
	return ReadLimited(f, source, limit, name)
}

// The times a request, a record or a state may hold: after the start of
// 1970 and within what 64-bit nanoseconds since then hold. The policy and
// the stores keep times as nanoseconds since 1970 and read 0 as "none"
// (a consent without expiry), so that a time at or before 1970 would
// silently mean "never expires".
var (
	minTime = time.Unix(0, 1).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// CheckTime returns a *ValidationError naming field when t is not the
// zero time (for an optional time: not set) and is at or before
// 1970-01-01T00:00:00Z or after 2262-04-11T23:47:16Z, the range of 64-bit
// nanoseconds since 1970. Stores call it for the times they keep, and
// Request.Validate for the request's time, so that no time is read as
// "none" and no comparison of times overflows. A required time is
// checked with CheckRequiredTime.
func CheckTime(field string, t time.Time) error {
	if t.IsZero() || (!t.Before(minTime) && !t.After(maxTime)) {
		return nil
	}
	return &ValidationError{Field: field, Message: fmt.Sprintf("must be after %s and before %s, got %s",
		time.Unix(0, 0).UTC().Format(time.RFC3339), maxTime.Format(time.RFC3339), t.Format(time.RFC3339Nano))}
}

// CheckRequiredTime is CheckTime for a time that must be given: the zero
// time is an error naming field.
func CheckRequiredTime(field string, t time.Time) error {
	if t.IsZero() {
		return &ValidationError{Field: field, Message: "is required"}
	}
	return CheckTime(field, t)
}

// checkGivenTime checks a time read from a document: there a zero time
// (0001-01-01T00:00:00Z) was written by someone, and is not "unset".
func checkGivenTime(field string, t time.Time) error {
	if t.IsZero() {
		return &ValidationError{Field: field, Message: "0001-01-01T00:00:00Z is the zero time, not a date: leave the field out if it has no value"}
	}
	return CheckTime(field, t)
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
