// Package newsletter is an example of a package in a consuming service: it
// sends product announcements only when the privacy engine allows it, and
// its tests (newsletter_test.go) show the privacytest helpers.
package newsletter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/privacykit/privacy"
)

// Decider is the part of policies.Engine the package needs.
type Decider interface {
	Decide(ctx context.Context, req privacy.Request) (privacy.Decision, error)
}

// Mailer sends one message.
type Mailer interface {
	Send(ctx context.Context, to, body string) error
}

// Recipient is a subscriber of the newsletter.
type Recipient struct {
	ID      string
	Email   string
	Age     int
	Country string
}

// ErrNotAllowed is returned when the policy denies the mail.
var ErrNotAllowed = errors.New("newsletter: not allowed")

// Service sends announcements through an email processor.
type Service struct {
	Privacy Decider
	Mailer  Mailer
}

// Request returns the privacy request for announcing to r through the
// mail processor (in the EEA, under a data-processing agreement).
func Request(r Recipient, gpc bool) privacy.Request {
	return privacy.Request{
		Subject:            privacy.Subject{ID: r.ID, Kind: privacy.SubjectUser, Age: r.Age, Country: r.Country},
		Purpose:            "marketing.announcements",
		Data:               []string{"instance.contact.email", "instance.account.username"},
		Recipient:          &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: "IE", DPA: true},
		EncryptedInTransit: true,
		Signals:            privacy.Signals{GPC: gpc},
	}
}

// Announce sends the announcement to r if the policy allows it, honouring
// the obligations of the decision.
func (s *Service) Announce(ctx context.Context, r Recipient, text string) error {
	d, err := s.Privacy.Decide(ctx, Request(r, false))
	if err != nil {
		return fmt.Errorf("newsletter: decide: %w", err)
	}
	if !d.Allowed {
		return fmt.Errorf("%w: %s", ErrNotAllowed, strings.Join(d.Codes(), ", "))
	}
	if d.Requires("include_unsubscribe") {
		text += "\n\nUnsubscribe: https://example.com/unsubscribe"
	}
	return s.Mailer.Send(ctx, r.Email, text)
}
