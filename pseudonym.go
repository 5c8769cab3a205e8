package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Pseudonym returns the keyed pseudonym of a subject id that the decision
// log writes (policies.WithDecisionLog): the HMAC-SHA256 of id under key,
// hex encoded and truncated to 32 characters (128 bits). Whoever holds the
// key computes it to find a subject's decisions, such as the disclosures
// of their data (Art. 15(1)(c), 19); nobody without it can link the log to
// a subject.
func Pseudonym(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
