package postgres_test

import (
	"testing"

	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/internal/retentiontest"
	"github.com/privacykit/privacy/retention"
)

func TestRetentionStore(t *testing.T) {
	pgtest.Require(t)
	retentiontest.Run(t, func(t *testing.T) retention.Store { return open(t, pgtest.DSN(t)).RetentionStore() })
}
