package accountability_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
	"github.com/privacykit/privacy/internal/hostile"
)

// TestReadersOfAccountabilityStopAtTheirLimit: a decision log that goes
// on beyond its limit was cut silently at 64 MiB and read as if complete;
// it is an error naming the limit. A record input with a duplicate key is
// refused, not resolved.
func TestReadersOfAccountabilityStopAtTheirLimit(t *testing.T) {
	t.Parallel()
	_, err := accountability.ReadDecisionLog(hostile.Lines(strings.Repeat(" ", 4095) + "\n"))
	if !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), "MaxDecisionLogBytes") {
		t.Errorf("ReadDecisionLog of an endless log = %v, want an error naming MaxDecisionLogBytes", err)
	}
	_, err = accountability.ReadRecordInput(io.MultiReader(strings.NewReader(`{"transfers":[`), hostile.Endless(' ')))
	if !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), "MaxRecordInputBytes") {
		t.Errorf("ReadRecordInput of an endless input = %v, want an error naming MaxRecordInputBytes", err)
	}
	_, err = accountability.ReadRecordInput(strings.NewReader(`{"transfers":[],"Transfers":[]}`))
	if !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("ReadRecordInput with a duplicate key = %v, want a duplicate-key error", err)
	}
}
