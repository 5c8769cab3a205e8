package policies

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

// The engine trusts no store: what a store returns is checked to belong to
// the subject asked about, and a store that panics is stopped at the call
// and becomes an error, so that the decision is a denial and the caller
// keeps running.

// errWrongSubject marks state a store returned for another subject than
// the one asked about.
var errWrongSubject = errors.New("the store returned state of another subject")

// storePanic turns a panic of a store into an error. The panic's value is
// not quoted: it may hold personal data.
func storePanic(err *error, store string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s panicked (a %T; the value is withheld, it may hold personal data)", store, r)
	}
}

// readConsent reads the consent state of the subject for the purpose as of
// at, and checks that it is theirs.
func (e *Engine) readConsent(ctx context.Context, subjectID, purpose string, at time.Time) (cs consent.State, err error) {
	defer storePanic(&err, "consent store")
	cs, err = e.consents.State(ctx, subjectID, purpose, at)
	if err != nil {
		return consent.State{}, err
	}
	// A store may leave the ids of an empty answer blank; an answer with
	// an event must name the subject and purpose asked about.
	if (cs.SubjectID != subjectID || cs.Purpose != purpose) && !(cs.Event == "" && cs.SubjectID == "" && cs.Purpose == "") {
		return consent.State{}, fmt.Errorf("read consent: %w", errWrongSubject)
	}
	switch cs.Event {
	case "", consent.Given, consent.Refused, consent.Withdrawn, consent.Expired:
	default:
		return consent.State{}, fmt.Errorf("read consent: unknown event %q", cs.Event)
	}
	if err := privacy.CheckTime("consent.expires_at", cs.ExpiresAt); err != nil {
		return consent.State{}, fmt.Errorf("read consent: %w", err)
	}
	// A version that does not parse is refused, not read as the empty
	// (always stale) version: the store is broken and the error says so.
	if cs.PolicyVersion != "" {
		if err := privacy.CheckPolicyVersion("consent.policy_version", cs.PolicyVersion); err != nil {
			return consent.State{}, fmt.Errorf("read consent: %w", err)
		}
	}
	return cs, nil
}

// readSubject reads the subject's state and checks that it is theirs.
func (e *Engine) readSubject(ctx context.Context, subjectID string) (ss subject.State, err error) {
	defer storePanic(&err, "subject store")
	ss, err = e.readState(ctx, subjectID)
	if err != nil {
		return subject.State{}, err
	}
	if ss.SubjectID != subjectID && !(ss.SubjectID == "" && emptyState(&ss)) {
		return subject.State{}, fmt.Errorf("read subject state: %w", errWrongSubject)
	}
	if !timesInRange(&ss) {
		return subject.State{}, fmt.Errorf("read subject state: %w", ss.CheckTimes())
	}
	return ss, nil
}

// timesInRange reports whether every time of the state is one the facts
// can hold (privacy.CheckTime), without the allocations of CheckTimes,
// which names the bad one.
func timesInRange(ss *subject.State) bool {
	for _, o := range ss.Objections {
		if privacy.CheckTime("", o.At) != nil {
			return false
		}
	}
	for _, a := range ss.Assessments {
		if a.At.IsZero() || privacy.CheckTime("", a.At) != nil {
			return false
		}
	}
	for _, t := range ss.Lifecycle {
		if privacy.CheckTime("", t) != nil {
			return false
		}
	}
	return true
}

func emptyState(ss *subject.State) bool {
	return len(ss.Objections) == 0 && len(ss.Assessments) == 0 && !ss.Restricted && !ss.Deactivated && len(ss.Lifecycle) == 0
}

// redact returns err with every occurrence of the subject id in its text
// replaced by the subject's pseudonym, so that an error the engine returns
// never carries the raw id (stores name the subject in their errors). It
// keeps the chain: errors.Is and errors.As see through it.
func (e *Engine) redact(err error, subjectID string) error {
	if err == nil || subjectID == "" || !strings.Contains(err.Error(), subjectID) {
		return err
	}
	return &redactedError{err: err, text: replaceToken(err.Error(), subjectID, "subject "+Pseudonym(e.pseudoKey, subjectID))}
}

type redactedError struct {
	err  error
	text string
}

func (r *redactedError) Error() string { return r.text }
func (r *redactedError) Unwrap() error { return r.err }

// replaceToken replaces the occurrences of tok in s that stand alone: not
// inside a longer word of letters, digits, '-', '_' or '.', so that a short
// id does not garble the words around it. An occurrence inside quotes
// stands alone.
func replaceToken(s, tok, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, tok)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(tok)
		if (i == 0 || !wordByte(s[i-1])) && (end == len(s) || !wordByte(s[end])) {
			b.WriteString(s[:i])
			b.WriteString(with)
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

func wordByte(c byte) bool {
	return c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
