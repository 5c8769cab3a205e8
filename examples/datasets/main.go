// Command datasets answers data-subject requests over a service's own
// database described by a dataset file, with no Go code per table. The
// meeting service's database (schema.sql, with the rows of seed.sql) holds
// users, meetings with their guests, recordings, invoices and newsletter
// settings; dataset.yaml says which category each column is and what an
// erasure does to it. The program answers an access request, a
// rectification and an erasure of a user (the invoices stay under the
// fiscal duty), and a guest's access request, forwarded to the host's
// company and answered on its instruction with that company's rows only.
//
//	go run ./examples/datasets
//
// The same file runs against PostgreSQL (sqlsource.PostgreSQL()), and from
// the command line with privacyctl dsar run --dataset.
package main

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver of the service's database

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
)

//go:embed schema.sql seed.sql dataset.yaml
var files embed.FS

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "datasets:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "privacy-datasets-example-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The service's database. Foreign keys on, so that a meeting's
	// recordings and guest list go with it.
	svc, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "service.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer svc.Close()
	for _, name := range []string{"schema.sql", "seed.sql"} {
		script, _ := files.ReadFile(name)
		if _, err := svc.ExecContext(ctx, string(script)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}

	// The dataset, checked against the catalog and the live schema.
	cat := privacy.DefaultCatalog()
	file, _ := files.ReadFile("dataset.yaml")
	ds, err := sqlsource.Parse("dataset.yaml", file, cat)
	if err != nil {
		return err
	}
	src, err := sqlsource.New(ctx, svc, sqlsource.SQLite(), ds)
	if err != nil {
		return err
	}

	// The module's own store keeps the requests and the subjects' state.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "privacy.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	desk := dsar.NewDesk(db.RequestStore(), db.StateStore(),
		dsar.WithCatalog(cat),
		dsar.WithSource(ds.Name(), src),
		// Statutory and legal holds first, then the dataset's own.
		dsar.WithHolds(ds.Holds(&retention.ErasureHolds{Catalog: cat, Holds: db.RetentionStore()})),
		dsar.WithNotifier(dsar.NotifierFunc(func(_ context.Context, r dsar.Request) error {
			fmt.Fprintf(out, "forwarded %s to controller %s\n", r.Kind, r.Subject.Controller)
			return nil
		})),
	)
	support := dsar.Evidence{Method: "login_session", By: "support@24sessions.com"}
	answer := func(r dsar.Request) (dsar.Request, error) {
		r, err := desk.Open(ctx, r)
		if err != nil {
			return r, err
		}
		if r, err = desk.Verify(ctx, r.ID, support); err != nil {
			return r, err
		}
		return desk.Run(ctx, r.ID)
	}
	summary := func(r dsar.Request) error {
		e, err := desk.Export(ctx, r.ID)
		if err != nil {
			return err
		}
		fmt.Fprint(out, e.Summary())
		return nil
	}

	ann := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}
	r, err := answer(dsar.Request{Kind: dsar.KindAccess, Subject: ann})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "access: %d records\n", len(r.Outcome(ds.Name()).Records))

	r, err = answer(dsar.Request{Kind: dsar.KindRectification, Subject: ann,
		Corrections: []dsar.Correction{{Category: "instance.contact.email", Value: "ann@acme-new.example"}}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rectification: %d rows corrected\n", r.Outcome(ds.Name()).Rectified)

	r, err = answer(dsar.Request{Kind: dsar.KindErasure, Subject: ann})
	if err != nil {
		return err
	}
	for _, e := range r.Outcome(ds.Name()).Erased {
		fmt.Fprintf(out, "erased %s: %d\n", e.Category, e.Count)
	}
	for _, e := range r.Exemptions {
		fmt.Fprintf(out, "kept %s under %s\n", e.Category, e.Ground.Article())
	}
	if r, err = answer(dsar.Request{Kind: dsar.KindAccess, Subject: ann}); err != nil {
		return err
	}
	if err := summary(r); err != nil {
		return err
	}

	// A guest's request goes to the host's company, the controller, and
	// runs on its instruction over its own meetings only.
	gus := privacy.Subject{ID: "gus@guest.example", Kind: privacy.SubjectGuest, Controller: "globex"}
	if r, err = desk.Open(ctx, dsar.Request{Kind: dsar.KindAccess, Subject: gus}); err != nil {
		return err
	}
	if _, err = desk.Run(ctx, r.ID); err != nil {
		return err
	}
	if _, err = desk.Instruct(ctx, r.ID, dsar.Instruction{By: "dpo@globex.example", Proceed: true, Reference: "ticket 88"}); err != nil {
		return err
	}
	if r, err = desk.Run(ctx, r.ID); err != nil {
		return err
	}
	var ids []string
	for _, rec := range r.Outcome(ds.Name()).Records {
		ids = append(ids, rec.ID)
	}
	fmt.Fprintf(out, "guest access for globex: %d records from %s\n", len(ids), strings.Join(compact(ids), ", "))

	var left int
	if err := svc.QueryRowContext(ctx, `SELECT count(*) FROM meetings WHERE host_id = 'u-2'`).Scan(&left); err != nil {
		return err
	}
	fmt.Fprintf(out, "other users untouched: %d meeting(s) of u-2 remain\n", left)
	return nil
}

// compact drops repeated neighbours.
func compact(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
