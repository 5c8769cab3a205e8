package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"

	"github.com/spf13/pflag"
)

// cmdLedgerVerify walks the consent ledger's hash chain: exit 0 when it is
// intact, 1 when a record was changed, inserted or removed. With the
// ledger's keys (--key-file or PRIVACY_LEDGER_KEYS) it checks every keyed
// record's MAC, and with --checkpoint that the ledger still holds a head
// signed earlier.
func cmdLedgerVerify(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	headFlag := fs.String("head", "", "a head published earlier, as SEQ:HASH, to prove that no record up to it was removed")
	cpFlag := fs.String("checkpoint", "", "a checkpoint `file` taken earlier (privacyctl ledger checkpoint); needs the ledger's keys")
	return func(ctx context.Context, args []string) error {
		var head *consent.Head
		if *headFlag != "" {
			seq, hash, ok := strings.Cut(*headFlag, ":")
			n, err := strconv.ParseInt(seq, 10, 64)
			if !ok || err != nil || n < 0 || len(hash) != 64 {
				return usagef("--head: want SEQ:HASH (a number, a colon and a 64-digit hex hash), got %q", *headFlag)
			}
			head = &consent.Head{Seq: n, Hash: hash}
		}
		var cp *consent.Checkpoint
		if *cpFlag != "" {
			f, err := os.Open(*cpFlag)
			if err != nil {
				return usagef("--checkpoint: %v%s", err, missingFileHint(*cpFlag, err))
			}
			c, err := consent.ReadCheckpoint(f)
			f.Close()
			if err != nil {
				return usagef("--checkpoint %s: %v", *cpFlag, err)
			}
			cp = &c
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		if cp != nil && st.keys == nil {
			return usagef("--checkpoint needs the ledger's keys: --key-file or $%s", consent.EnvKeys)
		}
		rep, err := consent.VerifyWith(ctx, st.consents, consent.VerifyOptions{Keys: st.keys, Head: head, Checkpoint: cp})
		if err != nil {
			if cp != nil {
				// A checkpoint whose signature does not hold is evidence
				// against the copy, not a failure of the tool.
				return &exitError{code: exitFailure, msg: "ledger verify: " + err.Error()}
			}
			return err
		}
		if err := c.print(rep); err != nil {
			return err
		}
		if !rep.Intact {
			return &exitError{code: exitFailure, msg: "ledger verify: " + rep.String()}
		}
		return nil
	}
}

func cmdConsentReceipt(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.registerRead(fs)
	pf.registerCatalog(fs)
	id := fs.String("record", "", "consent record `id` (required)")
	return func(ctx context.Context, args []string) error {
		if err := required("record", *id); err != nil {
			return err
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		rec, err := st.consents.Record(ctx, *id)
		if err != nil {
			if privacy.ErrorCode(err) == privacy.ENOTFOUND {
				// Not found (exit 3), as docs/cli.md's exit table has it.
				return &exitError{code: exitNotFound, msg: fmt.Sprintf("--record: no consent record %q", *id)}
			}
			return err
		}
		b, err := consent.MarshalReceipt(rec, cat)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(c.stdout, string(b))
		return err
	}
}

// cmdConsentStale lists the subjects whose consent for a purpose was given
// under a policy version older than the purpose's last material change:
// the ledger lists each subject's latest state and the engine judges them,
// by the rule its decisions deny consent.stale_version with.
func cmdConsentStale(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	var pf policyFlags
	sf.registerRead(fs)
	pf.register(fs)
	purpose := fs.String("purpose", "", "purpose `key` (required)")
	version := fs.String("version", "", "the version consent must be at least (default: the purpose's consent_version)")
	return func(ctx context.Context, args []string) error {
		if err := required("purpose", *purpose); err != nil {
			return err
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		p := cat.Purpose(*purpose)
		if p == nil {
			return undeclaredPurpose(cat, *purpose)
		}
		v := *version
		if v == "" {
			v = p.ConsentVersion
		}
		switch {
		case !p.Declares(lawfulbasis.Consent):
			// Not "give --version": no consent to it is recorded at all.
			return usagef("--purpose: %s is not processed on consent (its bases: %v): no consent to it is recorded, none can be stale", *purpose, p.Bases)
		case !privacy.ValidVersion(v):
			return usagef("--version: purpose %s has no consent_version; give --version", *purpose)
		}
		opts, err := pf.options()
		if err != nil {
			return err
		}
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		eng, err := st.engine(ctx, opts)
		if err != nil {
			return err
		}
		states, err := st.consents.Latest(ctx, *purpose)
		if err != nil {
			return err
		}
		subjects, err := eng.StaleConsents(ctx, *purpose, *version, states)
		if err != nil {
			return err
		}
		return c.print(struct {
			Purpose  string   `json:"purpose"`
			Version  string   `json:"version"`
			Subjects []string `json:"subjects"`
		}{*purpose, v, subjects})
	}
}

// cmdLedgerCheckpoint verifies the keyed ledger and prints a checkpoint of
// its head signed with the current key, for an auditor to verify a copy
// against later (ledger verify --checkpoint).
func cmdLedgerCheckpoint(c *cli, fs *pflag.FlagSet) runFunc {
	var sf storeFlags
	sf.registerRead(fs)
	out := fs.String("out", "", "write the checkpoint to this `file` instead of stdout")
	return func(ctx context.Context, args []string) error {
		st, err := sf.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.close()
		if st.keys == nil {
			return usagef("ledger checkpoint signs with the ledger's key: give --key-file or $%s", consent.EnvKeys)
		}
		cp, rep, err := consent.TakeCheckpoint(ctx, st.consents, st.keys, time.Now().UTC())
		if err != nil {
			if !rep.Intact {
				return &exitError{code: exitFailure, msg: "ledger checkpoint: " + rep.String()}
			}
			return err
		}
		b, err := json.MarshalIndent(cp, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if *out != "" {
			return os.WriteFile(*out, b, 0o600)
		}
		_, err = c.stdout.Write(b)
		return err
	}
}
