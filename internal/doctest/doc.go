// Package doctest keeps the documentation true. Its test reads README.md
// and every docs/*.md file and
//
//   - type-checks every ```go block, each a whole file with its package
//     clause, with one `go vet` over all of them (a block that no longer
//     compiles against the module's API fails the test, naming the
//     document and line);
//   - requires every command of a ```sh block to be run somewhere: the
//     blocks of docs/cli.md are run line by line by cmd/privacyctl's
//     TestDocumentedCommands, so privacyctl commands belong there; any
//     other command must appear in .ci/run, which runs it (leading
//     VAR=value assignments may instead be set by .ci/run). Benchmark
//     recipes in docs/benchmarks.md take minutes to hours and are
//     ```text blocks, run by hand;
//   - requires every relative link to name a file that exists, and one
//     of its headings for a #anchor;
//   - holds the README to its size (at most 250 lines).
//
// It has no code of its own: the package exists for its test.
package doctest
