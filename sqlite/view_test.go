package sqlite_test

import (
	"testing"

	"github.com/privacykit/privacy/storetest"
)

func TestView(t *testing.T) {
	storetest.RunView(t, func(t *testing.T) storetest.ViewEnv {
		db := open(t, tempFile(t))
		return storetest.ViewEnv{Consents: db.ConsentStore(), States: db.StateStore(), View: db.View()}
	})
}
