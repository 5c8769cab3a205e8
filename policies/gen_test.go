package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/subject"
)

// fixedState is a read-only consent.Reader and subject.StateReader over
// generated state, safe for concurrent use once filled.
type fixedState struct {
	consents map[[2]string]consent.State
	subjects map[string]subject.State
}

func newFixedState() *fixedState {
	return &fixedState{consents: map[[2]string]consent.State{}, subjects: map[string]subject.State{}}
}

func (f *fixedState) State(_ context.Context, subjectID, purpose string, _ time.Time) (consent.State, error) {
	st, ok := f.consents[[2]string{subjectID, purpose}]
	if !ok {
		st = consent.State{SubjectID: subjectID, Purpose: purpose}
	}
	return st, nil
}

type fixedSubjects struct{ *fixedState }

func (f fixedSubjects) State(_ context.Context, subjectID string) (subject.State, error) {
	st, ok := f.subjects[subjectID]
	if !ok {
		st = subject.State{SubjectID: subjectID}
	}
	return st, nil
}

// gen draws requests, subjects and their state from a seeded source, over
// the values the rules distinguish (and a few they reject).
type gen struct {
	catalog  *privacy.Catalog
	r        *rand.Rand
	purposes []string
	data     []string
	base     time.Time
	n        int
}

func newGen(seed uint64, c *privacy.Catalog) *gen {
	g := &gen{catalog: c, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), base: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	for _, p := range c.Purposes {
		g.purposes = append(g.purposes, p.Key)
	}
	parents := map[string]bool{}
	for _, cat := range c.Categories {
		g.data = append(g.data, cat.Key)
		for i := len(cat.Key) - 1; i > 0; i-- {
			if cat.Key[i] == '.' {
				parents[cat.Key[:i]] = true
			}
		}
	}
	for p := range parents {
		g.data = append(g.data, p)
	}
	// Sort for reproducibility: map order is random.
	slices.Sort(g.data)
	g.data = append(g.data, "instance.unknown.thing", "guest")
	return g
}

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// template draws everything of a request but the subject.
func (g *gen) template() privacy.Request {
	req := privacy.Request{
		Purpose:            g.purposes[g.r.IntN(len(g.purposes))],
		AutomatedDecision:  g.chance(0.1),
		EncryptedInTransit: g.chance(0.5),
		Signals:            privacy.Signals{GPC: g.chance(0.2)},
		Time:               g.base.Add(time.Duration(g.r.IntN(48)-24) * time.Hour),
	}
	if g.chance(0.03) {
		req.Purpose = "undeclared.purpose"
	}
	for range 1 + g.r.IntN(3) {
		req.Data = append(req.Data, g.data[g.r.IntN(len(g.data))])
	}
	plausible := false
	if p := g.catalog.Purpose(req.Purpose); p != nil && g.chance(0.3) {
		// A category the purpose permits, internal or to a processor in
		// the EEA, encrypted, so that allowed decisions are common enough
		// to compare.
		plausible = true
		req.Data = []string{p.Categories[g.r.IntN(len(p.Categories))]}
		req.AutomatedDecision, req.EncryptedInTransit, req.Basis = false, true, ""
	}
	if g.chance(0.3) {
		all := lawfulbasis.All()
		req.Basis = all[g.r.IntN(len(all))]
	}
	if plausible {
		if g.chance(0.5) {
			req.Recipient = &privacy.Recipient{ID: "mailer", Kind: privacy.RecipientProcessor, Country: pick(g, "NL", "DE"), DPA: true}
		}
	} else if g.chance(0.7) {
		kinds := privacy.RecipientKinds()
		req.Recipient = &privacy.Recipient{
			ID:        pick(g, "mailer", "x", `q"uote`),
			Kind:      kinds[g.r.IntN(len(kinds))],
			Country:   pick(g, "NL", "DE", "US", "IN", "GB", "BR", ""),
			DPA:       g.chance(0.7),
			Safeguard: pick(g, privacy.SafeguardNone, privacy.SafeguardSCC, privacy.SafeguardDPF, privacy.SafeguardBCR, ""),
			Sale:      g.chance(0.1),
		}
		r := req.Recipient
		if g.chance(0.3) {
			// Partial adequacy, Art. 48 and Art. 49 facts.
			r.Country = pick(g, r.Country, "CA", "JP", "KR", "CH")
			r.Sector = pick(g, "", "commercial", "public", "credit_information")
			if g.chance(0.3) {
				r.Certifications = []string{pick(g, "dpf", "iso27001")}
			}
			r.Jurisdiction = pick(g, "", "", "US", "NL")
			r.Derogation = pick(g, "", privacy.DerogationContract, privacy.DerogationLegalClaims, privacy.DerogationExplicitConsent, privacy.DerogationInternationalAgreement, privacy.DerogationPublicInterest)
			r.Occasional = g.chance(0.5)
		}
	}
	return req
}

