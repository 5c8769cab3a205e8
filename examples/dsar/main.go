// Command dsar shows a data-subject request workflow end to end: a service
// with two stores of personal data (a SQL table in its own SQLite database,
// and an in-memory contact book) plugs them into a dsar.Desk, which keeps
// its requests and the subjects' state in the module's SQLite store. The
// program answers an access request, erases the subject, and answers a
// second access request that finds nothing.
//
//	go run ./examples/dsar
//
// Everything lives in a temporary directory that is removed at the end.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the "sqlite" driver of the service's own database

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/sqlite"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dsar:", err)
		os.Exit(1)
	}
}

// meetings is a Source over the service's meetings table. Meeting rows hold
// meeting data (instance.meeting.data) and, optionally, a recording
// (instance.meeting.recording).
type meetings struct{ db *sql.DB }

func (m meetings) Export(ctx context.Context, s privacy.Subject) ([]dsar.Record, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT id, title, minutes, recording FROM meetings WHERE host = ? ORDER BY id`, s.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dsar.Record
	for rows.Next() {
		var (
			id, minutes int
			title       string
			recording   sql.NullString
		)
		if err := rows.Scan(&id, &title, &minutes, &recording); err != nil {
			return nil, err
		}
		rid := fmt.Sprintf("meeting-%d", id)
		out = append(out, dsar.Record{Category: "instance.meeting.data", ID: rid,
			Value: map[string]any{"title": title, "minutes": minutes}})
		if recording.Valid {
			out = append(out, dsar.Record{Category: "instance.meeting.recording", ID: rid, Value: recording.String})
		}
	}
	return out, rows.Err()
}

// Erase deletes the subject's meetings when meeting data is to be erased,
// and otherwise only drops recordings if those are.
func (m meetings) Erase(ctx context.Context, s privacy.Subject, categories []string) ([]dsar.Erased, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []dsar.Erased
	if slices.Contains(categories, "instance.meeting.recording") {
		res, err := tx.ExecContext(ctx, `UPDATE meetings SET recording = NULL WHERE host = ? AND recording IS NOT NULL`, s.ID)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			out = append(out, dsar.Erased{Category: "instance.meeting.recording", Method: dsar.Deleted, Count: int(n)})
		}
	}
	if slices.Contains(categories, "instance.meeting.data") {
		res, err := tx.ExecContext(ctx, `DELETE FROM meetings WHERE host = ?`, s.ID)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			out = append(out, dsar.Erased{Category: "instance.meeting.data", Method: dsar.Deleted, Count: int(n)})
		}
	}
	return out, tx.Commit()
}

func (m meetings) Rectify(ctx context.Context, s privacy.Subject, cs []dsar.Correction) (int, error) {
	return 0, nil // meeting records are facts of what happened; nothing to correct
}

// contacts is a Source over an in-memory contact book.
type contacts struct {
	mu     sync.Mutex
	byUser map[string]map[string]string // subject id -> category -> value
}

func (c *contacts) Export(_ context.Context, s privacy.Subject) ([]dsar.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []dsar.Record
	for cat, v := range c.byUser[s.ID] {
		out = append(out, dsar.Record{Category: cat, Value: v})
	}
	slices.SortFunc(out, func(a, b dsar.Record) int { return strings.Compare(a.Category, b.Category) })
	return out, nil
}

func (c *contacts) Erase(_ context.Context, s privacy.Subject, categories []string) ([]dsar.Erased, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []dsar.Erased
	for _, cat := range categories {
		if _, ok := c.byUser[s.ID][cat]; ok {
			delete(c.byUser[s.ID], cat)
			out = append(out, dsar.Erased{Category: cat, Method: dsar.Deleted, Count: 1})
		}
	}
	return out, nil
}

func (c *contacts) Rectify(_ context.Context, s privacy.Subject, cs []dsar.Correction) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range cs {
		if _, ok := c.byUser[s.ID][x.Category]; ok {
			c.byUser[s.ID][x.Category] = fmt.Sprint(x.Value)
			n++
		}
	}
	return n, nil
}

func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "privacy-dsar-example-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The service's own database, with meetings of two users.
	svc, err := sql.Open("sqlite", filepath.Join(dir, "service.db"))
	if err != nil {
		return err
	}
	defer svc.Close()
	if _, err := svc.ExecContext(ctx, `
CREATE TABLE meetings (id INTEGER PRIMARY KEY, host TEXT NOT NULL, title TEXT NOT NULL, minutes INTEGER NOT NULL, recording TEXT);
INSERT INTO meetings (host, title, minutes, recording) VALUES
  ('u-1', 'Weekly sync', 30, NULL),
  ('u-1', 'Customer intake', 45, 's3://recordings/u-1/2.webm'),
  ('u-2', 'Onboarding', 20, NULL);`); err != nil {
		return fmt.Errorf("seed service database: %w", err)
	}
	book := &contacts{byUser: map[string]map[string]string{
		"u-1": {"instance.contact.email": "ann@example.com", "instance.account.username": "ann"},
		"u-2": {"instance.contact.email": "bob@example.com"},
	}}

	// The module's store: requests and subject state survive a restart.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "privacy.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	cat := privacy.DefaultCatalog()
	desk := dsar.NewDesk(db.RequestStore(), db.StateStore(),
		dsar.WithCatalog(cat),
		dsar.WithSource("meetings", meetings{svc}),
		dsar.WithSource("contacts", book),
		// Erasure keeps what the law keeps: statutory and legal holds.
		dsar.WithHolds(&retention.ErasureHolds{Catalog: cat, Holds: db.RetentionStore()}),
		// Erasure keeps the proof of consent, under a pseudonym.
		dsar.WithConsent(db.ConsentStore()),
	)
	ann := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"}
	if _, err := consent.Grant(ctx, db.ConsentStore(), cat, consent.Record{SubjectID: ann.ID, Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, Act: consent.ActUntickedBox, CollectedBy: "signup form"}); err != nil {
		return err
	}
	support := dsar.Evidence{Method: "email_link", By: "support@24sessions.com"}

	// answer opens, verifies and runs one request, printing each step.
	answer := func(r dsar.Request) (dsar.Request, error) {
		r, err := desk.Open(ctx, r)
		if err != nil {
			return r, err
		}
		fmt.Fprintf(out, "\n== %s request %s opened for %s, due %s\n", r.Kind, r.ID, r.Subject.ID, r.Due.Format("2006-01-02"))
		if r, err = desk.Verify(ctx, r.ID, support); err != nil {
			return r, err
		}
		fmt.Fprintf(out, "   identity %s (%s by %s)\n", r.Verification.Status, r.Verification.Method, r.Verification.By)
		if r, err = desk.Run(ctx, r.ID); err != nil {
			return r, err
		}
		for _, o := range r.Sources {
			fmt.Fprintf(out, "   source %-8s %s after %d attempt(s)", o.Source, o.Status, o.Attempts)
			switch r.Kind {
			case dsar.KindAccess:
				fmt.Fprintf(out, ": %d records\n", len(o.Records))
			case dsar.KindErasure:
				var parts []string
				for _, e := range o.Erased {
					parts = append(parts, fmt.Sprintf("%s %d %s", e.Method, e.Count, e.Category))
				}
				fmt.Fprintf(out, ": %s\n", cmpOr(strings.Join(parts, ", "), "nothing to erase"))
			default:
				fmt.Fprintln(out)
			}
		}
		fmt.Fprintf(out, "   status %s; trail:", r.Status)
		for _, e := range r.Trail {
			fmt.Fprintf(out, " %s", e.Action)
		}
		fmt.Fprintln(out)
		return r, nil
	}
	export := func(r dsar.Request) error {
		e, err := desk.Export(ctx, r.ID)
		if err != nil {
			return err
		}
		b, err := e.JSON()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, r.ID+".json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "   export: %d bytes of JSON (%d records, %d categories with purposes, bases, recipients, retention)\n",
			len(b), len(e.Records), len(e.Categories))
		for _, line := range strings.Split(strings.TrimSpace(e.Summary()), "\n") {
			fmt.Fprintln(out, "   | "+line)
		}
		return nil
	}

	r, err := answer(dsar.Request{Kind: dsar.KindAccess, Subject: ann, Channel: "email"})
	if err != nil {
		return err
	}
	if err := export(r); err != nil {
		return err
	}
	if _, err := answer(dsar.Request{Kind: dsar.KindErasure, Subject: ann, Channel: "email"}); err != nil {
		return err
	}
	st, err := db.StateStore().State(ctx, ann.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   subject state: deactivated=%v restricted=%v (the policies engine reads this before every decision)\n", st.Deactivated, st.Restricted)
	history, err := db.ConsentStore().History(ctx, ann.ID)
	if err != nil {
		return err
	}
	rep, err := consent.Verify(ctx, db.ConsentStore())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   consent ledger: %d records still found under %s's id; %s\n", len(history), ann.ID, rep)
	if r, err = answer(dsar.Request{Kind: dsar.KindAccess, Subject: ann, Channel: "email"}); err != nil {
		return err
	}
	if err := export(r); err != nil {
		return err
	}

	var others int
	if err := svc.QueryRowContext(ctx, `SELECT count(*) FROM meetings WHERE host <> 'u-1'`).Scan(&others); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nother users untouched: %d meeting(s) of u-2 remain\n", others)
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
