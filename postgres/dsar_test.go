package postgres_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/internal/storetest"
	"github.com/privacykit/privacy/subject"
)

func TestRequestStore(t *testing.T) {
	pgtest.Require(t)
	storetest.RunRequestStore(t, func(t *testing.T) subject.RequestStore { return open(t, pgtest.DSN(t)).RequestStore() })
}
