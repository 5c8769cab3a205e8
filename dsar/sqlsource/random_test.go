package sqlsource_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/dsar"
	"github.com/privacykit/privacy/dsar/sqlsource"
)

// population is a random filling of the sample schema, with what each
// subject's export must hold computed in Go, independently of the Source.
type population struct {
	users  []string
	guests []guestKey
	want   map[string][]string // subject key -> sorted "category id" of their records
}

type guestKey struct{ email, account string }

func (k guestKey) String() string { return k.email + "@@" + k.account }

func populate(t *testing.T, db *sql.DB, seed uint64) *population {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	p := &population{want: map[string][]string{}}
	ins := func(q string, args ...any) {
		if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	add := func(key, category, id string) { p.want[key] = append(p.want[key], category+" "+id) }
	accounts := []string{"acme", "globex", "initech"}
	emails := []string{"a@g.example", "b@g.example", "c@g.example", "d@g.example"}
	meeting, rec, guest, inv := 0, 0, 0, 0
	for i := range 24 {
		u := fmt.Sprintf("u-%d", i)
		acct := accounts[r.IntN(len(accounts))]
		p.users = append(p.users, u)
		ins(`INSERT INTO users (id, account_id, username, email, created_at) VALUES ($1, $2, $3, $4, '2026-01-01')`, u, acct, "name-"+u, u+"@example.com")
		add(u, "instance.account.username", "users/"+u)
		add(u, "instance.contact.email", "users/"+u)
		for range r.IntN(4) {
			meeting++
			ins(`INSERT INTO meetings (id, host_id, title) VALUES ($1, $2, $3)`, meeting, u, fmt.Sprintf("m%d", meeting))
			add(u, "instance.meeting.data", fmt.Sprintf("meetings/%d", meeting))
			if r.IntN(2) == 0 {
				rec++
				ins(`INSERT INTO recordings VALUES ($1, $2, $3, 60)`, rec, meeting, fmt.Sprintf("https://rec.example/%d", rec))
				add(u, "instance.meeting.recording", fmt.Sprintf("recordings/%d", rec))
			}
			for _, e := range emails {
				if r.IntN(3) == 0 {
					guest++
					ins(`INSERT INTO meeting_guests (id, meeting_id, email, name) VALUES ($1, $2, $3, $4)`, guest, meeting, e, "guest")
					k := guestKey{e, acct}.String()
					add(k, "guest.contact.email", fmt.Sprintf("meeting_guests/%d", guest))
					add(k, "guest.contact.name", fmt.Sprintf("meeting_guests/%d", guest))
				}
			}
		}
		for range r.IntN(3) {
			inv++
			ins(`INSERT INTO invoices (id, user_id, number, issued_at, amount_cents, billing_name, billing_address) VALUES ($1, $2, $3, '2026-01-31', 100, 'n', 'a')`,
				inv, u, fmt.Sprintf("inv-%d", inv))
			add(u, "instance.financial.account", fmt.Sprintf("invoices/inv-%d", inv))
			add(u, "instance.financial.payment", fmt.Sprintf("invoices/inv-%d", inv))
		}
		if r.IntN(2) == 0 {
			ins(`INSERT INTO marketing_preferences VALUES ($1, $2, 1, 0, '2026-01-01')`, u, u+"@example.com")
			add(u, "instance.contact.email", "marketing_preferences")
		}
	}
	for _, e := range emails {
		for _, a := range accounts {
			p.guests = append(p.guests, guestKey{e, a})
		}
	}
	for k := range p.want {
		slices.Sort(p.want[k])
	}
	return p
}

func exported(t *testing.T, src *sqlsource.Source, s privacy.Subject) []string {
	t.Helper()
	recs, err := src.Export(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Category+" "+r.ID)
	}
	slices.Sort(out)
	return out
}

// Every subject of a random population gets exactly their own rows, before
// and after half of the users are erased; guests get their rows under the
// controller asked about and no other.
func TestRandomPopulationsExportOnlyTheirOwnRows(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			exec(t, db, string(sampleFile(t, "schema.sql")))
			p := populate(t, db, 7)
			_, src := sampleSource(t, db, b)
			check := func(when string, erased map[string]bool) {
				for _, u := range p.users {
					want := p.want[u]
					if erased[u] {
						want = slices.DeleteFunc(slices.Clone(want), func(s string) bool { return !strings.HasPrefix(s, "instance.financial.") })
					}
					if diff := cmp.Diff(want, exported(t, src, privacy.Subject{ID: u, Kind: privacy.SubjectUser}), cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("%s: export of %s (-want +got):\n%s", when, u, diff)
					}
				}
			}
			check("before erasure", nil)
			for _, g := range p.guests {
				if diff := cmp.Diff(p.want[g.String()], exported(t, src, privacy.Subject{ID: g.email, Kind: privacy.SubjectGuest, Controller: g.account}), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("export of guest %s for %s (-want +got):\n%s", g.email, g.account, diff)
				}
			}

			var userCats []string
			for _, c := range privacy.DefaultCatalog().Categories {
				if c.Subject == privacy.SubjectUser && !strings.HasPrefix(c.Key, "instance.financial.") {
					userCats = append(userCats, c.Key)
				}
			}
			erased := map[string]bool{}
			for i, u := range p.users {
				if i%2 == 0 {
					if _, err := src.Erase(t.Context(), privacy.Subject{ID: u, Kind: privacy.SubjectUser}, userCats); err != nil {
						t.Fatal(err)
					}
					erased[u] = true
				}
			}
			check("after erasing every other user", erased)
			var _ dsar.Source = src
		})
	}
}
