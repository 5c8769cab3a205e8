// Package privacy is the vocabulary of privacykit: the request a service
// makes before it processes personal data, the explained decision it gets
// back, and the catalog — a privacy policy written as data — that the
// decision is made against.
//
// A Request names a Subject (whose data), a purpose, the data categories,
// optionally a lawful basis and a Recipient (to whom it is disclosed).
// A Decision says whether the processing is allowed, on which basis, every
// Reason it is not (with the GDPR article and the policy clause), and the
// Obligations the caller takes on when it goes ahead. Both marshal to and
// from the JSON of the decision contract (README.md, docs/concepts.md).
//
// The Catalog declares subject kinds (and whether the operator is their
// controller or processor), categories of personal data with hierarchical
// keys, purposes with their bases, recipients and assessments, and the
// facts transfers and children need. DefaultCatalog returns the embedded
// reference catalog (the 24sessions privacy policy v1.2); LoadCatalog and
// ParseCatalog read another company's.
//
// This package decides nothing and does no I/O beyond reading a catalog
// file: package policies decides, with state from the consent and subject
// stores. The import graph is a tree with this package (and lawfulbasis)
// at the bottom.
//
// # Errors
//
// Errors that callers act on wrap a sentinel (ErrInvalidRequest,
// ErrInvalidCatalog, ErrInvalid, ErrNotFound, ErrConflict, ErrEvaluation);
// input errors are *ValidationError naming the field, catalog errors
// *CatalogError naming file, entry and field. ErrorCode maps any error to
// a stable code for exit statuses and HTTP statuses.
package privacy
