package subject_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

// TestEdgesRefuseWhatNoStoreKeeps: the helpers that record objections and
// lifecycle triggers refuse, naming the field, what a store could not keep
// (PostgreSQL refused a NUL byte with a driver error; memory and SQLite
// kept it) and an objection that is both to all direct marketing and to
// one purpose, which WithdrawObjection could not take back.
func TestEdgesRefuseWhatNoStoreKeeps(t *testing.T) {
	t.Parallel()
	s := memory.NewStateStore()
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"NUL in the purpose", func() error { return subject.Object(t.Context(), s, "u-1", "support\x00") }, "purpose"},
		{"invalid UTF-8 in the purpose", func() error { return subject.Object(t.Context(), s, "u-1", "support\xff") }, "purpose"},
		{"overlong purpose", func() error { return subject.Object(t.Context(), s, "u-1", strings.Repeat("p", privacy.MaxIDLength+1)) }, "purpose"},
		{"direct marketing and a purpose", func() error {
			return subject.RecordObjection(t.Context(), s, "u-1", subject.Objection{Purpose: "support", DirectMarketing: true})
		}, "purpose"},
		{"objection time before 1970", func() error {
			return subject.RecordObjection(t.Context(), s, "u-1", subject.Objection{Purpose: "support", At: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)})
		}, "at"},
		{"NUL in the trigger", func() error {
			return subject.RecordLifecycle(t.Context(), s, "u-1", "account_closed\x00", time.Now())
		}, "trigger"},
	}
	for _, tc := range tests {
		var ve *privacy.ValidationError
		if err := tc.call(); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: error %v, want a ValidationError naming %s", tc.name, err, tc.field)
		}
	}
	st, err := s.State(t.Context(), "u-1")
	if err != nil || len(st.Objections) != 0 || len(st.Lifecycle) != 0 {
		t.Errorf("state after refused calls: %+v, %v; want none recorded", st, err)
	}
}

// TestRecordObjectionKeepsUTC: an objection's time is kept in UTC by
// every store, the memory store included.
func TestRecordObjectionKeepsUTC(t *testing.T) {
	t.Parallel()
	s := memory.NewStateStore()
	at := time.Date(2026, 11, 28, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := subject.RecordObjection(t.Context(), s, "u-1", subject.Objection{Purpose: "support", At: at}); err != nil {
		t.Fatal(err)
	}
	st, err := s.State(t.Context(), "u-1")
	if err != nil || len(st.Objections) != 1 || st.Objections[0].At.Location() != time.UTC || !st.Objections[0].At.Equal(at) {
		t.Errorf("state %+v, %v; want the objection at %v in UTC", st, err, at)
	}
}

// TestCheckObjection: an objection to a purpose the catalog does not know
// would be recorded and stop nothing; CheckObjection refuses it, naming
// the field, with the nearest purpose.
func TestCheckObjection(t *testing.T) {
	t.Parallel()
	cat := privacy.DefaultCatalog()
	tests := []struct {
		name      string
		o         subject.Objection
		wantField string
		wantText  string
	}{
		{name: "a declared purpose", o: subject.Objection{Purpose: "marketing.announcements"}},
		{name: "all direct marketing", o: subject.Objection{DirectMarketing: true}},
		{name: "a misspelt purpose", o: subject.Objection{Purpose: "marketing.anouncements"}, wantField: "purpose", wantText: "marketing.announcements"},
		{name: "odd case", o: subject.Objection{Purpose: "Marketing.Announcements"}, wantField: "purpose", wantText: "marketing.announcements"},
		{name: "direct marketing and a purpose", o: subject.Objection{Purpose: "support", DirectMarketing: true}, wantField: "purpose"},
		{name: "no purpose", o: subject.Objection{}, wantField: "purpose"},
	}
	for _, tc := range tests {
		err := subject.CheckObjection(cat, tc.o)
		if tc.wantField == "" {
			if err != nil {
				t.Errorf("%s: %v, want nil", tc.name, err)
			}
			continue
		}
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.wantField || !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("%s: %v, want a ValidationError on %s mentioning %q", tc.name, err, tc.wantField, tc.wantText)
		}
	}
}
