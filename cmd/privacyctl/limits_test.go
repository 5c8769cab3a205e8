package main

import (
	"os"
	"strings"
	"testing"
)

// TestCatalogCheckDevZero: `privacyctl catalog check /dev/zero` ran out
// of memory; it fails with a usage error naming the file and the limit.
func TestCatalogCheckDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	code, _, errs := ctl(t, "", "catalog", "check", "/dev/zero")
	if code != exitUsage || !strings.Contains(errs, "/dev/zero") || !strings.Contains(errs, "MaxCatalogBytes") {
		t.Errorf("catalog check /dev/zero = %d %q, want %d and an error naming the file and MaxCatalogBytes", code, errs, exitUsage)
	}
}
