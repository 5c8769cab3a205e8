package newsletter_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/examples/newsletter"
	"github.com/privacykit/privacy/privacytest"
)

type outbox struct{ sent []string }

func (o *outbox) Send(_ context.Context, to, body string) error {
	o.sent = append(o.sent, to+": "+body)
	return nil
}

var (
	adult = newsletter.Recipient{ID: "u-1", Email: "ann@example.nl", Age: 34, Country: "NL"}
	child = newsletter.Recipient{ID: "u-2", Email: "kid@example.nl", Age: 14, Country: "NL"}
	fan   = newsletter.Recipient{ID: "u-3", Email: "fan@example.nl", Age: 40, Country: "NL"}
)

func TestAnnounce(t *testing.T) {
	env := privacytest.New(t)
	env.Subject(fan.ID).ObjectToDirectMarketing()

	tests := []struct {
		name    string
		to      newsletter.Recipient
		wantErr error
	}{
		{"adult customer: soft opt-in", adult, nil},
		{"child: the assessment excludes children", child, newsletter.ErrNotAllowed},
		{"objected to direct marketing", fan, newsletter.ErrNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out outbox
			svc := newsletter.Service{Privacy: env.Engine, Mailer: &out}
			err := svc.Announce(t.Context(), tc.to, "New: breakout rooms")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Announce error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && (len(out.sent) != 1 || !strings.Contains(out.sent[0], "Unsubscribe")) {
				t.Errorf("sent %q, want one mail with an unsubscribe link", out.sent)
			}
		})
	}
}

func TestRequestReasons(t *testing.T) {
	env := privacytest.New(t)
	env.Subject(fan.ID).ObjectToDirectMarketing()

	privacytest.AssertAllowed(t, env.Engine, newsletter.Request(adult, false))
	privacytest.AssertDenied(t, env.Engine, newsletter.Request(adult, true), privacy.ReasonObjectionActive)
	privacytest.AssertDenied(t, env.Engine, newsletter.Request(child, false), privacy.ReasonLIChild)
	privacytest.AssertDenied(t, env.Engine, newsletter.Request(fan, false), privacy.ReasonObjectionActive)
}

// TestDecisionsGolden pins the decisions of the package's requests: a
// catalog or module change that flips one fails here with a diff. Refresh
// with PRIVACYTEST_UPDATE=1 go test ./examples/newsletter/.
func TestDecisionsGolden(t *testing.T) {
	env := privacytest.New(t)
	env.Subject(fan.ID).ObjectToDirectMarketing()
	privacytest.Golden(t, env.Engine, filepath.Join("testdata", "decisions.json"), []privacytest.Case{
		{Name: "adult", Request: newsletter.Request(adult, false)},
		{Name: "adult with GPC", Request: newsletter.Request(adult, true)},
		{Name: "child", Request: newsletter.Request(child, false)},
		{Name: "objected to direct marketing", Request: newsletter.Request(fan, false)},
	})
}
