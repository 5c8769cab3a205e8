// Package sqlsource answers data-subject requests over a service's own SQL
// database, described once in a dataset file instead of written as Go.
//
// A dataset file (YAML, in the manner of Fides' datasets) lists the tables
// that hold personal data: for each, the kind of subject its rows are about,
// the column that holds the subject's id (directly, or through joins such as
// recordings → meetings.host_id), the catalog category of each personal
// column, and what an erasure does to it (delete the row, set NULL, mask
// with a fixed value, or keep under a named hold). A table whose subjects'
// data the operator processes for a controller (the reference catalog's
// guests) also names the column that holds the controller's id, so that a
// request answered on one controller's instruction touches only that
// controller's rows. The format is documented in docs/datasets.md.
//
// # Basics
//
// Load or Parse reads a file and checks it against the catalog; New checks
// it against the live database (SQLite or PostgreSQL, through
// database/sql) and returns a Source, which implements dsar.Source. Register
// it with a dsar.Desk under the dataset's name, and give the Desk the
// dataset's holds on top of the usual ones:
//
//	ds, err := sqlsource.Load("dataset.yaml", catalog)
//	src, err := sqlsource.New(ctx, db, sqlsource.SQLite(), ds)
//	desk := dsar.NewDesk(requests, states,
//		dsar.WithCatalog(catalog),
//		dsar.WithSource(ds.Name(), src),
//		dsar.WithHolds(ds.Holds(&retention.ErasureHolds{Catalog: catalog, Holds: holdStore})))
//
// The Desk then runs access, portability, rectification and erasure
// requests over the database with their deadlines, identity checks and
// audit trail.
//
// # Guarantees
//
// Loading fails, naming the file's line, on unknown fields, categories,
// subject kinds, strategies and holds (with the nearest known name),
// identifiers that are not plain SQL names, contradictions (a category
// kept in one column and erased in another, a row deleted along with a kept
// column), and, in New, tables and columns the database does not have and
// lookup columns that no index leads. Every error of a file is reported at
// once. Files over privacy.MaxDatasetBytes (1 MiB) are refused.
//
// Queries are built only from the file's validated identifiers, quoted;
// subject ids, controllers, masks and corrections are always parameters.
// Erasure and rectification run in one transaction each. Erasure erases
// only the categories the Desk passes, which leaves out every category a
// hold keeps (statutory and legal holds, and the dataset's own): nothing a
// hold keeps is erased, and a row is deleted only when every personal
// column of it may go. Erasing again finds nothing.
//
// # Caveats
//
// Foreign keys are the schema's business: a row deleted by an erasure takes
// its ON DELETE CASCADE children with it, and an erasure that would break a
// foreign key fails (and changes nothing). On PostgreSQL, tables are looked
// up in the connection's current schema.
package sqlsource
