package privacy

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers test with errors.Is. Errors returned by this
// module wrap one of them where the condition is one a caller can act on.
var (
	// ErrInvalidRequest marks a decision request that is malformed: a
	// missing or unknown field. Decide still returns a denial with the
	// reason code request.invalid alongside it.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrInvalidCatalog marks a catalog file that fails to parse or validate.
	ErrInvalidCatalog = errors.New("invalid catalog")
	// ErrInvalid marks any other input that fails validation (a store
	// record, a command-line flag).
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a lookup of something that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a write that conflicts with what is stored.
	ErrConflict = errors.New("conflict")
	// ErrEvaluation marks a decision that could not be evaluated (policy,
	// store or OPA failure). The decision returned with it is a denial.
	ErrEvaluation = errors.New("decision could not be evaluated")
)

// ValidationError is an input error that names the field at fault. It wraps
// one of the sentinels (ErrInvalidRequest, ErrInvalidCatalog, ErrInvalid),
// so errors.Is works on it, and callers that need the field use errors.As.
type ValidationError struct {
	// Field is the path of the field at fault, such as "recipient.country"
	// or "purposes[marketing.profiling].categories".
	Field string
	// Message says what is wrong with it, in lowercase without trailing
	// punctuation.
	Message string
	// Kind is the sentinel the error wraps; nil means ErrInvalid.
	Kind error
}

// Error returns "field: message".
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Unwrap returns the sentinel the error belongs to.
func (e *ValidationError) Unwrap() error {
	if e.Kind == nil {
		return ErrInvalid
	}
	return e.Kind
}

func invalidRequest(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...), Kind: ErrInvalidRequest}
}

// Error codes returned by ErrorCode. They let any layer map an error to its
// own vocabulary (an exit status, an HTTP status) without string matching.
const (
	EINVALID  = "invalid"
	ENOTFOUND = "not_found"
	ECONFLICT = "conflict"
	EINTERNAL = "internal"
)

// ErrorCode returns the application code of err: EINVALID for validation
// errors, ENOTFOUND, ECONFLICT, and EINTERNAL for anything else, including
// evaluation failures. It returns "" for a nil error.
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalidRequest), errors.Is(err, ErrInvalidCatalog), errors.Is(err, ErrInvalid):
		return EINVALID
	case errors.Is(err, ErrNotFound):
		return ENOTFOUND
	case errors.Is(err, ErrConflict):
		return ECONFLICT
	default:
		return EINTERNAL
	}
}
