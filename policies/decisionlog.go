package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/subject"
)

// DecisionLogMessage is the message of every record the decision log
// writes, so that a handler or a log pipeline can pick them out.
const DecisionLogMessage = "privacy decision"

// WithDecisionLog writes every decision to l, one record per Decide, at
// level Info (Error when the decision failed closed). Subject ids are
// replaced by Pseudonym(key, id); the raw subject id is never logged. The
// record holds what an auditor needs to reproduce the decision: the policy
// (version, catalog hash, modules hash, bundle revision, generation), the
// request minus identifiers, the consent and subject state the engine read,
// and the outcome (allowed, basis, reason and obligation codes, and
// replay: true for an audit replay, Engine.Replay). Reason messages are not
// logged: an auditor re-creates them by deciding again. A request refused
// for its size is logged cut to the request's limits (privacy.MaxIDLength,
// MaxDataKeys) and marked truncated: true.
//
// A recipient's id is kept when the recipient is an organisation (every
// kind but individual) and pseudonymised with the same key when it is an
// individual, who is a person the subject asked to inform.
//
// The key should be 32 random bytes kept as a secret: whoever holds it can
// link a known subject id to its log records (for a data-subject access
// request), and nobody without it can. New refuses a key shorter than 16
// bytes (privacy.ErrInvalid) and copies the key. A nil logger disables the
// decision log.
func WithDecisionLog(l *slog.Logger, key []byte) Option {
	return func(o *config) {
		if l == nil {
			o.dlog = nil
			return
		}
		o.dlog = &decisionLog{log: l, key: append([]byte(nil), key...)}
	}
}

// minLogKey is the shortest decision-log key New accepts, in bytes.
const minLogKey = 16

// Pseudonym returns the pseudonym the decision log writes for id: the
// HMAC-SHA256 of id under key, hex encoded and truncated to 32 characters
// (128 bits), as privacy.Pseudonym. An auditor who holds the key computes
// it to find a subject's decisions.
func Pseudonym(key []byte, id string) string { return privacy.Pseudonym(key, id) }

type decisionLog struct {
	log *slog.Logger
	key []byte
}

// write logs one decision. The attributes are built only when the handler
// takes the level, so a disabled log costs one Enabled call.
func (l *decisionLog) write(ctx context.Context, p *policy, req *privacy.Request, f *facts, d privacy.Decision, err error) {
	level := slog.LevelInfo
	if err != nil && !d.Has(privacy.ReasonRequestInvalid) {
		level = slog.LevelError
	}
	if !l.log.Enabled(ctx, level) {
		return
	}
	state := []any{
		slog.Time("at", f.at.UTC()),
		slog.Group("consent",
			slog.String("event", string(f.consent.Event)),
			slog.String("policy_version", f.consent.PolicyVersion),
			slog.Bool("guardian", f.consent.Guardian),
			slog.Time("expires_at", f.consent.ExpiresAt.UTC()),
		),
		slog.Any("objections", objections(f.state.Objections)),
		slog.Bool("restricted", f.state.Restricted),
		slog.Bool("deactivated", f.state.Deactivated),
	}
	if len(f.state.Assessments) > 0 {
		// Who assessed and when, so that the log shows what an allowed
		// decision after an objection rests on; not the reason, whose
		// text may describe the subject.
		list := make([]map[string]string, len(f.state.Assessments))
		for i, a := range f.state.Assessments {
			list[i] = map[string]string{"purpose": a.Purpose, "by": a.By, "at": a.At.UTC().Format(time.RFC3339Nano)}
		}
		state = append(state, slog.Any("assessments", list))
	}
	attrs := []slog.Attr{
		slog.Group("policy",
			slog.String("version", p.catalog.PolicyVersion),
			slog.String("catalog_hash", p.catalog.Hash()),
			slog.String("modules_hash", p.modulesHash),
			slog.String("revision", p.revision),
			slog.Uint64("generation", p.generation),
		),
		slog.Any("request", l.request(req)),
		slog.Group("state", state...),
		slog.Group("decision",
			slog.Bool("allowed", d.Allowed),
			slog.String("basis", string(d.Basis)),
			slog.Any("reasons", d.Codes()),
			slog.Any("obligations", d.ObligationCodes()),
		),
	}
	if f.replay {
		attrs = append(attrs, slog.Bool("replay", true))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error_code", privacy.ErrorCode(err)))
	}
	l.log.LogAttrs(ctx, level, DecisionLogMessage, attrs...)
}

