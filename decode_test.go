package privacy

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/yaml"
)

// TestDecodeValueMatchesEncodingJSON checks that the field-by-field
// decoder, which locates catalog errors, reads the reference catalog as
// the strict YAML decoder does.
func TestDecodeValueMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	data := ReferenceCatalogYAML()
	var want Catalog
	if err := yaml.UnmarshalStrict(data, &want); err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	var got Catalog
	if err := decodeValue(js, reflect.ValueOf(&got).Elem(), ""); err != nil {
		t.Fatalf("decodeValue: %v", err)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Catalog{})); diff != "" {
		t.Errorf("decodeValue differs from yaml.UnmarshalStrict (-want +got):\n%s", diff)
	}
}
