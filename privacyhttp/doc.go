// Package privacyhttp puts the privacy decision point in front of net/http
// handlers: it reads the Global Privacy Control signal, resolves the
// subject of a request, guards handlers with RequirePurpose, and serves a
// preference center where subjects see and change their consents and
// objections.
//
// Middleware.Handler reads the signal and the subject into the request's
// context; RequirePurpose decides and answers a denial with 403 and the
// decision as JSON. A denial's reason messages name the purpose and the
// data categories and no personal data (not the subject's id, age or
// country); RequirePurpose names no recipient, so no other person's data
// reaches the body. Extension modules must keep to the same rule in their
// messages. A resolver, decider or store that panics is a refusal (500),
// logged without the panic's value.
package privacyhttp
