// Command webapp is a small service with a privacy preference center: a
// page where a subject sees and changes their consents and objections,
// served by privacyhttp.PreferenceCenter, and two endpoints guarded by
// privacyhttp.RequirePurpose.
//
//	go run ./examples/webapp            # then open http://127.0.0.1:8080/
//
// The subject is taken from a "subject" cookie (default demo-user): a
// stand-in for the service's own session. Never resolve subjects from a
// client-chosen value in a real service.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/privacyhttp"
)

//go:embed index.html
var indexHTML []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	flag.Parse()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h, _, err := newApp(ctx, logger)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	logger.Info("webapp listening", "url", "http://"+*addr+"/")
	log.Fatal(srv.ListenAndServe())
}

// newApp builds the service on in-memory stores and returns its handler and
// engine.
func newApp(ctx context.Context, logger *slog.Logger) (http.Handler, *policies.Engine, error) {
	consents := memory.NewConsentStore()
	subjects := memory.NewStateStore()
	eng, err := policies.New(ctx, policies.WithConsents(consents), policies.WithSubjects(subjects), policies.WithLogger(logger))
	if err != nil {
		return nil, nil, err
	}
	mw := privacyhttp.New(eng, privacyhttp.WithResolver(subjectFromCookie), privacyhttp.WithLogger(logger))
	pc := privacyhttp.NewPreferenceCenter(eng, consents, subjects, privacyhttp.WithResolver(subjectFromCookie), privacyhttp.WithLogger(logger))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'")
		_, _ = w.Write(indexHTML)
	})
	mux.Handle("/privacy/", http.StripPrefix("/privacy", pc))
	mux.Handle("POST /survey", mw.RequirePurpose("research.surveys", "instance.contact.email")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "survey invitation sent") })))
	mux.Handle("POST /announce", mw.RequirePurpose("marketing.announcements", "instance.contact.email")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "announcement sent") })))
	return mw.Handler(mux), eng, nil
}

// subjectFromCookie stands in for a real session lookup.
func subjectFromCookie(r *http.Request) (privacy.Subject, error) {
	id := "demo-user"
	if c, err := r.Cookie("subject"); err == nil && c.Value != "" {
		id = c.Value
	}
	return privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 30, Country: "NL"}, nil
}
