package consent

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/privacykit/privacy"
)

// CheckpointAlgorithm is the signature algorithm of checkpoints.
const CheckpointAlgorithm = "HMAC-SHA256"

// Checkpoint is a signed statement that a ledger held Seq records, the
// last with hash Hash, at At. An operator takes one (TakeCheckpoint) and
// hands it to an auditor or keeps it where whoever can write to the
// ledger cannot; later, VerifyWith with the checkpoint and the keys
// proves of any copy of the ledger that nothing up to that head was
// changed, removed or replaced since, including the last records, which
// no chain can show on its own.
//
// It is signed with HMAC-SHA256 under the ledger's current key, not with
// a public-key signature: checking a keyed chain needs the key anyway, so
// whoever checks a checkpoint holds it already, and one secret to keep,
// rotate and escrow is one fewer than two. The price is that a checkpoint
// convinces only those who hold the key; publish the Hash as well (it is
// no secret) where a third party without the key must rely on it.
type Checkpoint struct {
	// Seq is the number of records covered: the Seq of the last one.
	Seq int64 `json:"seq"`
	// Hash is the Hash of record Seq, "" for an empty ledger.
	Hash string `json:"hash"`
	// At is when the checkpoint was taken, in UTC.
	At time.Time `json:"at"`
	// KeyID names the key that signed it.
	KeyID string `json:"key_id"`
	// Algorithm is CheckpointAlgorithm.
	Algorithm string `json:"algorithm"`
	// Signature is the HMAC-SHA256 (hex) of the checkpoint's other
	// fields under the key (see signedText).
	Signature string `json:"signature"`
}

// signedText is what a checkpoint's signature covers. Its first line
// keeps a checkpoint's MAC from ever equalling a record's, whose encoding
// starts with '{'.
func (c Checkpoint) signedText() []byte {
	return []byte("privacykit consent ledger checkpoint v1\n" +
		strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" +
		c.At.UTC().Format(time.RFC3339Nano) + "\n" + c.KeyID + "\n" + c.Algorithm)
}

// TakeCheckpoint verifies the ledger with keys and, if it is intact, signs
// its head with the current key, stamped at. It returns the verification
// Report either way; a ledger that is not intact gets no checkpoint and an
// error.
func TakeCheckpoint(ctx context.Context, s Scanner, keys KeyProvider, at time.Time) (Checkpoint, Report, error) {
	if keys == nil {
		return Checkpoint{}, Report{}, errors.New("take ledger checkpoint: a checkpoint needs the ledger's keys")
	}
	if at.IsZero() {
		return Checkpoint{}, Report{}, errors.New("take ledger checkpoint: the time is required")
	}
	rep, err := VerifyWith(ctx, s, VerifyOptions{Keys: keys})
	if err != nil {
		return Checkpoint{}, rep, fmt.Errorf("take ledger checkpoint: %w", err)
	}
	if !rep.Intact {
		return Checkpoint{}, rep, fmt.Errorf("take ledger checkpoint: the ledger is not intact: %s", rep)
	}
	k, err := keys.CurrentKey(ctx)
	if err != nil {
		return Checkpoint{}, rep, fmt.Errorf("take ledger checkpoint: %w", err)
	}
	c := Checkpoint{Seq: rep.Head.Seq, Hash: rep.Head.Hash, At: at.UTC(), KeyID: k.ID, Algorithm: CheckpointAlgorithm}
	c.Signature = mac(k.Secret, c.signedText())
	return c, rep, nil
}

// Check verifies the checkpoint's signature with the key it names.
func (c Checkpoint) Check(ctx context.Context, keys KeyProvider) error {
	if c.Algorithm != CheckpointAlgorithm {
		return fmt.Errorf("checkpoint: algorithm %q, want %s", c.Algorithm, CheckpointAlgorithm)
	}
	if c.Seq < 0 || (c.Seq == 0) != (c.Hash == "") || (c.Hash != "" && !isSHA256Hex(c.Hash)) {
		return fmt.Errorf("checkpoint: head %d %q is not a ledger head", c.Seq, c.Hash)
	}
	k, err := keys.Key(ctx, c.KeyID)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if !hmac.Equal([]byte(mac(k.Secret, c.signedText())), []byte(c.Signature)) {
		return fmt.Errorf("checkpoint of record %d taken %s: the signature is not key %s's: the checkpoint was changed or signed with another key",
			c.Seq, c.At.Format(time.RFC3339), c.KeyID)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint, as JSON, from r: at most
// privacy.MaxCheckpointBytes, one object, decoded strictly
// (privacy.DecodeJSON: unknown fields, duplicate keys and a zero time
// are errors naming the field). It does not check the signature (Check).
func ReadCheckpoint(r io.Reader) (Checkpoint, error) {
	var c Checkpoint
	if err := privacy.DecodeJSON(r, "checkpoint", privacy.MaxCheckpointBytes, "MaxCheckpointBytes", &c); err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint: %w", err)
	}
	return c, nil
}
