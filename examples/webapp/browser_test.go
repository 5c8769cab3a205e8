package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/privacytest"
)

// TestBrowserConsentToggle opens the preference page in headless Chromium,
// clicks the research.surveys consent toggle with the mouse, and checks
// that the next decision changes: denied before, allowed after, and denied
// again after a second click.
//
// Chromium is driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: NUL-separated JSON on file descriptors 3 and 4),
// so the test needs no client library. Without Chromium it skips, unless
// CI=true, where it fails.
func TestBrowserConsentToggle(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found (install the Debian packages chromium and chromium-driver)")
		}
		t.Skip("chromium not found: install the Debian package chromium to run the browser test")
	}
	h, eng, err := newApp(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	b := startBrowser(ctx, t, bin)

	session := b.open(ctx, t, srv.URL+"/")
	waitFor(ctx, t, b, session, `document.body.dataset.ready === "1" && !!document.getElementById("consent-research.surveys")`)

	surveys := privacy.Request{Subject: privacy.Subject{ID: "demo-user", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "research.surveys", Data: []string{"instance.contact.email"}}
	privacytest.AssertDenied(t, eng, surveys, privacy.ReasonConsentMissing)

	b.click(ctx, t, session, "consent-research.surveys")
	waitFor(ctx, t, b, session, `document.body.dataset.ready === "1" && document.getElementById("status").textContent === "Consent given."`)
	privacytest.AssertAllowed(t, eng, surveys)
	if got := b.eval(ctx, t, session, `document.getElementById("consent-research.surveys").checked`); got != true {
		t.Errorf("after the click the toggle shows %v, want checked", got)
	}

	b.click(ctx, t, session, "consent-research.surveys")
	waitFor(ctx, t, b, session, `document.body.dataset.ready === "1" && document.getElementById("status").textContent === "Consent withdrawn."`)
	privacytest.AssertDenied(t, eng, surveys, privacy.ReasonConsentWithdrawn)
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is a Chromium process driven over the DevTools pipe.
type browser struct {
	in      io.WriteCloser
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpMessage
	done    chan struct{} // closed when the reader stops
}

type cdpMessage struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func startBrowser(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	// Chromium reads commands from fd 3 and writes answers to fd 4.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	b := &browser{in: cmdW, waiting: map[int]chan cdpMessage{}, done: make(chan struct{})}
	go b.read(outR)
	t.Cleanup(func() {
		// Ask politely, then make sure: the process must not outlive the test.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = b.call(ctx, "", "Browser.close", nil)
		cmdW.Close()
		select {
		case <-b.done:
		case <-ctx.Done():
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		outR.Close()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})
	return b
}

func (b *browser) read(r io.Reader) {
	defer close(b.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, 0); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		var m cdpMessage
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.ID == 0 {
			continue // events are not needed
		}
		b.mu.Lock()
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends a command (to the browser, or to a page's session) and waits
// for its answer, bounded by ctx.
func (b *browser) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: chromium closed the pipe", method)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *browser) mustCall(ctx context.Context, t *testing.T, session, method string, params, out any) {
	t.Helper()
	res, err := b.call(ctx, session, method, params)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
}

// open opens url in a new page and returns the page's session id.
func (b *browser) open(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	b.mustCall(ctx, t, "", "Target.createTarget", map[string]any{"url": url}, &target)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.mustCall(ctx, t, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	return att.SessionID
}

// eval evaluates a JavaScript expression in the page and returns its value.
func (b *browser) eval(ctx context.Context, t *testing.T, session, expr string) any {
	t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.mustCall(ctx, t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
	if res.ExceptionDetails != nil {
		t.Fatalf("evaluate %s: %s", expr, res.ExceptionDetails.Text)
	}
	return res.Result.Value
}

// click clicks the middle of the element with the id, with mouse events as
// a user's click makes them.
func (b *browser) click(ctx context.Context, t *testing.T, session, id string) {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`, id)
	xy, ok := b.eval(ctx, t, session, expr).([]any)
	if !ok || len(xy) != 2 {
		t.Fatalf("no position for #%s: %v", id, xy)
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		b.mustCall(ctx, t, session, "Input.dispatchMouseEvent", map[string]any{
			"type": typ, "x": xy[0], "y": xy[1], "button": "left", "clickCount": 1,
		}, nil)
	}
}

// waitFor polls a JavaScript condition until it is true, failing the test
// when ctx ends first.
func waitFor(ctx context.Context, t *testing.T, b *browser, session, cond string) {
	t.Helper()
	// The page may not have a body yet: a condition that throws is false.
	expr := "(() => { try { return " + cond + "; } catch (e) { return false; } })()"
	for {
		if b.eval(ctx, t, session, expr) == true {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", cond, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
