package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/stateview"
	"github.com/privacykit/privacy/storetest"
	"github.com/privacykit/privacy/subject"
)

func TestView(t *testing.T) {
	pgtest.Require(t)
	storetest.RunView(t, func(t *testing.T) storetest.ViewEnv {
		db := open(t, pgtest.DSN(t))
		return storetest.ViewEnv{Consents: db.ConsentStore(), States: db.StateStore(), View: view(t, db)}
	})
}

func TestViewClosedWithDB(t *testing.T) {
	pgtest.Require(t)
	storetest.RunViewClosedWithDB(t, func(t *testing.T, opts ...stateview.Option) (*stateview.View, func() error) {
		db, err := postgres.Open(t.Context(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		v, err := db.View(t.Context(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return v, db.Close
	})
}

func view(t *testing.T, db *postgres.DB) *stateview.View {
	t.Helper()
	v, err := db.View(t.Context())
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

// eventually calls ok until it reports true, failing the test after 30
// seconds: for what another process's notification brings.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestViewAcrossProcesses checks that an engine reading through a view
// sees a withdrawal and an objection made through another DB, as by
// another replica, once the notification arrives, although it had the
// subject in memory.
func TestViewAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	replica, other := open(t, dsn), open(t, dsn)
	v := view(t, replica)
	e, err := policies.New(t.Context(), policies.WithConsents(v.Consents()), policies.WithSubjects(v.Subjects()), policies.WithCache(0))
	if err != nil {
		t.Fatalf("policies.New: %v", err)
	}
	req := storetest.SurveyRequest(time.Time{})
	storetest.GrantSurvey(t, other.ConsentStore())
	eventually(t, "the grant through the other DB is not allowed", func() bool { return storetest.Decide(t, e, req).Allowed })
	// The grant's own notification may still make the view forget once;
	// after that, decisions come from memory.
	eventually(t, "no decision is answered from memory", func() bool {
		hits := v.Stats().Hits
		d := storetest.Decide(t, e, req)
		if !d.Allowed {
			t.Fatalf("after the grant: denied %v", storetest.Codes(d))
		}
		return v.Stats().Hits > hits
	})

	if _, err := consent.Withdraw(t.Context(), other.ConsentStore(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys"}); err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	eventually(t, "the withdrawal through the other DB is not seen", func() bool {
		d := storetest.Decide(t, e, req)
		return !d.Allowed && d.Reasons[0].Code == privacy.ReasonConsentWithdrawn
	})

	req.Purpose, req.Data = "service.personalisation", []string{"instance.feedback"}
	if d := storetest.Decide(t, e, req); !d.Allowed {
		t.Fatalf("personalisation before the objection: denied %v", storetest.Codes(d))
	}
	if err := subject.Object(t.Context(), other.StateStore(), "u-1", "service.personalisation"); err != nil {
		t.Fatalf("Object: %v", err)
	}
	eventually(t, "the objection through the other DB is not seen", func() bool { return !storetest.Decide(t, e, req).Allowed })
}

// TestViewReconnects cuts the view's listening connection: the view reads
// through to the database meanwhile, listens again, and then sees other
// processes' writes again.
func TestViewReconnects(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	replica, other := open(t, dsn), open(t, dsn)
	v := view(t, replica)
	read := func() consent.Event {
		st, err := v.Consents().State(t.Context(), "u-1", "research.surveys", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("view State: %v", err)
		}
		return st.Event
	}
	write := func(e consent.Event) {
		t.Helper()
		r := consent.Record{SubjectID: "u-1", Purpose: "research.surveys", Event: e, PolicyVersion: "1.2", Method: consent.MethodAPI, CollectedAt: time.Now()}
		if _, err := other.ConsentStore().Append(t.Context(), r); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	read()

	conn, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var cut int
	if err := conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		"privacykit-view "+schema).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("terminating the view's connection: %d terminated, %v", cut, err)
	}
	// Written while the view may not be listening.
	write(consent.Given)
	eventually(t, "the grant made while the view was cut off is not seen", func() bool { return read() == consent.Given })
	eventually(t, "the view does not listen again", func() bool {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, "privacykit-view "+schema).Scan(&n)
		return err == nil && n == 1 && v.Live()
	})
	read()
	write(consent.Withdrawn)
	eventually(t, "the withdrawal after the reconnection is not seen", func() bool { return read() == consent.Withdrawn })
}

// TestViewEndsWithContext checks that a view whose context ended reads
// through to the database.
func TestViewEndsWithContext(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	ctx, cancel := context.WithCancel(t.Context())
	v, err := db.View(ctx)
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	cancel()
	eventually(t, "the view is still live", func() bool { return !v.Live() })
	if _, err := v.Subjects().State(t.Context(), "u-1"); err != nil {
		t.Fatalf("State: %v", err)
	}
	if s := v.Stats(); s.Bypassed != 1 || s.Subjects != 0 {
		t.Errorf("stats %+v: want one bypassed read and nothing kept", s)
	}
}

// TestNotifyPayloadLimit: ids whose JSON escaping blows a notification
// past PostgreSQL's 8000 bytes still write (the notification then names no
// subject), and a view still sees the write.
func TestNotifyPayloadLimit(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	replica, other := open(t, dsn), open(t, dsn)
	v := view(t, replica)
	id := strings.Repeat("\x01", privacy.MaxIDLength)
	purpose := strings.Repeat("\"", privacy.MaxIDLength)
	read := func() consent.Event {
		st, err := v.Consents().State(t.Context(), id, purpose, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("view State: %v", err)
		}
		return st.Event
	}
	if read() != "" {
		t.Fatal("a consent before any grant")
	}
	if _, err := other.ConsentStore().Append(t.Context(), consent.Record{SubjectID: id, Purpose: purpose, Event: consent.Given,
		PolicyVersion: "1.2", Method: consent.MethodAPI, CollectedAt: time.Now()}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	eventually(t, "the grant through the other DB is not seen", func() bool { return read() == consent.Given })
	if err := subject.SetRestricted(t.Context(), other.StateStore(), strings.Repeat(`"`, privacy.MaxIDLength), true); err != nil {
		t.Fatalf("SetRestricted: %v", err)
	}
}
