package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
//
// A connection can also go silent without failing: a network partition
// that drops packets and closes nothing. So the view answers from memory
// only while the connection proves itself: a heartbeat (a query round trip
// on the listening connection, which PostgreSQL answers only after it has
// sent every notification committed before the query) runs every third of
// the view's MaxStaleness (stateview.WithMaxStaleness, default five
// seconds) with the same third as its deadline, and each answer vouches
// for the view (stateview.View.Vouch). Past MaxStaleness without an answer
// every read goes to the database, whatever the listening goroutine is
// doing; a heartbeat past its deadline drops the connection and the view
// reconnects as above.
// When ctx is done or the DB closes, the view stops listening and stays
// paused. Make one view per DB and keep it; each holds one connection
// outside the pool.
func (db *DB) View(ctx context.Context, opts ...stateview.Option) (*stateview.View, error) {
	v, remove := sqlstore.NewView(db.stores, opts...)
	v.Pause()
	start := time.Now()
	conn, schema, err := db.listen(ctx, viewApp, sqlstore.NotifyChannel, sqlstore.StateNotifyChannel)
	if err != nil {
		remove()
		return nil, fmt.Errorf("state view: %w", err)
	}
	v.Vouch(start)
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
			start := time.Now()
			if conn, schema = db.relisten(ctx); conn == nil {
				return
			}
			v.Vouch(start)
			v.Resume()
		}
	})
	return v, nil
}

// feed makes v forget each subject whose notification arrives on conn and
// vouches for v after each heartbeat, until conn fails, a heartbeat misses
// its deadline or ctx ends; it closes conn.
func feed(ctx context.Context, conn *pgx.Conn, schema string, v *stateview.View) error {
	return listening(ctx, conn, v.MaxStaleness()/3, func(n *pgconn.Notification) error {
		p, ok := parseNotification(n.Payload)
		switch {
		case !ok:
			v.ForgetAll()
		case p.Schema == schema:
			v.Forget(p.Subject)
		}
		return nil
	}, v.Vouch)
}

// listening calls apply with each notification that arrives on conn and,
// every so often, runs a heartbeat on conn with the same time as its
// deadline; once it is answered (PostgreSQL answers after it has sent
// every notification committed before the query, and those are applied
// first) it calls vouch with the time the heartbeat was sent. It returns
// when conn fails, a heartbeat misses its deadline, apply fails or ctx
// ends, and closes conn: a connection that a network partition made
// silent is noticed within two heartbeats.
func listening(ctx context.Context, conn *pgx.Conn, every time.Duration, apply func(*pgconn.Notification) error, vouch func(time.Time)) error {
	defer func() {
		// A partitioned connection must not hold the goroutine up.
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	// drained is done: WaitForNotification with it returns the
	// notifications pgx buffered during a query, and nil once there are
	// none, without reading the connection.
	drained, cancel := context.WithCancel(ctx)
	cancel()
	every = max(every, time.Millisecond)
	next := time.Now().Add(every)
	for {
		if !time.Now().Before(next) {
			sent := time.Now()
			hctx, cancel := context.WithTimeout(ctx, every)
			_, err := conn.Exec(hctx, "SELECT 1")
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("heartbeat: %w", err)
			}
			for {
				n, _ := conn.WaitForNotification(drained)
				if n == nil {
					break
				}
				if err := apply(n); err != nil {
					return err
				}
			}
			vouch(sent)
			next = sent.Add(every)
		}
		wctx, cancel := context.WithDeadline(ctx, next)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if n != nil {
			if err := apply(n); err != nil {
				return err
			}
		}
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil && !conn.IsClosed() {
				continue // time for the next heartbeat
			}
			return err
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
