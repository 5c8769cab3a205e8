package policies_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/policies"
)

// A fleet's policy as an OPA bundle: the catalog and an extension module.
// A reload swaps the policy atomically and bumps the generation; a bad
// bundle is rejected and the running policy stays.
func ExampleLoadBundle() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bundle")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "catalog.yaml"), privacy.ReferenceCatalogYAML(), 0o644)
	_ = os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision": "r1"}`), 0o644)

	b, err := policies.LoadBundle(ctx, dir)
	if err != nil {
		panic(err)
	}
	eng, err := policies.New(ctx, policies.WithMemoryStores(), policies.WithBundle(b))
	if err != nil {
		panic(err)
	}
	fmt.Println("revision", b.Revision, "generation", eng.Generation())

	_ = os.WriteFile(filepath.Join(dir, "bad.rego"), []byte("package privacy.ext.bad\n\ndeny contains x if { x := nope(1) }\n"), 0o644)
	if b, err := policies.LoadBundle(ctx, dir); err == nil {
		err = eng.Reload(ctx, b)
		fmt.Println("rejected:", err != nil, "generation", eng.Generation())
	}
	// Output:
	// revision r1 generation 1
	// rejected: true generation 1
}

// Every decision is logged with the subject pseudonymised.
func ExampleWithDecisionLog() {
	key := []byte("a secret key of at least 32 bytes")
	// Leave out the times and the catalog hash so that the output is
	// stable.
	h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		switch a.Key {
		case slog.TimeKey, "at", "expires_at", "catalog_hash":
			return slog.Attr{}
		}
		return a
	}})
	eng, err := policies.New(context.Background(), policies.WithMemoryStores(), policies.WithDecisionLog(slog.New(h), key))
	if err != nil {
		panic(err)
	}
	d, _ := eng.Decide(context.Background(), privacy.Request{
		Subject: privacy.Subject{ID: "alice@example.nl", Kind: privacy.SubjectUser},
		Purpose: "research.surveys",
		Data:    []string{"instance.contact.email"},
		Signals: privacy.Signals{GPC: true},
	})
	fmt.Println(d.Codes())
	// Output:
	// {"level":"INFO","msg":"privacy decision","policy":{"version":"1.2","modules_hash":"","revision":"","generation":1},"request":{"subject":{"pseudonym":"1950a3bb7a201eb525339776d62174a2","kind":"user","age":0,"country":"","controller":""},"purpose":"research.surveys","data":["instance.contact.email"],"automated_decision":false,"encrypted_in_transit":false,"signals":{"gpc":true}},"state":{"consent":{"event":"","policy_version":"","guardian":false},"objections":[],"restricted":false,"deactivated":false},"decision":{"allowed":false,"basis":"","reasons":["consent.missing"],"obligations":[]}}
	// [consent.missing]
}
