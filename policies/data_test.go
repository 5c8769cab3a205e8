package policies

import (
	"testing"

	"github.com/privacykit/privacy"
)

// The rules' index guards (purposes_where, purposes_by_basis,
// processor_kinds) must say what the catalog entries they stand for say,
// or a guard would skip a rule that applies.
func TestCatalogIndexesAgree(t *testing.T) {
	d := catalogData(privacy.DefaultCatalog())
	purposes := d["purposes"].(map[string]any)
	where := d["purposes_where"].(map[string]any)
	byBasis := d["purposes_by_basis"].(map[string]any)
	for _, flag := range []string{"direct_marketing", "profiling", "automated_decision", "special_categories"} {
		set := where[flag].(map[string]any)
		n := 0
		for key, entry := range purposes {
			on := entry.(map[string]any)[flag].(bool)
			if _, in := set[key]; in != on {
				t.Errorf("purposes_where.%s[%q] = %v, the purpose says %v", flag, key, in, on)
			}
			if on {
				n++
			}
		}
		if len(set) != n {
			t.Errorf("purposes_where.%s has %d purposes, want %d", flag, len(set), n)
		}
	}
	declares := map[string]map[string]bool{}
	for key, entry := range purposes {
		for _, list := range entry.(map[string]any)["bases"].(map[string]any) {
			for _, b := range list.([]any) {
				if declares[b.(string)] == nil {
					declares[b.(string)] = map[string]bool{}
				}
				declares[b.(string)][key] = true
			}
		}
	}
	if len(byBasis) != len(declares) {
		t.Errorf("purposes_by_basis has %d bases, want %d", len(byBasis), len(declares))
	}
	for b, want := range declares {
		set, _ := byBasis[b].(map[string]any)
		if len(set) != len(want) {
			t.Errorf("purposes_by_basis.%s has %d purposes, want %d", b, len(set), len(want))
		}
		for key := range want {
			if set[key] != true {
				t.Errorf("purposes_by_basis.%s lacks %q", b, key)
			}
		}
	}
	kinds := d["subject_kinds"].(map[string]any)
	procs := d["processor_kinds"].(map[string]any)
	for k, role := range kinds {
		if _, in := procs[k]; in != (role == "processor") {
			t.Errorf("processor_kinds[%q] = %v, role %v", k, in, role)
		}
	}
	if len(procs) == 0 {
		t.Error("the reference catalog has a processor kind (guest): processor_kinds is empty")
	}
}