// loggedRequest is a privacy.Request with the identifiers replaced. Its
// JSON has the shape of the request JSON, so that an auditor can put the
// subject id back (any id: the policy never reads it) and decide it again.
type loggedRequest struct {
	Subject            loggedSubject      `json:"subject"`
	Purpose            string             `json:"purpose"`
	Data               []string           `json:"data"`
	Basis              string             `json:"basis,omitempty"`
	Recipient          *privacy.Recipient `json:"recipient,omitempty"`
	AutomatedDecision  bool               `json:"automated_decision"`
	EncryptedInTransit bool               `json:"encrypted_in_transit"`
	Signals            privacy.Signals    `json:"signals"`
	Time               time.Time          `json:"time,omitzero"`
	// Truncated reports that a string or list of the request was over
	// the request's limits (privacy.MaxIDLength, MaxDataKeys) and is
	// logged cut to them; such a request was refused as invalid.
	Truncated bool `json:"truncated,omitempty"`
}

type loggedSubject struct {
	Pseudonym  string              `json:"pseudonym"`
	Kind       privacy.SubjectKind `json:"kind"`
	Age        int                 `json:"age"`
	Country    string              `json:"country"`
	Controller string              `json:"controller"`
}

func (l *decisionLog) request(req *privacy.Request) loggedRequest {
	var c clipper
	out := loggedRequest{
		Subject: loggedSubject{
			Pseudonym:  Pseudonym(l.key, req.Subject.ID),
			Kind:       privacy.SubjectKind(c.clip(string(req.Subject.Kind))),
			Age:        req.Subject.Age,
			Country:    c.clip(req.Subject.Country),
			Controller: c.clip(req.Subject.Controller),
		},
		Purpose:            c.clip(req.Purpose),
		Data:               c.list(req.Data),
		Basis:              c.clip(string(req.Basis)),
		AutomatedDecision:  req.AutomatedDecision,
		EncryptedInTransit: req.EncryptedInTransit,
		Signals:            req.Signals,
		Time:               req.Time,
	}
	if r := req.Recipient; r != nil {
		rc := *r
		if !isOrganisation(rc.Kind) {
			rc.ID = Pseudonym(l.key, rc.ID)
		}
		rc.ID = c.clip(rc.ID)
		rc.Kind = privacy.RecipientKind(c.clip(string(rc.Kind)))
		rc.Country = c.clip(rc.Country)
		rc.Safeguard = privacy.Safeguard(c.clip(string(rc.Safeguard)))
		rc.Sector = c.clip(rc.Sector)
		rc.Jurisdiction = c.clip(rc.Jurisdiction)
		rc.Derogation = privacy.Derogation(c.clip(string(rc.Derogation)))
		rc.Certifications = c.list(rc.Certifications)
		out.Recipient = &rc
	}
	out.Truncated = c.cut
	return out
}

// clipper cuts what a request holds to the request's limits, so that a
// request refused for its size is logged bounded: a valid request is
// within them and logged whole.
type clipper struct{ cut bool }

func (c *clipper) clip(s string) string {
	if len(s) <= privacy.MaxIDLength {
		return s
	}
	c.cut = true
	n := privacy.MaxIDLength
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (c *clipper) list(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	if len(xs) > privacy.MaxDataKeys {
		c.cut = true
		xs = xs[:privacy.MaxDataKeys]
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = c.clip(x)
	}
	return out
}

// isOrganisation reports whether a recipient kind names an organisation,
// whose id is not personal data.
func isOrganisation(k privacy.RecipientKind) bool {
	switch k {
	case privacy.RecipientAffiliate, privacy.RecipientProcessor, privacy.RecipientPartner,
		privacy.RecipientThirdParty, privacy.RecipientPublicAuthority:
		return true
	}
	return false
}

// objections lists a subject's objections by purpose, "direct_marketing"
// standing for an objection to all direct marketing.
func objections(list []subject.Objection) []string {
	out := make([]string, 0, len(list))
	for _, o := range list {
		if o.DirectMarketing {
			out = append(out, "direct_marketing")
		} else {
			out = append(out, o.Purpose)
		}
	}
	return out
}

// hashModules returns the SHA-256 (hex) of the extension modules, names and
// sources in order, or "" when there are none.
func hashModules(modules []module) string {
	if len(modules) == 0 {
		return ""
	}
	h := sha256.New()
	for _, m := range modules {
		h.Write([]byte(m.name))
		h.Write([]byte{0})
		h.Write([]byte(m.source))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
