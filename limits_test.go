package privacy_test

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/internal/hostile"
)

// allocated runs fn and returns the bytes it allocated (the whole
// process's: run it from a test that is not parallel).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadersStopAtTheirLimit: an input that never ends fails with an
// error naming the source and the limit, having read little more than the
// limit. Before, `privacyctl catalog check /dev/zero` ran out of memory.
func TestReadersStopAtTheirLimit(t *testing.T) {
	check := func(name string, limit int64, constant string, fn func() error) {
		t.Helper()
		var err error
		n := allocated(func() { err = fn() })
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), constant) {
			t.Errorf("%s: error %v, want a *ValidationError naming %s", name, err, constant)
		}
		// io.ReadAll doubles its buffer: a few times the limit, never more.
		if n > uint64(8*limit) {
			t.Errorf("%s: allocated %d bytes for a limit of %d", name, n, limit)
		}
	}
	check("DecodeRequest", privacy.MaxRequestBytes, "MaxRequestBytes", func() error {
		_, err := privacy.DecodeRequest(hostile.Endless(' '))
		return err
	})
	check("DecodeRequest of an endless string", privacy.MaxRequestBytes, "MaxRequestBytes", func() error {
		_, err := privacy.DecodeRequest(io.MultiReader(strings.NewReader(`{"purpose":"`), hostile.Endless('x')))
		return err
	})
	check("ReadLimited", 1<<10, "MaxTextBytes", func() error {
		_, err := privacy.ReadLimited(hostile.Endless(0), "notice", 1<<10, "MaxTextBytes")
		return err
	})
	if _, err := os.Stat("/dev/zero"); err == nil {
		check("LoadCatalog(/dev/zero)", privacy.MaxCatalogBytes, "MaxCatalogBytes", func() error {
			_, err := privacy.LoadCatalog("/dev/zero")
			if !errors.Is(err, privacy.ErrInvalidCatalog) || !strings.Contains(err.Error(), "/dev/zero") {
				t.Errorf("LoadCatalog(/dev/zero) = %v, want an invalid-catalog error naming the file", err)
			}
			return err
		})
	}
	big := strings.Repeat("#", privacy.MaxCatalogBytes+1)
	if _, err := privacy.ParseCatalog("big.yaml", []byte(big)); !errors.Is(err, privacy.ErrInvalidCatalog) || !strings.Contains(err.Error(), "MaxCatalogBytes") {
		t.Errorf("ParseCatalog of a catalog over the limit = %v", err)
	}
	p := t.TempDir() + "/big.yaml"
	if err := os.WriteFile(p, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := privacy.LoadCatalog(p); !errors.Is(err, privacy.ErrInvalidCatalog) || !strings.Contains(err.Error(), "MaxCatalogBytes") {
		t.Errorf("LoadCatalog of a file over the limit = %v", err)
	}
	if _, err := privacy.LoadCatalog(t.TempDir()); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("LoadCatalog of a directory = %v, want an error saying so", err)
	}
}

// TestDuplicateKeysAreRefused: JSON objects with a key twice, or two keys
// that differ only by case, were resolved silently (the last won); they
// are an error naming the key, in requests and catalogs.
func TestDuplicateKeysAreRefused(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, field string }{
		"top-level key twice":    {`{"purpose":"billing","purpose":"referral"}`, "purpose"},
		"nested key twice":       {`{"subject":{"id":"a","kind":"user","id":"b"}}`, "subject.id"},
		"keys differing by case": {`{"purpose":"billing","Purpose":"referral"}`, "Purpose"},
		"nested, by case":        {`{"recipient":{"kind":"processor","KIND":"third_party"}}`, "recipient.kind"},
	} {
		_, err := privacy.DecodeRequest(strings.NewReader(tc.in))
		var ve *privacy.ValidationError
		if !errors.Is(err, privacy.ErrInvalidRequest) || !errors.As(err, &ve) || !strings.Contains(ve.Message, "duplicate key") ||
			!strings.EqualFold(ve.Field, tc.field) {
			t.Errorf("%s: DecodeRequest error %v, want a duplicate-key error naming %s", name, err, tc.field)
		}
	}
	js, err := yaml.YAMLToJSON(privacy.ReferenceCatalogYAML())
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"catalog.json": strings.Replace(string(js), `{`, `{"Policy_Version":"9.9",`, 1),
		"catalog.yaml": "Policy_Version: \"9.9\"\n" + string(privacy.ReferenceCatalogYAML()),
	} {
		_, err := privacy.ParseCatalog(name, []byte(in))
		if !errors.Is(err, privacy.ErrInvalidCatalog) || !strings.Contains(err.Error(), "duplicate key") || !strings.Contains(err.Error(), "policy_version") {
			t.Errorf("%s with policy_version twice (by case): error %v, want a duplicate-key error naming it", name, err)
		}
	}
}

// TestTimesAtOrBefore1970AreRefused: the policy reads a time of 0 or less
// as "none", so an expiry at or before 1970 meant "never expires", and an
// explicit 0001-01-01 was taken for "no time". Both are refused, naming
// the field.
func TestTimesAtOrBefore1970AreRefused(t *testing.T) {
	t.Parallel()
	for _, tm := range []string{"0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-07-20T20:17:00Z", "2263-01-01T00:00:00Z"} {
		req, err := privacy.DecodeRequest(strings.NewReader(`{"subject":{"id":"u","kind":"user"},"purpose":"billing","data":["instance"],"time":"` + tm + `"}`))
		if err == nil {
			err = req.Validate()
		}
		var ve *privacy.ValidationError
		if !errors.Is(err, privacy.ErrInvalidRequest) || !errors.As(err, &ve) || ve.Field != "time" {
			t.Errorf("request time %s: error %v, want one naming time", tm, err)
		}
	}
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(-1, 0), time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)} {
		if err := privacy.CheckTime("expires_at", tm); err == nil || !strings.Contains(err.Error(), "expires_at") {
			t.Errorf("CheckTime(%s) = %v, want an error naming expires_at", tm, err)
		}
	}
	if err := privacy.CheckTime("expires_at", time.Unix(0, 1)); err != nil {
		t.Errorf("CheckTime of 1 ns after 1970: %v", err)
	}
	if err := privacy.CheckRequiredTime("collected_at", time.Time{}); err == nil || !strings.Contains(err.Error(), "collected_at") {
		t.Errorf("CheckRequiredTime of the zero time = %v", err)
	}
	for _, until := range []string{"0001-01", "1969-12", "1969-12-31", "2263-01"} {
		in := strings.Replace(string(privacy.ReferenceCatalogYAML()), `until: "2031-12-27"`, `until: "`+until+`"`, 1)
		if _, err := privacy.ParseCatalog("c.yaml", []byte(in)); !errors.Is(err, privacy.ErrInvalidCatalog) || !strings.Contains(err.Error(), "until") {
			t.Errorf("adequacy until %s: error %v, want an invalid-catalog error naming until", until, err)
		}
	}
}
