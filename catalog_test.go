package privacy_test

import (
	"testing"

	"github.com/privacykit/privacy"
)

func TestDefaultCatalogLoads(t *testing.T) {
	c := privacy.DefaultCatalog()
	if got := c.Leaves("instance.financial"); len(got) != 4 {
		t.Fatalf("Leaves(instance.financial) = %v, want 4 leaves", got)
	}
}