// subject draws a subject with a fresh id and its state into st.
func (g *gen) subject(st *fixedState, at time.Time) privacy.Subject {
	g.n++
	s := privacy.Subject{
		ID:         fmt.Sprintf("%s%d", pick(g, "s-", "s-", "s-", `q"uote\-`, "ünï-"), g.n),
		Kind:       pick(g, privacy.SubjectUser, privacy.SubjectUser, privacy.SubjectGuest),
		Age:        pick(g, 0, 34, 34, 12, 15, 16, 17, 70),
		Country:    pick(g, "NL", "NL", "DE", "US", ""),
		Controller: pick(g, "", "", "acme", "other"),
	}
	if g.chance(0.005) {
		s.Kind = "robot"
	}
	for _, p := range g.purposes {
		if !g.chance(0.15) {
			continue
		}
		cs := consent.State{
			SubjectID:     s.ID,
			Purpose:       p,
			Event:         pick(g, consent.Given, consent.Given, consent.Given, consent.Withdrawn, consent.Refused, consent.Expired),
			PolicyVersion: pick(g, "1.2", "1.2", "1.0", "0.9", "2.0"),
			Guardian:      g.chance(0.3),
			CollectedAt:   at.Add(-90 * 24 * time.Hour),
			Act:           pick(g, "", "", consent.ActButton, consent.ActPreTickedBox, consent.ActContinuedUse),
		}
		if g.chance(0.2) {
			// Around the maximum ages of the reference catalog (13 and
			// 24 months), some on a month's last days.
			cs.CollectedAt = at.AddDate(0, -pick(g, 13, 24), 0).Add(time.Duration(g.r.IntN(96)-48) * time.Hour)
		}
		if g.chance(0.4) {
			cs.ExpiresAt = at.Add(time.Duration(g.r.IntN(96)-48) * time.Hour)
			if g.chance(0.1) {
				cs.ExpiresAt = at // expiring at the very moment of the request
			}
		}
		st.consents[[2]string{s.ID, p}] = cs
	}
	if g.chance(0.3) {
		ss := subject.State{SubjectID: s.ID, Restricted: g.chance(0.2), Deactivated: g.chance(0.2)}
		for range g.r.IntN(3) {
			if g.chance(0.3) {
				ss.Object(subject.Objection{DirectMarketing: true})
			} else {
				ss.Object(subject.Objection{Purpose: g.purposes[g.r.IntN(len(g.purposes))]})
			}
		}
		st.subjects[s.ID] = ss
	}
	if g.chance(0.2) {
		// Retention triggers around the reference rules' periods (30 and 90
		// days, 7 years), some on a month's last days.
		ss := st.subjects[s.ID]
		ss.SubjectID = s.ID
		ss.Lifecycle = map[privacy.Trigger]time.Time{}
		for _, tr := range []privacy.Trigger{privacy.TriggerAccountClosed, privacy.TriggerLastActivity, privacy.TriggerConsentWithdrawn} {
			if g.chance(0.5) {
				ss.Lifecycle[tr] = at.Add(-time.Duration(pick(g, 29, 30, 31, 89, 90, 91, 400, 2600, 2890, 2950, 3000)) * 24 * time.Hour).Add(time.Duration(g.r.IntN(48)-24) * time.Hour)
			}
		}
		st.subjects[s.ID] = ss
	}
	return s
}

// like draws a new subject with the facts and state of s but an id of its
// own, so that decisions share cache entries and differ only in the id.
func (g *gen) like(st *fixedState, s privacy.Subject) privacy.Subject {
	g.n++
	t := s
	t.ID = fmt.Sprintf("%s%d", pick(g, "t-", `t"q-`, "tü-"), g.n)
	for _, p := range g.purposes {
		if cs, ok := st.consents[[2]string{s.ID, p}]; ok {
			cs.SubjectID = t.ID
			st.consents[[2]string{t.ID, p}] = cs
		}
	}
	if ss, ok := st.subjects[s.ID]; ok {
		ss.SubjectID = t.ID
		st.subjects[t.ID] = ss
	}
	return t
}

// outcome is a decision and its error's text, for comparing decisions
// made different ways.
type outcome struct {
	D   privacy.Decision
	Err string
}

func outcomeOf(d privacy.Decision, err error) outcome {
	o := outcome{D: d}
	if err != nil {
		o.Err = err.Error()
	}
	return o
}
