package consent_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/hostile"
)

func sampleReceipt(t testing.TB) []byte {
	t.Helper()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, err := consent.MarshalReceipt(consent.Record{RecordID: "r-1", Seq: 7, SubjectID: "u-1", Purpose: "marketing.profiling",
		Event: consent.Given, PolicyVersion: "1.2", Method: consent.MethodDoubleOptIn, CollectedAt: at,
		ExpiresAt: at.AddDate(1, 0, 0), PrevHash: "p", Hash: "h"}, privacy.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadReceipt: a receipt reads back as written; one too large, with a
// duplicate or unknown key or a zero time is refused naming what.
func TestReadReceipt(t *testing.T) {
	t.Parallel()
	good := sampleReceipt(t)
	r, err := consent.ReadReceipt(bytes.NewReader(good))
	if err != nil {
		t.Fatalf("ReadReceipt of MarshalReceipt's output: %v", err)
	}
	if r.ConsentReceiptID != "r-1" || r.Proof.Seq != 7 || r.Event.Expiry.Year() != 2027 {
		t.Errorf("read back %+v", r)
	}
	s := string(good)
	for name, tc := range map[string]struct {
		in   io.Reader
		want string
	}{
		"endless":        {io.MultiReader(strings.NewReader(`{"version":"`), hostile.Endless('x')), "MaxReceiptBytes"},
		"duplicate key":  {strings.NewReader(strings.Replace(s, `"policyUrl"`, `"PolicyURL": "x", "policyUrl"`, 1)), "duplicate key"},
		"unknown key":    {strings.NewReader(strings.Replace(s, `"policyUrl"`, `"policy": "x", "policyUrl"`, 1)), "policy: unknown field"},
		"zero expiry":    {strings.NewReader(strings.Replace(s, `"expiry": "2027-11-28T12:00:00Z"`, `"expiry": "0001-01-01T00:00:00Z"`, 1)), "event.expiry"},
		"1970 expiry":    {strings.NewReader(strings.Replace(s, `"expiry": "2027-11-28T12:00:00Z"`, `"expiry": "1970-01-01T00:00:00Z"`, 1)), "event.expiry"},
		"other version":  {strings.NewReader(strings.Replace(s, consent.ReceiptVersion, "KI-CR-v9", 1)), "version"},
		"trailing value": {strings.NewReader(s + "{}"), "after the JSON value"},
	} {
		_, err := consent.ReadReceipt(tc.in)
		if !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want an invalid-input error containing %q", name, err, tc.want)
		}
	}
}

// TestRecordTimesAtOrBefore1970: a consent collected in 1960 that
// expired on 1970-01-01 was kept, and its expiry read as "never expires".
// Times at or before 1970 are refused naming the field.
func TestRecordTimesAtOrBefore1970(t *testing.T) {
	t.Parallel()
	rec := consent.Record{SubjectID: "u-1", Purpose: "marketing.profiling", Event: consent.Given, PolicyVersion: "1.2",
		Method: consent.MethodDoubleOptIn, CollectedAt: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: time.Unix(0, 0)}
	var ve *privacy.ValidationError
	if err := rec.Validate(); !errors.As(err, &ve) || ve.Field != "collected_at" {
		t.Errorf("Validate = %v, want an error naming collected_at", err)
	}
	rec.CollectedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec.ExpiresAt = time.Date(2262, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := rec.Validate(); !errors.As(err, &ve) || ve.Field != "expires_at" {
		t.Errorf("Validate = %v, want an error naming expires_at", err)
	}
}

func FuzzReadReceipt(f *testing.F) {
	f.Add(sampleReceipt(f))
	f.Add([]byte(`{"version":"KI-CR-v1.1.0","consentReceiptID":"r","event":{"time":"2026-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"event":{"time":"0001-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := consent.ReadReceipt(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if r.Version != consent.ReceiptVersion || r.ConsentReceiptID == "" || privacy.CheckRequiredTime("t", r.Event.Time) != nil {
			t.Fatalf("accepted a receipt without version, id or time: %+v", r)
		}
	})
}

func FuzzReadCheckpoint(f *testing.F) {
	f.Add([]byte(`{"seq":3,"hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","at":"2026-11-28T12:00:00Z","key_id":"k1","algorithm":"HMAC-SHA256","signature":"00"}`))
	f.Add([]byte(`{"seq":0,"hash":"","at":"2026-11-28T12:00:00Z","key_id":"k1","algorithm":"HMAC-SHA256","signature":""}`))
	f.Add([]byte(`{"seq":1,"SEQ":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := consent.ReadCheckpoint(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalid) && !strings.Contains(err.Error(), "read checkpoint") {
				t.Fatalf("error neither invalid input nor naming the checkpoint: %v", err)
			}
			return
		}
		if privacy.CheckTime("at", c.At) != nil {
			t.Fatalf("accepted a checkpoint time out of range: %s", c.At)
		}
	})
}

// TestReadCheckpointStrict: a checkpoint with a key twice, or taken at
// 0001-01-01, is refused naming the field.
func TestReadCheckpointStrict(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"seq":1,"Seq":2}`:                     "duplicate key",
		`{"at":"0001-01-01T00:00:00Z"}`:         "at: 0001-01-01",
		`{"at":"1969-01-01T00:00:00Z"}`:         "at: must be after",
		`{"seq":1}` + strings.Repeat(" ", 5000): "MaxCheckpointBytes",
	} {
		if _, err := consent.ReadCheckpoint(strings.NewReader(in)); !errors.Is(err, privacy.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadCheckpoint(%.40q) = %v, want an error containing %q", in, err, want)
		}
	}
}

// FuzzParseKeyring: a key file never panics the parser; a keyring it
// accepts has a current key of at least 32 bytes that it finds by id.
func FuzzParseKeyring(f *testing.F) {
	f.Add("k1 " + strings.Repeat("ab", 32))
	f.Add("# old\nk0 " + strings.Repeat("01", 32) + "\n\nk1 " + strings.Repeat("ff", 40) + "\n")
	f.Add("k1 " + strings.Repeat("ab", 32) + ";k1 " + strings.Repeat("cd", 32))
	f.Add("k1 abc")
	f.Add("k1 " + strings.Repeat("zz", 32))
	f.Fuzz(func(t *testing.T, text string) {
		kr, err := consent.ParseKeyring(text)
		if err != nil {
			return
		}
		k, err := kr.CurrentKey(t.Context())
		if err != nil || len(k.Secret) < 32 || k.ID == "" {
			t.Fatalf("accepted keyring: current key %q of %d bytes, %v", k.ID, len(k.Secret), err)
		}
		if got, err := kr.Key(t.Context(), k.ID); err != nil || got.ID != k.ID {
			t.Fatalf("Key(%q) = %q, %v", k.ID, got.ID, err)
		}
	})
}
