package sqlsource_test

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
)

func ExampleNew() {
	ctx := context.Background()
	db, _ := sql.Open("sqlite", "file:example?mode=memory&cache=shared")
	defer db.Close()
	db.ExecContext(ctx, `CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, plan TEXT);
		INSERT INTO users VALUES ('u-1', 'ann', 'ann@example.com', 'pro'), ('u-2', 'bob', 'bob@example.com', 'free')`)

	ds, err := sqlsource.Parse("dataset.yaml", []byte(`
dataset: accounts
tables:
  - table: users
    subject: user
    key: id
    columns:
      - {column: name, category: instance.account.username, erase: mask, mask: erased}
      - {column: email, category: instance.contact.email, erase: null}
`), privacy.DefaultCatalog())
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := sqlsource.New(ctx, db, sqlsource.SQLite(), ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	ann := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser}
	recs, _ := src.Export(ctx, ann)
	for _, r := range recs {
		fmt.Println(r.Category, r.Value)
	}
	erased, _ := src.Erase(ctx, ann, []string{"instance.account.username", "instance.contact.email"})
	for _, e := range erased {
		fmt.Println(e.Method, e.Count, e.Category)
	}
	recs, _ = src.Export(ctx, ann)
	fmt.Println(len(recs), "records left")

	// A file naming a category the catalog does not know fails to load,
	// naming the line.
	_, err = sqlsource.Parse("bad.yaml", []byte(`dataset: accounts
tables:
  - table: users
    subject: user
    key: id
    columns:
      - {column: email, category: instance.contact.mail, erase: delete}
`), nil)
	fmt.Println(err)

	_ = dsar.Source(src) // a Source for dsar.WithSource(ds.Name(), src)
	// Output:
	// instance.account.username ann
	// instance.contact.email ann@example.com
	// deleted 1 instance.account.username
	// deleted 1 instance.contact.email
	// 0 records left
	// dataset bad.yaml:7: table users: column email: unknown category "instance.contact.mail" (did you mean "instance.contact.email"?)
}
