// Command gen writes docs/reason-codes.md from the code table; the module
// root's go:generate directive runs it.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/privacykit/privacy/internal/reasondoc"
)

func main() {
	out := flag.String("o", "docs/reason-codes.md", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, reasondoc.Markdown(), 0o644); err != nil {
		log.Fatal(err)
	}
}
