package consent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// Sealer seals records one after another, as SealWith does, keeping its
// hash state and encoding buffer from one record to the next, so that a
// store sealing a group of records, or Verify checking a million, does
// not set up an HMAC and a buffer per record. It is not safe for
// concurrent use.
type Sealer struct {
	key *Key
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewSealer returns a Sealer that seals with k (HMAC-SHA256 under
// k.Secret), or without a key (SHA-256) when k is nil.
func NewSealer(k *Key) *Sealer {
	s := &Sealer{key: k, buf: make([]byte, 0, 512)}
	if k != nil {
		s.h = hmac.New(sha256.New, k.Secret)
	} else {
		s.h = sha256.New()
	}
	return s
}

// Seal links r to its predecessor as r.SealWith(prevHash, k) does: it sets
// PrevHash to prevHash, KeyID to k.ID ("" without a key) and Hash to the
// record's MAC under k, or its digest.
func (s *Sealer) Seal(r *Record, prevHash string) {
	r.PrevHash, r.KeyID = prevHash, ""
	if s.key != nil {
		r.KeyID = s.key.ID
	}
	r.Hash = s.hash(r)
}

// hash returns the hex SHA-256, or HMAC-SHA256 under the key, of r's
// canonical encoding: Digest or MAC.
func (s *Sealer) hash(r *Record) string {
	hx := s.sumHex(r)
	return string(hx[:])
}

// matches reports whether r's Hash is its digest or MAC, without
// allocating.
func (s *Sealer) matches(r *Record) bool {
	hx := s.sumHex(r)
	return string(hx[:]) == r.Hash
}

func (s *Sealer) sumHex(r *Record) (hx [2 * sha256.Size]byte) {
	s.buf = r.appendCanonical(s.buf[:0])
	s.h.Reset()
	s.h.Write(s.buf)
	hex.Encode(hx[:], s.h.Sum(s.sum[:0]))
	return hx
}
