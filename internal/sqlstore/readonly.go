package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// OpenStoresReadOnly returns the stores of a database opened for reading
// only: it applies no migration and creates no subject key, and refuses a
// database whose schema lacks migrations, naming them. Writes through the
// stores fail as the database refuses them.
func OpenStoresReadOnly(ctx context.Context, db *sql.DB, d Dialect, o StoresOptions) (*Stores, error) {
	pending, err := Pending(ctx, db, d)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("schema lacks migrations %s: open it for writing once to apply them", strings.Join(pending, ", "))
	}
	key, err := ReadSubjectKey(ctx, db, d)
	if err != nil {
		return nil, err
	}
	s := &Stores{Now: time.Now, db: db, d: d, o: o, key: key}
	if s.group.metrics, err = newLedgerMetrics(o.MeterProvider); err != nil {
		return nil, fmt.Errorf("ledger metrics: %w", err)
	}
	return s, nil
}

// Pending returns the names of the embedded migrations the database has
// not applied, reading only.
func Pending(ctx context.Context, db *sql.DB, d Dialect) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read %s schema version: %w", d.name, d.translate(err))
	}
	defer tx.Rollback()
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		// No migrations table: nothing was ever applied.
		applied = map[int]bool{}
	}
	var pending []string
	for _, m := range ms {
		if !applied[m.version] {
			pending = append(pending, m.name)
		}
	}
	return pending, nil
}

// ReadSubjectKey returns the ledger's subject key without creating one,
// for a database opened read-only (LoadSubjectKey creates it on first use).
func ReadSubjectKey(ctx context.Context, db *sql.DB, d Dialect) ([]byte, error) {
	var h string
	if err := db.QueryRowContext(ctx, `SELECT subject_key FROM privacy_consent_keys WHERE id = 1`).Scan(&h); err != nil {
		return nil, fmt.Errorf("read subject key: %w", d.translate(err))
	}
	key, err := hex.DecodeString(h)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("read subject key: privacy_consent_keys holds no hex key")
	}
	return key, nil
}
