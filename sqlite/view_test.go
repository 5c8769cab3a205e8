package sqlite_test

import (
	"testing"

	"github.com/privacykit/privacy/sqlite"
	"github.com/privacykit/privacy/stateview"
	"github.com/privacykit/privacy/storetest"
)

func TestView(t *testing.T) {
	storetest.RunView(t, func(t *testing.T) storetest.ViewEnv {
		db := open(t, tempFile(t))
		return storetest.ViewEnv{Consents: db.ConsentStore(), States: db.StateStore(), View: db.View()}
	})
}

func TestViewClosedWithDB(t *testing.T) {
	storetest.RunViewClosedWithDB(t, func(t *testing.T, opts ...stateview.Option) (*stateview.View, func() error) {
		db, err := sqlite.Open(t.Context(), tempFile(t))
		if err != nil {
			t.Fatal(err)
		}
		return db.View(opts...), db.Close
	})
}
