package postgres_test

import (
	"testing"

	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/storetest"
)

func TestRequestStore(t *testing.T) {
	pgtest.Require(t)
	storetest.RunRequestStore(t, func(t *testing.T) dsar.RequestStore { return open(t, pgtest.DSN(t)).RequestStore() })
}
