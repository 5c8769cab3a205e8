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
//   - BuildRecord and the Record's WriteMarkdown, WriteCSV and WriteJSON: the
//     Art. 30(1) record for the operator as controller and the Art. 30(2)
//     record for the operator as processor.
//   - WriteNotice: an Art. 13/14 notice in plain language.
//   - DiffNotice: the differences between a published notice text and the
//     catalog, as Findings.
//   - WriteMermaid and WriteDOT: the data flow from subject kinds through
//     categories and purposes to recipients and destination regions,
//     coloured by lawful basis; RenderGraphviz renders DOT to SVG or PNG.
//
// Every output is deterministic: the same catalog gives the same bytes, so
// outputs can be kept under version control and compared in review.
//
// # Caveats
//
// The catalog has no retention rules and no field for security measures
// yet. The record and the notice say "not specified in catalog" for
// retention, and describe security measures in general terms derived from
// what the catalog makes the engine enforce (encryption in transit of
// financial data, data-processing agreements with processors).
//
// DiffNotice matches words, not meaning. Its keyword tables are documented
// next to the code and in FINDINGS.md; a finding is a prompt for a person to
// read the text, and an absent finding is no proof of compliance.
package accountability
