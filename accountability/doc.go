// Package accountability turns a privacy catalog into the documents a
// privacy officer reads and signs: the record of processing activities of
// GDPR Art. 30, a plain-language privacy notice (Art. 13/14), a check of a
// published notice against the catalog, and a data-flow diagram.
//
// The catalog is what the policies engine enforces. Generating the documents
// from the same *privacy.Catalog, instead of writing them by hand, means that
// what is published and what is enforced cannot drift apart; DiffNotice finds
// where an existing, hand-written notice already has.
//
// The package reads only a *privacy.Catalog (validated, as LoadCatalog,
// ParseCatalog and DefaultCatalog return it) and imports nothing above the
// vocabulary: the root package privacy and lawfulbasis. It keeps no state and
// writes only to the io.Writer it is given. RenderGraphviz is the one
// function that does I/O of its own: it runs Graphviz dot when it is
// installed.
//
// # Outputs
//
//   - BuildRecord, BuildRecordWith and the Record's WriteMarkdown, WriteCSV
//     and WriteJSON: the Art. 30(1) record for the operator as controller
//     and the Art. 30(2) record for the operator as processor, with the
//     third countries of each activity (declared, or read from the
//     decision log with ReadDecisionLog) and the controllers the operator
//     processes for.
//   - WriteNotice: an Art. 13/14 notice in plain language, with the Art.
//     13(2)(e) statement of which data is a statutory or contractual
//     requirement.
//   - DiffNotice: the differences between a published notice text and the
//     catalog, purposes and promises, as Findings.
//   - WriteMermaid and WriteDOT: the data flow from subject kinds through
//     categories and purposes to recipients and destination regions,
//     coloured by lawful basis; RenderGraphviz renders DOT to SVG or PNG.
//
// Every output is deterministic: the same catalog gives the same bytes, so
// outputs can be kept under version control and compared in review.
//
// # Caveats
//
// Retention periods come from the catalog's retention rules; a category no
// rule covers is "not specified in catalog". The catalog has no field for
// security measures: the record and the notice describe them in general
// terms derived from what the catalog makes the engine enforce (encryption
// in transit of financial data, data-processing agreements with
// processors).
//
// DiffNotice matches words, not meaning: lexicons of the words English uses
// for each promise, read clause by clause with negation, exception and
// condition rules (text.go). The lexicons are documented next to the code
// and in docs/accountability.md; a finding is a prompt for a person to read
// the text, and an absent finding is no proof of compliance.
//
// The catalog names no transfer destinations: the record lists the third
// countries it is given (RecordInput), and ReadDecisionLog reads the
// decision log of package policies without importing it.
package accountability
