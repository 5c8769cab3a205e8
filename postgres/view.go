package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/privacykit/privacy/internal/sqlstore"
	"github.com/privacykit/privacy/stateview"
)

// viewApp names the connections of views in pg_stat_activity.
const viewApp = "privacykit-view"

// View returns an in-memory view of the consent and subject state in the
// schema, for the engine to read instead of the database (see package
// stateview), kept current without polling:
//
//   - a write through this DB's stores makes the view forget the subject
//     before the write returns;
//   - every write, by any process, sends NOTIFY in its transaction
//     (privacy_consent, privacy_subject_state), and the view LISTENs on a
//     connection of its own and forgets the subject when the notification
//     arrives.
//
// When that connection fails the view pauses, sending every read to the
// database, and reconnects with backoff (up to ten seconds apart); it
// resumes once it listens again. View returns once LISTEN is in effect.
// When ctx is done or the DB closes, the view stops listening and stays
// paused. Make one view per DB and keep it; each holds one connection
// outside the pool.
func (db *DB) View(ctx context.Context, opts ...stateview.Option) (*stateview.View, error) {
	v := stateview.New(db.ConsentStore(), db.StateStore(), opts...)
	v.Pause()
	conn, schema, err := db.listen(ctx, viewApp, sqlstore.NotifyChannel, sqlstore.StateNotifyChannel)
	if err != nil {
		return nil, fmt.Errorf("state view: %w", err)
	}
	remove := db.hooks.Add(v.Forget)
	v.Resume()
	db.run(ctx, func(ctx context.Context) {
		defer v.Pause()
		defer remove()
		for {
			err := feed(ctx, conn, schema, v)
			v.Pause()
			if ctx.Err() != nil {
				return
			}
			slog.Default().Warn("privacykit: state view lost its notifications; reading through to the database", "err", err)
			if conn, schema = db.relisten(ctx); conn == nil {
				return
			}
			v.Resume()
		}
	})
	return v, nil
}

// feed makes v forget each subject whose notification arrives on conn,
// until conn fails or ctx ends; it closes conn.
func feed(ctx context.Context, conn *pgx.Conn, schema string, v *stateview.View) error {
	defer conn.Close(context.Background())
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		p, ok := parseNotification(n.Payload)
		switch {
		case !ok:
			v.ForgetAll()
		case p.Schema == schema:
			v.Forget(p.Subject)
		}
	}
}

// relisten connects and LISTENs again, waiting longer after each failure,
// until it succeeds or ctx ends (nil).
func (db *DB) relisten(ctx context.Context) (*pgx.Conn, string) {
	wait := 100 * time.Millisecond
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ""
		case <-t.C:
		}
		conn, schema, err := db.listen(ctx, viewApp, sqlstore.NotifyChannel, sqlstore.StateNotifyChannel)
		if err == nil {
			return conn, schema
		}
		wait = min(2*wait, 10*time.Second)
	}
}
